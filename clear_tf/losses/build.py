"""The loss dict and weights for ``model.compile`` from the run's config."""

from __future__ import annotations

from clear_tf import moments
from clear_tf.losses.coarse_alignment_loss import CoarseAlignmentLoss
from clear_tf.losses.coarse_map_alignment_loss import CoarseMapAlignmentLoss
from clear_tf.losses.fine_alignment_loss import FineAlignmentLoss


def build_losses(config) -> tuple[dict, dict]:
    """Ψ = coarse_weight·Γ₁ + α·Γ₂ (Eq. 9) as Keras loss and loss-weight dicts.

    With ``loss.coarse_map_weight`` > 0 a third term aligns the coarse score of every
    candidate with its IoU (``CoarseMapAlignmentLoss``), which the binary tree's search
    reads; 0 is the paper's objective.

    Args:
        config: a ``clear_tf.config.Config`` (``model`` gives d and the candidate set,
            ``loss`` gives α, ``coarse_weight``, ``coarse_map_weight``, ``min_iou``,
            ``max_iou``).

    Returns:
        ``(losses, loss_weights)`` keyed by the model's output names
        ``anchor_similarity`` and ``fine_logits`` (and ``coarse_scores`` when
        ``coarse_map_weight`` > 0), for ``model.compile(loss=losses, loss_weights=loss_weights)``.
    """
    model, loss = config.model, config.loss
    candidate_set = {
        "sparse": model.moment_map == "sparse",
        "pooling_counts": model.pooling_counts,
        "num_anchors": moments.num_anchors(model.tree_depth),
    }
    losses = {
        "anchor_similarity": CoarseAlignmentLoss(hidden_dim=model.hidden_dim),
        "fine_logits": FineAlignmentLoss(
            min_iou=loss.min_iou, max_iou=loss.max_iou, **candidate_set
        ),
    }
    loss_weights = {"anchor_similarity": loss.coarse_weight, "fine_logits": loss.alpha}
    if loss.coarse_map_weight > 0:
        losses["coarse_scores"] = CoarseMapAlignmentLoss(**candidate_set)
        loss_weights["coarse_scores"] = loss.coarse_map_weight
    return losses, loss_weights
