"""The moment map of per-query clips (SLTA's clips depend on the query through the spatial attention)."""

from __future__ import annotations

import keras
from keras import ops

from clear_tf.layers import MomentMap


@keras.saving.register_keras_serializable(package="clear_tf")
class QueryMomentMap(keras.layers.Layer):
    """Clips [B, K, L, d] → every candidate (i ≤ j) as the max over clips i..j, [B, K, L, L, d].

    The shared ``clear_tf.layers.MomentMap`` (all L(L+1)/2 candidates, zeros at i > j)
    run on the B·K clip sequences at once.

    Args:
        **kwargs: base layer arguments.

    Example:

    >>> import numpy as np
    >>> clips = np.array([[[[1.0], [3.0], [2.0]]]], "float32")  # [B=1, K=1, L=3, d=1]
    >>> keras.ops.convert_to_numpy(QueryMomentMap()(clips))[0, 0, :, :, 0]
    array([[1., 3., 3.],
           [0., 3., 3.],
           [0., 0., 2.]], dtype=float32)
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.moment_map = MomentMap(dtype=self.dtype_policy, name="moment_map")

    def build(self, clips_shape):
        self.moment_map.build((None, clips_shape[2], clips_shape[3]))
        self.built = True

    def call(self, clips):
        shape = ops.shape(clips)
        num_clips, width = clips.shape[2], clips.shape[3]
        maps = self.moment_map(ops.reshape(clips, (-1, num_clips, width)))
        return ops.reshape(maps, (shape[0], shape[1], num_clips, num_clips, width))

    def compute_output_shape(self, clips_shape):
        return (*clips_shape[:3], clips_shape[2], clips_shape[3])
