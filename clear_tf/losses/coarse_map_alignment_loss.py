"""Γ₁'s squared error on every candidate: the coarse score map against the IoU map."""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from clear_tf.layers.candidate_cells import candidate_cells


@keras.saving.register_keras_serializable(package="clear_tf")
class CoarseMapAlignmentLoss(keras.losses.Loss):
    """Mean over the candidates of (cᵀq/d − IoU)², per query slot.

    Eq. 5 trains the coarse score only at the R anchors of Eq. 2, the nodes of the
    paper's tree. The binary tree's search reads the best coarse score among all
    candidates (``clear_tf.inference.tree_search``), so every candidate's score must
    track its IoU. This loss is Γ₁'s form, Σ (aᵀq − d·IoU)² divided by d² (i.e.
    (aᵀq/d − IoU)²), averaged over the A candidate cells instead of summed over anchors.
    ``y_true`` is the IoU map [B, K, L, L] (``iou_map``), ``y_pred`` the
    ``coarse_scores`` output [B, K, L, L]; ``call`` returns one value per query slot
    [B, K], reduced like ``FineAlignmentLoss`` (divided by the B·K slots).

    Args:
        sparse: the candidates are the 2D-TAN sparse sampling (plus anchors), as in the
            model; otherwise every cell with i <= j.
        pooling_counts: diagonals per stride level of the sparse sampling.
        num_anchors: R; anchor cells are candidates in sparse mode.
        name: loss name.
        reduction: Keras reduction of the per-slot values.
        dtype: loss computation dtype.

    Example:
    >>> loss = CoarseMapAlignmentLoss()
    >>> loss(iou_map, coarse_scores, sample_weight=query_mask)  # a scalar
    """

    def __init__(
        self,
        sparse=False,
        pooling_counts=(15, 8, 8, 8),
        num_anchors=0,
        name="coarse_map_alignment_loss",
        reduction="sum_over_batch_size",
        dtype=None,
    ):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.sparse = sparse
        self.pooling_counts = [int(c) for c in pooling_counts]
        self.num_anchors = num_anchors

    def call(self, y_true, y_pred):
        scores = ops.convert_to_tensor(y_pred)
        iou = ops.cast(y_true, scores.dtype)
        num_clips = scores.shape[-1]
        mask = candidate_cells(num_clips, self.sparse, self.pooling_counts, self.num_anchors)
        weights = ops.convert_to_tensor(mask.astype(np.float32) / mask.sum(), dtype=scores.dtype)
        return ops.sum(ops.square(scores - iou) * weights, axis=(-2, -1))

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
