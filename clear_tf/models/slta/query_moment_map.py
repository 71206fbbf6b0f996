"""The candidate moments of per-query clips (SLTA's clips depend on the query through the spatial attention)."""

from __future__ import annotations

import keras
from keras import ops

from clear_tf.layers import MomentMap


@keras.saving.register_keras_serializable(package="clear_tf")
class QueryMomentMap(keras.layers.Layer):
    """Clips [B, K, L, d] → every candidate (i ≤ j) with its context, [B, K, L, L, 4d].

    A candidate's visual feature follows the TALL/SLTA moment representation: its
    central part and its temporal context. Cell (i, j) holds, concatenated,
    the mean of clips i..j, their max (the shared ``clear_tf.layers.MomentMap``), the
    clip just before (i - 1; zeros at i = 0) and the clip just after (j + 1; zeros at
    j = L - 1). The mean and the two context clips tell a moment that covers exactly
    the described step from one that also covers its neighbours, which the max alone
    cannot. Cells with i > j are zero.

    Args:
        **kwargs: base layer arguments.

    Example:

    >>> import numpy as np
    >>> clips = np.array([[[[1.0], [3.0], [2.0]]]], "float32")  # [B=1, K=1, L=3, d=1]
    >>> cells = keras.ops.convert_to_numpy(QueryMomentMap()(clips))[0, 0]  # [L, L, 4d]
    >>> cells[0, 1]  # (0, 1): mean 2, max 3, nothing before, clip 2 after
    array([2., 3., 0., 2.], dtype=float32)
    >>> cells[1, 2]  # (1, 2): mean 2.5, max 3, clip 0 before, nothing after
    array([2.5, 3. , 1. , 0. ], dtype=float32)
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
        flat = ops.reshape(clips, (-1, num_clips, width))  # [M, L, d]
        maxima = self.moment_map(flat)  # [M, L, L, d]
        # Mean of clips i..j from cumulative sums: (S[j+1] - S[i]) / (j - i + 1).
        sums = ops.concatenate([ops.zeros_like(flat[:, :1]), ops.cumsum(flat, axis=1)], axis=1)
        totals = sums[:, None, 1:, :] - sums[:, :-1, None, :]  # [M, L (i), L (j), d]
        index = ops.arange(num_clips)
        lengths = ops.cast(index[None, :] - index[:, None] + 1, flat.dtype)  # [L, L]
        valid = ops.cast(lengths > 0, flat.dtype)[None, :, :, None]
        means = totals / ops.maximum(lengths, 1.0)[None, :, :, None] * valid
        zeros = ops.zeros_like(flat[:, :1])
        before = ops.concatenate([zeros, flat[:, :-1]], axis=1)  # clip i - 1 at row i
        after = ops.concatenate([flat[:, 1:], zeros], axis=1)  # clip j + 1 at column j
        before = ops.broadcast_to(before[:, :, None, :], ops.shape(maxima)) * valid
        after = ops.broadcast_to(after[:, None, :, :], ops.shape(maxima)) * valid
        cells = ops.concatenate([means, maxima, before, after], axis=-1)
        return ops.reshape(cells, (shape[0], shape[1], num_clips, num_clips, 4 * width))

    def compute_output_shape(self, clips_shape):
        return (*clips_shape[:3], clips_shape[2], 4 * clips_shape[3])
