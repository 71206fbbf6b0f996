"""Keras callbacks of a training run: validation recall, loss names, confidence-map images."""

from __future__ import annotations

import itertools
import os

import keras
import numpy as np
import tensorflow as tf

from clear_tf.config import Config
from clear_tf.training.run_dir import write_json_atomic


class ValidationRecall(keras.callbacks.Callback):
    """Adds the validation table (``val_R@1,IoU=0.5``, ``val_mIoU``, ...) to each epoch's logs.

    It runs the evaluation protocol (DESIGN §5) on the validation videos with full fine
    ranking (CLEAR-F), so that early stopping and the best checkpoint select on the
    metric the paper reports rather than on the loss. Put it before the callbacks that
    read those logs.

    Args:
        clear_model: the CLEAR model being trained (what ``fit`` runs may be a view of
            it, ``CLEAR.sentence_vector_model()``, that shares its weights).
        videos: prepared validation videos (``clear_tf.evaluation.prepare_videos``).
        config: the run's config (inference settings: NMS threshold, thresholds, n).
    """

    def __init__(self, clear_model, videos, config: Config):
        super().__init__()
        self.clear_model = clear_model
        self.videos = videos
        self.config = config

    def on_epoch_end(self, epoch, logs=None):
        from clear_tf.evaluation import evaluate_videos

        result = evaluate_videos(self.clear_model, self.videos, self.config, inference="clear_f")
        for name, value in result.metrics.items():
            logs[f"val_{name}"] = value


class FullModelCheckpoint(keras.callbacks.ModelCheckpoint):
    """``ModelCheckpoint`` that saves the CLEAR model even when ``fit`` runs a view of it.

    Training on precomputed sentence vectors fits ``CLEAR.sentence_vector_model()``,
    which shares every weight with the CLEAR model but has no BERT and no token
    inputs; the checkpoint must be the complete model that evaluation and export load.

    Args:
        clear_model: the model to save.
        *args, **kwargs: ``keras.callbacks.ModelCheckpoint`` arguments.
    """

    def __init__(self, clear_model, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.clear_model = clear_model

    def set_model(self, model):
        super().set_model(self.clear_model)


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
    """Logs the paper's names Γ₁ (``gamma1``), Γ₂ (``gamma2``), Ψ (``psi``) and the learning rate.

    Keras names per-output losses after the outputs (``anchor_similarity_loss``,
    ``fine_logits_loss``); the aliases make TensorBoard read like the paper.
    """

    _ALIASES = {
        "anchor_similarity_loss": "gamma1",
        "coarse_scores_loss": "gamma1_binary_nodes",
        "fine_logits_loss": "gamma2",
        "loss": "psi",
    }

    def on_epoch_end(self, epoch, logs=None):
        for prefix in ("", "val_"):
            for keras_name, paper_name in self._ALIASES.items():
                if prefix + keras_name in logs:
                    logs[prefix + paper_name] = logs[prefix + keras_name]
        logs["learning_rate"] = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))


class ConfidenceMapImages(keras.callbacks.Callback):
    """Writes images of the fine confidence map with the ground truth for a few val queries.

    Args:
        clear_model: the CLEAR model being trained.
        videos: prepared validation videos; the first query of the first
            ``num_queries`` videos is drawn.
        log_dir: TensorBoard folder (images go to ``<log_dir>/images``).
        num_queries: how many queries to draw each epoch.
    """

    def __init__(self, clear_model, videos, log_dir: str, num_queries: int = 4):
        super().__init__()
        self.clear_model = clear_model
        self.videos = list(itertools.islice(videos, num_queries))
        self.writer = tf.summary.create_file_writer(f"{log_dir}/images")

    def on_epoch_end(self, epoch, logs=None):
        from clear_tf.plots import confidence_map_image

        images = []
        for video in self.videos:
            outputs = self.clear_model(
                {
                    "features": video.features[None],
                    "token_ids": video.token_ids[None, :1],
                    "padding_mask": video.padding_mask[None, :1].astype("int32"),
                },
                training=False,
            )
            scores = keras.ops.convert_to_numpy(keras.ops.sigmoid(outputs["fine_logits"]))[0, 0]
            images.append(
                confidence_map_image(
                    scores,
                    mask=self.clear_model.candidate_mask,
                    ground_truth=video.times[0],
                    duration=video.duration,
                    title=video.sentences[0],
                )
            )
        if images:
            with self.writer.as_default():
                tf.summary.image("val/confidence_maps", np.stack(images), step=epoch, max_outputs=len(images))
            self.writer.flush()
