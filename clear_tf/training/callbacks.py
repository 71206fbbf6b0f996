"""Keras callbacks of a training run: validation recall, loss names, confidence-map images."""

from __future__ import annotations

import itertools
import os

import keras
import numpy as np
import tensorflow as tf

from clear_tf.config import Config
from clear_tf.run_dir import write_json_atomic


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


class FullModelCheckpoint(keras.callbacks.ModelCheckpoint):
    """``ModelCheckpoint`` that saves the whole model even when ``fit`` runs a view of it.

    A model's ``training_model()`` may be a view (CLEAR on precomputed sentence vectors
    has no BERT and no token inputs) that shares every weight; the checkpoint must be
    the complete model that evaluation and export load.

    Args:
        model: the model to save.
        *args, **kwargs: ``keras.callbacks.ModelCheckpoint`` arguments.
    """

    def __init__(self, model, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.full_model = model

    def set_model(self, model):
        super().set_model(self.full_model)


class StepAndEpochBackup(keras.callbacks.BackupAndRestore):
    """``BackupAndRestore`` that backs up every ``save_freq`` steps *and* at every epoch end.

    Keras's callback with an integer ``save_freq`` saves only on steps, so a crash early
    in epoch e restored epoch e-1's last backup and redid that epoch. Saving at the end of
    every epoch as well makes the restored epoch counter the last completed epoch. Every
    backup is written atomically, so a kill mid-write leaves the previous one intact.
    """

    def on_epoch_end(self, epoch, logs=None):
        super().on_epoch_end(epoch, logs)
        if self.save_freq != "epoch":
            self._save_model()

    def _save_model(self):
        # Keras writes the backup in place, so a kill during the write left a truncated
        # metadata file that made the restart fail. Write both files through temporary
        # names and rename them into place (the names are Keras's own attributes).
        os.makedirs(self.backup_dir, exist_ok=True)
        partial_weights = os.path.join(self.backup_dir, "partial.weights.h5")
        self.model.save_weights(filepath=partial_weights, overwrite=True)
        os.replace(partial_weights, self._weights_path)
        write_json_atomic(
            self._training_metadata_path,
            {"epoch": self._current_epoch, "batch": self._last_batch_seen},
        )


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
