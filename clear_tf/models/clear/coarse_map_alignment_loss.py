"""Γ₁'s squared error on every candidate: the coarse score map against the IoU map."""

from __future__ import annotations

import keras
from keras import ops

from clear_tf.losses.candidate_mean_loss import CandidateMeanLoss


@keras.saving.register_keras_serializable(package="clear_tf")
class CoarseMapAlignmentLoss(CandidateMeanLoss):
    """Mean over the candidates of (cᵀq/d − IoU)², per query slot.

    Eq. 5 trains the coarse score only at the R anchors of Eq. 2, the nodes of the
    paper's tree. The binary tree's search follows the best coarse score among all
    candidates (``clear_tf.models.clear.tree_search``), so every candidate's score must
    track its IoU. This loss is Γ₁'s form, Σ (aᵀq − d·IoU)² divided by d² (i.e.
    (aᵀq/d − IoU)²), averaged over the A candidate cells instead of summed over anchors.
    ``y_true`` is the IoU map [B, K, L, L] (``iou_map``), ``y_pred`` the
    ``coarse_scores`` output [B, K, L, L]; reduced like ``FineAlignmentLoss``.

    Args:
        sparse: the candidates are the 2D-TAN sparse sampling (plus anchors), as in the
            model; otherwise every cell with i <= j.
        pooling_counts: diagonals per stride level of the sparse sampling.
        num_anchors: R; anchor cells are candidates in sparse mode.
        name: loss name.
        reduction: Keras reduction of the per-slot values.
        dtype: loss computation dtype.

    Example:

    L = 2: the candidates are (0, 0), (0, 1) and (1, 1); (1, 0) is ignored.

    >>> import numpy as np
    >>> iou_map = np.array([[[[0.8, 0.4], [0.0, 0.1]]]], "float32")  # [B=1, K=1, 2, 2]
    >>> coarse_scores = np.array([[[[0.5, 0.5], [9.0, 0.5]]]], "float32")
    >>> loss = CoarseMapAlignmentLoss()
    >>> round(float(loss(iou_map, coarse_scores)), 4)  # (0.3² + 0.1² + 0.4²) / 3
    0.0867
    """

    def __init__(self, name="coarse_map_alignment_loss", **kwargs):
        super().__init__(name=name, **kwargs)

    def cell_values(self, y_true, y_pred):
        return ops.square(y_pred - y_true)
