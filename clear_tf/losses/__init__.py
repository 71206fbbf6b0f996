"""Losses shared by several models: the BCE on rescaled IoU over the candidates (Γ₂ of CLEAR, 2D-TAN's loss)."""

from clear_tf.losses.candidate_mean_loss import CandidateMeanLoss
from clear_tf.losses.fine_alignment_loss import FineAlignmentLoss

__all__ = ["CandidateMeanLoss", "FineAlignmentLoss"]
