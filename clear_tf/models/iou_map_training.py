"""Training shared by the models that score every moment-map cell (2D-TAN, CDN, SLTA).

Each has one output, ``logits`` [B, K, L, L], trained by 2D-TAN's ``bce_rescale_loss``:
binary cross entropy towards each cell's IoU with the query's moment, rescaled between
``--min_iou`` and ``--max_iou``, over the model's candidate cells.
"""

from __future__ import annotations

from clear_tf.losses import FineAlignmentLoss


class IoUMapTraining:
    """Mixin of the ``MomentLocalizer`` training methods for a model with one ``logits`` map.

    Put it before the contract base (``class TAN2D(IoUMapTraining, TwoTowerLocalizer)``)
    so that its methods are the ones the trainer finds. A model whose loss must see only
    some cells (2D-TAN's sparse map) overrides ``loss_candidates``.
    """

    # One output: Keras logs its loss as "loss" alone.
    loss_aliases = {"loss": "bce"}

    @classmethod
    def training_targets(cls, batch: dict, config) -> dict:
        """The IoU map of every query slot, which the loss rescales."""
        return {"logits": batch["iou_map"]}

    @classmethod
    def loss_candidates(cls, model_config) -> dict:
        """Keyword arguments of ``FineAlignmentLoss`` that select the cells it averages over (all)."""
        return {}

    @classmethod
    def build_losses(cls, config) -> tuple[dict, dict]:
        """``logits`` → BCE on the IoU rescaled between ``--min_iou`` and ``--max_iou``, weight 1."""
        settings = config.model
        loss = FineAlignmentLoss(
            min_iou=settings.min_iou, max_iou=settings.max_iou, **cls.loss_candidates(settings)
        )
        return {"logits": loss}, {"logits": 1.0}
