"""Keras callbacks of a training run: validation recall, loss names, confidence-map images.

The callbacks that a crash backup keeps (checkpoints, early stopping, the backup itself)
are in ``clear_tf.training.backup``.
"""

from __future__ import annotations

import itertools

import keras
import numpy as np
import tensorflow as tf

from clear_tf.config import Config
from clear_tf.run_dir import crash_point


class ValidationRecall(keras.callbacks.Callback):
    """Adds the validation table (``val_R@1,IoU=0.5``, ``val_mIoU``, ...) to each epoch's logs.

    It runs the evaluation protocol (DESIGN §5) on the validation videos with the
    model's ``validation_method`` (CLEAR: full fine ranking, CLEAR-F), so that early
    stopping and the best checkpoint select on the metric the paper reports rather than
    on the loss. Put it before the callbacks that read those logs.

    Args:
        model: the ``MomentLocalizer`` being trained (what ``fit`` runs may be a view
            of it, ``training_model()``, that shares its weights).
        videos: prepared validation videos (``clear_tf.evaluation.prepare_videos``).
        config: the run's config (inference settings: NMS threshold, thresholds, n).
    """

    def __init__(self, model, videos, config: Config):
        super().__init__()
        self.localizer = model
        self.videos = videos
        self.config = config

    def on_epoch_end(self, epoch, logs=None):
        from clear_tf.evaluation import evaluate_videos

        method = self.localizer.validation_method or None
        result = evaluate_videos(self.localizer, self.videos, self.config, inference=method)
        for name, value in result.metrics.items():
            logs[f"val_{name}"] = value


class StepHooks(keras.callbacks.Callback):
    """Per-step odds and ends: the ``train_step`` crash point and, once, the pipeline's report.

    Args:
        report: the training pipeline's ``QueryReport``, logged after the first step
            (the first read of the data, which fills it, is done by then).
        max_query_tokens: S, for the report's message.
    """

    def __init__(self, report=None, max_query_tokens: int = 0):
        super().__init__()
        self.report = report
        self.max_query_tokens = max_query_tokens

    def on_train_batch_begin(self, batch, logs=None):
        crash_point("train_step")

    def on_train_batch_end(self, batch, logs=None):
        if self.report is not None and self.report.message(self.max_query_tokens) is not None:
            self.report.log(self.max_query_tokens)
            self.report = None


class LossAliases(keras.callbacks.Callback):
    """Logs the model's paper names of its losses (CLEAR: Γ₁ ``gamma1``, Γ₂ ``gamma2``, Ψ ``psi``)
    and the learning rate.

    Keras names per-output losses after the outputs (``anchor_similarity_loss``,
    ``fine_logits_loss``); the aliases make TensorBoard read like the paper.

    Args:
        aliases: Keras log name → paper name (``MomentLocalizer.loss_aliases``).
    """

    def __init__(self, aliases: dict[str, str]):
        super().__init__()
        self.aliases = dict(aliases)

    def on_epoch_end(self, epoch, logs=None):
        for prefix in ("", "val_"):
            for keras_name, paper_name in self.aliases.items():
                if prefix + keras_name in logs:
                    logs[prefix + paper_name] = logs[prefix + keras_name]
        logs["learning_rate"] = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))


class ConfidenceMapImages(keras.callbacks.Callback):
    """Writes images of the confidence map with the ground truth for a few val queries.

    Args:
        model: the ``MomentLocalizer`` being trained (its ``confidence_maps``).
        videos: prepared validation videos; the first query of the first
            ``num_queries`` videos is drawn.
        log_dir: TensorBoard folder (images go to ``<log_dir>/images``).
        num_queries: how many queries to draw each epoch.
        normalize_features: as in training (``--normalize_features``).
    """

    def __init__(self, model, videos, log_dir: str, num_queries: int = 4, normalize_features: bool = False):
        super().__init__()
        self.localizer = model
        self.videos = list(itertools.islice(videos, num_queries))
        self.normalize_features = normalize_features
        self.writer = tf.summary.create_file_writer(f"{log_dir}/images")

    def on_epoch_end(self, epoch, logs=None):
        from clear_tf.plots import confidence_map_image

        images = []
        for video in self.videos:
            scores = self.localizer.confidence_maps(
                tf.constant(video.features, tf.float32),
                tf.constant(video.token_ids[:1], tf.int32),
                tf.constant(video.padding_mask[:1], tf.bool),
                self.normalize_features,
            )
            images.append(
                confidence_map_image(
                    scores.numpy()[0],
                    mask=self.localizer.candidate_mask,
                    ground_truth=video.times[0],
                    duration=video.duration,
                    title=video.sentences[0],
                )
            )
        if images:
            with self.writer.as_default():
                tf.summary.image("val/confidence_maps", np.stack(images), step=epoch, max_outputs=len(images))
            self.writer.flush()
