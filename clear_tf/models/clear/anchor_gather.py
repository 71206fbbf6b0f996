"""Gathers the R anchor moments of Eq. 2 from the position map J."""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from clear_tf import moments


@keras.saving.register_keras_serializable(package="clear_tf")
class AnchorGather(keras.layers.Layer):
    """J [B, L, L, d] → anchor moments A [B, R, d], in the order a_1 … a_R of Eq. 2.

    a_1 is the whole video, even r the moment from the first clip to clip L-r/2, odd
    r > 1 the single clip L-⌊r/2⌋+1 (1-based; ``clear_tf.moments.anchor_positions``
    gives the 0-based cells).

    Args:
        num_anchors: R = 2P - 1 for a semantic tree of P layers.
        **kwargs: base layer arguments.

    Example:

    With L = 4 and R = 3 the anchors are the whole video (0, 3), clips 0..2 (0, 2) and
    the last clip (3, 3); cell (i, j) of this map holds 4·i + j.

    >>> position_map = np.arange(16, dtype="float32").reshape(1, 4, 4, 1)  # [B, L, L, d=1]
    >>> keras.ops.convert_to_numpy(AnchorGather(num_anchors=3)(position_map))[0, :, 0]
    array([ 3.,  2., 15.], dtype=float32)
    """

    def __init__(self, num_anchors, **kwargs):
        super().__init__(**kwargs)
        self.num_anchors = num_anchors

    def build(self, input_shape):
        num_clips = input_shape[1]
        positions = moments.anchor_positions(num_clips, self.num_anchors)
        self._flat_index = np.array([i * num_clips + j for i, j in positions], dtype="int32")
        self.built = True

    def call(self, position_map):
        num_clips, channels = position_map.shape[1], position_map.shape[3]
        flat = ops.reshape(position_map, (-1, num_clips * num_clips, channels))
        return ops.take(flat, self._flat_index, axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.num_anchors, input_shape[3])

    def get_config(self):
        config = super().get_config()
        config.update({"num_anchors": self.num_anchors})
        return config
