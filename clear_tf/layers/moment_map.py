"""Multi-scale temporal pooling (max or scaled sum) of clips into the 2D map of candidate moments."""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from clear_tf.layers.candidate_cells import candidate_cells

MOMENT_POOLINGS = ("max", "scaled_sum")


@keras.saving.register_keras_serializable(package="clear_tf")
class MomentMap(keras.layers.Layer):
    """Every candidate (i ≤ j) = max (or scaled sum) over clips i..j, laid out as an [L, L] map.

    The map is built diagonal by diagonal: the diagonal at offset k holds
    ``max(x[i..i+k])``, which is the diagonal at offset k-1 shifted by one and
    max-combined with ``x[k:]``. That is L vectorised steps, each on a [B, L-k, C]
    tensor; one gather then places the L(L+1)/2 candidates at row i, column j and
    zeros everywhere else (i > j, or cells left out by the sparse sampling).

    With ``pooling="scaled_sum"`` the diagonal at offset k is ``(S[i+k+1] - S[i]) /
    sqrt(k+1)`` on the running sum S of the clips instead. A linear score on it is the
    sum of its clips' scores over the root of its length (the scan statistic of a
    segment): highest on the span that covers the clips which show the query and
    nothing more, where the max-pool is the same for every span containing them. The
    root keeps long spans on the scale of short ones (a plain sum grows with length).

    Args:
        pooling: "max" (2D-TAN, CLEAR) or "scaled_sum".
        sparse: keep only the 2D-TAN sparse sampling of the map
            (``clear_tf.moments.sparse_mask``) plus the anchor cells.
        pooling_counts: diagonals per stride level of the sparse sampling.
        num_anchors: R; in sparse mode the anchor cells of Eq. 2 are kept too.
        **kwargs: base layer arguments.

    Example:

    >>> clips = np.array([[[1.0], [3.0], [2.0], [0.0]]], "float32")  # [B=1, L=4, C=1]
    >>> keras.ops.convert_to_numpy(MomentMap()(clips))[0, :, :, 0]  # cell (i, j): max of clips i..j
    array([[1., 3., 3., 3.],
           [0., 3., 3., 3.],
           [0., 0., 2., 2.],
           [0., 0., 0., 0.]], dtype=float32)
    >>> scaled = keras.ops.convert_to_numpy(MomentMap(pooling="scaled_sum")(clips))[0, :, :, 0]
    >>> np.round(scaled * np.sqrt([[1, 2, 3, 4], [1, 1, 2, 3], [1, 1, 1, 2], [1, 1, 1, 1]]), 4)  # sums
    array([[1., 4., 6., 6.],
           [0., 3., 5., 5.],
           [0., 0., 2., 2.],
           [0., 0., 0., 0.]])
    """

    def __init__(self, sparse=False, pooling_counts=(15, 8, 8, 8), num_anchors=0, pooling="max", **kwargs):
        super().__init__(**kwargs)
        if pooling not in MOMENT_POOLINGS:
            raise ValueError(f"MomentMap pooling must be one of {MOMENT_POOLINGS}, got {pooling!r}")
        self.pooling = pooling
        self.sparse = sparse
        self.pooling_counts = [int(c) for c in pooling_counts]
        self.num_anchors = num_anchors

    def build(self, input_shape):
        num_clips = input_shape[1]
        if num_clips is None:
            raise ValueError("MomentMap needs a static number of clips L (input axis 1)")
        mask = candidate_cells(num_clips, self.sparse, self.pooling_counts, self.num_anchors)
        # Candidates are concatenated diagonal by diagonal: offset k starts at
        # k·L - k(k-1)/2 and row i sits i places further; the extra last row is zeros.
        rows, cols = np.meshgrid(np.arange(num_clips), np.arange(num_clips), indexing="ij")
        offsets = cols - rows
        flat_index = offsets * num_clips - offsets * (offsets - 1) // 2 + rows
        zero_row = num_clips * (num_clips + 1) // 2
        self._gather_index = np.where(mask, flat_index, zero_row).astype("int32")
        self.built = True

    def call(self, clips):
        num_clips = clips.shape[1]
        if self.pooling == "scaled_sum":
            running_sum = ops.cumsum(ops.concatenate([ops.zeros_like(clips[:, :1]), clips], axis=1), axis=1)
            diagonals = [
                (running_sum[:, offset + 1 :] - running_sum[:, : num_clips - offset]) / float(offset + 1) ** 0.5
                for offset in range(num_clips)
            ]
        else:
            running_max = clips
            diagonals = [clips]
            for offset in range(1, num_clips):
                running_max = ops.maximum(running_max[:, :-1], clips[:, offset:])
                diagonals.append(running_max)
        diagonals.append(ops.zeros_like(clips[:, :1]))
        candidates = ops.concatenate(diagonals, axis=1)
        return ops.take(candidates, self._gather_index, axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[1], input_shape[1], input_shape[2])

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "sparse": self.sparse,
                "pooling_counts": self.pooling_counts,
                "num_anchors": self.num_anchors,
                "pooling": self.pooling,
            }
        )
        return config
