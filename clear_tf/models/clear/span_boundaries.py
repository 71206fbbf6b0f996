"""What a candidate's max-pool cannot tell: the clips at its boundaries and just outside."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="clear_tf")
class SpanBoundaryTerms(keras.layers.Layer):
    """Clips [B, L, C] → per-cell terms [B, L, L, d] from the boundaries of span i..j.

    Cell (i, j) gets ``W_first·c_i + W_before·c_(i-1) + W_last·c_j + W_after·c_(j+1) + b``,
    the clips before the first and after the last being zeros. Added to the moment MLP's
    projection of the max-pool (``--moment_boundaries``), it lets the pointwise fine
    head tell a moment from the longer spans around it: their max-pool is the same
    whenever they contain the moment, but their first and last clips, and the clips
    just outside them, are not. 2D-TAN learns this from neighbouring cells with its
    convolutions; here it costs two [B, L, d] projections and one broadcast sum. Not in
    the paper.

    The sum is linear in the four clips, so it is computed per row (first, before) and
    per column (last, after) and broadcast, never on [B, L, L, 4C].

    Args:
        hidden_dim: d, the size of the terms (that of the moment MLP).
        **kwargs: base layer arguments.

    Example:

    >>> import numpy as np
    >>> clips = np.arange(3, dtype="float32").reshape(1, 3, 1) + 1.0  # c = 1, 2, 3
    >>> layer = SpanBoundaryTerms(hidden_dim=1)
    >>> _ = layer(clips)
    >>> layer.set_weights([np.array([[1.0], [10.0]]), np.zeros(1),  # first, before; bias
    ...                    np.array([[100.0], [1000.0]])])           # last, after
    >>> float(keras.ops.convert_to_numpy(layer(clips))[0, 0, 1, 0])  # c0 + 10·0 + 100·c1 + 1000·c2
    3201.0
    """

    def __init__(self, hidden_dim, **kwargs):
        super().__init__(**kwargs)
        self.hidden_dim = hidden_dim
        # Rows read (c_i, c_(i-1)), columns (c_j, c_(j+1)); one bias for the cell.
        self.row_projection = keras.layers.Dense(hidden_dim, dtype=self.dtype_policy, name="first_before")
        self.column_projection = keras.layers.Dense(
            hidden_dim, use_bias=False, dtype=self.dtype_policy, name="last_after"
        )

    def build(self, input_shape):
        channels = input_shape[-1]
        self.row_projection.build((None, 2 * channels))
        self.column_projection.build((None, 2 * channels))
        self.built = True

    def call(self, clips):
        zeros = ops.zeros_like(clips[:, :1])
        before = ops.concatenate([zeros, clips[:, :-1]], axis=1)
        after = ops.concatenate([clips[:, 1:], zeros], axis=1)
        rows = self.row_projection(ops.concatenate([clips, before], axis=-1))
        columns = self.column_projection(ops.concatenate([clips, after], axis=-1))
        return rows[:, :, None, :] + columns[:, None, :, :]

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[1], input_shape[1], self.hidden_dim)

    def get_config(self):
        config = super().get_config()
        config.update({"hidden_dim": self.hidden_dim})
        return config
