"""The contract's methods shared by the models on 2D-TAN's sparse map (2D-TAN, CDN)."""

from __future__ import annotations

import tensorflow as tf

from clear_tf.models.iou_map_training import IoUMapTraining


def candidate_set(pooling_counts) -> dict:
    """Keyword arguments of the shared candidate-set layers and losses for 2D-TAN's sparse map."""
    return {"sparse": True, "pooling_counts": [int(c) for c in pooling_counts], "num_anchors": 0}


def single_video_logits(model, video, queries) -> tf.Tensor:
    """Logits [M, L, L] of M queries q [M, d] on one video's J [L, L, d] (the full graph's head)."""
    outputs = model.interaction_outputs(video[tf.newaxis], queries[tf.newaxis], training=False)
    return tf.cast(outputs["logits"][0], tf.float32)


class SparseMapLocalizer(IoUMapTraining):
    """The contract's methods of a model on 2D-TAN's sparse map that scores every candidate.

    2D-TAN and CDN: one inference method (``method``), the rescaled BCE over the sparse
    candidates, every candidate scored at inference (no pruning). A subclass sets
    ``display_name`` and ``method`` and puts this before the contract base.
    """

    display_name: str
    method: str

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "method" in cls.__dict__:
            cls.inference_methods = (cls.method,)
            cls.method_options = {cls.method: ()}
            cls.validation_method = cls.method

    @classmethod
    def loss_candidates(cls, model_config) -> dict:
        """The loss averages over the sparse map's candidates only."""
        return candidate_set(model_config.pooling_counts)

    @classmethod
    def describe_training(cls, config) -> str:
        """E.g. "2D-TAN Pool, BCE on the IoU rescaled 0.3–0.7"."""
        settings = config.model
        return (
            f"{cls.display_name} {settings.variant.capitalize()}, BCE on the IoU rescaled "
            f"{settings.min_iou:g}–{settings.max_iou:g}"
        )

    @classmethod
    def ablation_rows(cls) -> dict[str, tuple[str, dict]]:
        return {cls.display_name: (cls.method, {})}

    def score_candidates(self, video, queries, *, method: str, **options):
        """Every candidate scored (no pruning): ``(sigmoid(logits), candidates, 1)``."""
        if method != self.method:
            raise ValueError(f"unknown inference method {method!r}; expected {self.method!r}")
        num_queries = tf.shape(queries)[0]
        scores = tf.sigmoid(single_video_logits(self, video, queries))
        return scores, self.valid_candidates(num_queries), tf.ones([num_queries], tf.float32)

    def score_maps(self, video, queries):
        """sigmoid(logits) [M, L, L], 0 outside the candidates."""
        scores = tf.sigmoid(single_video_logits(self, video, queries))
        return tf.where(self.valid_candidates(tf.shape(queries)[0]), scores, tf.zeros_like(scores))
