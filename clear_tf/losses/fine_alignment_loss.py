"""Γ₂ (Eq. 7): binary cross-entropy between the fine confidence map and the IoU map."""

from __future__ import annotations

import keras
from keras import ops

from clear_tf.losses.candidate_mean_loss import CandidateMeanLoss


def rescaled_iou(iou, min_iou: float, max_iou: float):
    """Γ₂'s target of every cell: the IoU mapped linearly so that min_iou ↦ 0 and max_iou ↦ 1,
    clipped to [0, 1] (2D-TAN)."""
    return ops.clip((iou - min_iou) / (max_iou - min_iou), 0.0, 1.0)


@keras.saving.register_keras_serializable(package="clear_tf")
class FineAlignmentLoss(CandidateMeanLoss):
    """Mean BCE over the candidate moments between sigmoid(logits) and the IoU (Eq. 7).

    ``y_true`` is the IoU map [B, K, L, L] (``iou_map``), ``y_pred`` the fine logits
    [B, K, L, L] (``fine_logits``). The target o of every cell is the IoU, rescaled
    linearly so that ``min_iou`` ↦ 0 and ``max_iou`` ↦ 1 and clipped to [0, 1] (2D-TAN;
    0 and 1 keep the raw IoU). ``call`` returns, per query slot, (1/A) Σ_i BCE(p_i, o_i)
    over the A candidate cells [B, K]; the BCE is computed from the logits, which is
    exact and stable. (Eq. 7 as printed omits the minus sign of the cross-entropy.)

    Normalisation relative to the paper: Γ₂ (Eq. 8) sums Φ_k over videos and queries;
    Keras multiplies the per-slot values by ``sample_weight`` (``query_mask``) and, with
    the default "sum_over_batch_size" reduction, divides by the number of slots B·K and
    by the number of replicas. So the value is the paper's Γ₂ of the batch divided by
    B·K, the same constant that divides Γ₁ (``CoarseAlignmentLoss``).

    Args:
        min_iou: IoU mapped to target 0.
        max_iou: IoU mapped to target 1 (> ``min_iou``).
        sparse: the candidates are the 2D-TAN sparse sampling (plus anchors), as in the
            model; otherwise every cell with i <= j.
        pooling_counts: diagonals per stride level of the sparse sampling.
        num_anchors: R; anchor cells are candidates in sparse mode.
        name: loss name.
        reduction: Keras reduction of the per-slot values.
        dtype: loss computation dtype.

    Example:

    L = 2: the candidates are (0, 0), (0, 1) and (1, 1); their IoU 0.8, 0.4 and 0.1 give
    the targets 1, 0.25 and 0 (clipped), and (1, 0) is ignored.

    >>> import numpy as np
    >>> iou_map = np.array([[[[0.8, 0.4], [0.0, 0.1]]]], "float32")  # [B=1, K=1, 2, 2]
    >>> fine_logits = np.array([[[[2.0, 0.0], [9.0, -2.0]]]], "float32")
    >>> loss = FineAlignmentLoss(min_iou=0.3, max_iou=0.7)
    >>> round(float(loss(iou_map, fine_logits)), 4)  # (0.1269 + 0.6931 + 0.1269) / 3
    0.3157
    """

    def __init__(self, min_iou=0.0, max_iou=1.0, name="fine_alignment_loss", **kwargs):
        super().__init__(name=name, **kwargs)
        if not max_iou > min_iou:
            raise ValueError(
                f"FineAlignmentLoss needs max_iou > min_iou, got min_iou={min_iou}, max_iou={max_iou}"
            )
        self.min_iou = min_iou
        self.max_iou = max_iou

    def cell_values(self, y_true, y_pred):
        targets = rescaled_iou(y_true, self.min_iou, self.max_iou)
        # BCE with logits: max(x, 0) - x·o + log(1 + exp(-|x|)).
        return ops.relu(y_pred) - y_pred * targets + ops.log1p(ops.exp(-ops.abs(y_pred)))

    def get_config(self):
        config = super().get_config()
        config.update({"min_iou": self.min_iou, "max_iou": self.max_iou})
        return config
