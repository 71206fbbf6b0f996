"""Γ₁ (Eq. 5): coarse semantic alignment of the anchors with the query."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="clear_tf")
class CoarseAlignmentLoss(keras.losses.Loss):
    """Squared error between the anchor similarities Aᵀq and d·IoU (Eq. 5).

    ``y_true`` is the IoU of every anchor with the query's ground truth [B, K, R]
    (``anchor_iou``), ``y_pred`` the raw dot products Aᵀq [B, K, R]
    (``anchor_similarity``). ``call`` returns, per query slot,
    Σ_r (a_rᵀq − d·IoU_r)² [B, K]: one column of ‖AᵀQ − d·M*‖²_F.

    Normalisation relative to the paper: Eq. 5 sums over all videos and queries. Keras
    multiplies the per-slot values by ``sample_weight`` (the ``query_mask``, 0 on
    padded slots) and, with the default "sum_over_batch_size" reduction, divides the
    sum by the number of slots B·K (padded ones included) and by the number of replicas
    under a ``tf.distribute`` strategy. So the value is the paper's Γ₁ of the batch
    divided by B·K, the same constant that divides Γ₂ (``FineAlignmentLoss``), and a
    k-replica step gives the same gradients as one device.

    Magnitude: the targets are d·IoU, so Γ₁ is of order d² (each of the R terms can
    reach d²) while Γ₂ is a BCE of order 1, and ``ClearConfig.coarse_weight`` scales
    Γ₁. ``coarse_weight = 1/d²`` turns Γ₁ into Σ_r (s(a_r) − IoU_r)² with s = aᵀq/d,
    the coarse score of the tree search, on the scale of Γ₂. At the paper's raw scale
    Γ₁'s gradients swamp Γ₂'s in the shared encoders and the fine ranking hardly learns
    (README.md, "Γ₁ is weighted by 1/d²", has the measurements).

    Args:
        hidden_dim: d, the scale of the targets.
        name: loss name.
        reduction: Keras reduction of the per-slot values.
        dtype: loss computation dtype.

    Example:

    d = 4, R = 3; the second video's only slot is padding (``query_mask`` 0).

    >>> import numpy as np
    >>> anchor_iou = np.array([[[1.0, 0.5, 0.0]], [[0.0, 0.0, 0.0]]], "float32")  # [B=2, K=1, R]
    >>> anchor_similarity = np.array([[[4.0, 1.0, 1.0]], [[9.0, 9.0, 9.0]]], "float32")
    >>> query_mask = np.array([[1.0], [0.0]], "float32")
    >>> loss = CoarseAlignmentLoss(hidden_dim=4)
    >>> float(loss(anchor_iou, anchor_similarity, sample_weight=query_mask))  # (0² + 1² + 1²) / (B·K)
    1.0
    """

    def __init__(
        self,
        hidden_dim,
        name="coarse_alignment_loss",
        reduction="sum_over_batch_size",
        dtype=None,
    ):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.hidden_dim = hidden_dim

    def call(self, y_true, y_pred):
        y_pred = ops.convert_to_tensor(y_pred)
        y_true = ops.cast(y_true, y_pred.dtype)
        return ops.sum(ops.square(y_pred - self.hidden_dim * y_true), axis=-1)

    def get_config(self):
        config = super().get_config()
        config.update({"hidden_dim": self.hidden_dim})
        return config
