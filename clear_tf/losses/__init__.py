"""Γ₁ and Γ₂ of CLEAR (Eqs. 5, 7) and their wiring for ``model.compile``."""

from clear_tf.losses.build import build_losses
from clear_tf.losses.coarse_alignment_loss import CoarseAlignmentLoss
from clear_tf.losses.coarse_map_alignment_loss import CoarseMapAlignmentLoss
from clear_tf.losses.fine_alignment_loss import FineAlignmentLoss

__all__ = [
    "CoarseAlignmentLoss",
    "CoarseMapAlignmentLoss",
    "FineAlignmentLoss",
    "build_losses",
]
