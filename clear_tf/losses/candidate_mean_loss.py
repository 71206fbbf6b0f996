"""Base of the losses that average a per-cell value over the model's candidate moments."""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from clear_tf.layers.candidate_cells import candidate_cells


class CandidateMeanLoss(keras.losses.Loss):
    """Per query slot, the mean of ``cell_values(y_true, y_pred)`` over the A candidates.

    ``y_true`` and ``y_pred`` are [B, K, L, L] maps; cells that are not candidates
    (i > j, or outside a sparse map) are ignored. ``call`` returns [B, K]; Keras then
    multiplies by ``sample_weight`` (``query_mask``) and, with the default
    "sum_over_batch_size" reduction, divides by the B·K slots. Subclasses define
    ``cell_values``.

    Args:
        sparse: the candidates are the 2D-TAN sparse sampling (plus anchors), as in the
            model; otherwise every cell with i <= j.
        pooling_counts: diagonals per stride level of the sparse sampling.
        num_anchors: R; anchor cells are candidates in sparse mode.
        **kwargs: ``keras.losses.Loss`` arguments (name, reduction, dtype).
    """

    def __init__(self, sparse=False, pooling_counts=(15, 8, 8, 8), num_anchors=0, **kwargs):
        super().__init__(**kwargs)
        self.sparse = sparse
        self.pooling_counts = [int(c) for c in pooling_counts]
        self.num_anchors = num_anchors

    def cell_values(self, y_true, y_pred):
        """The per-cell loss [B, K, L, L]."""
        raise NotImplementedError

    def call(self, y_true, y_pred):
        y_pred = ops.convert_to_tensor(y_pred)
        y_true = ops.cast(y_true, y_pred.dtype)
        num_clips = y_pred.shape[-1]
        mask = candidate_cells(num_clips, self.sparse, self.pooling_counts, self.num_anchors)
        weights = ops.convert_to_tensor(mask.astype(np.float32) / mask.sum(), dtype=y_pred.dtype)
        return ops.sum(self.cell_values(y_true, y_pred) * weights, axis=(-2, -1))

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "sparse": self.sparse,
                "pooling_counts": self.pooling_counts,
                "num_anchors": self.num_anchors,
            }
        )
        return config
