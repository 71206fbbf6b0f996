"""The training driver behind ``train.py``: data, model, ``fit`` with callbacks, results, export."""

from __future__ import annotations

import os
import time

from absl import logging
import keras

from clear_tf import data as data_lib
from clear_tf import dataset_info
from clear_tf import evaluation
from clear_tf import models
from clear_tf.config import Config
from clear_tf.run_dir import RunDir, save_config, write_json_atomic
from clear_tf.training import callbacks as callbacks_lib
from clear_tf.training.strategy import configure_determinism, make_strategy


def compile_model(trained: keras.Model, model: models.MomentLocalizer, config: Config) -> None:
    """Adam and the model's losses (CLEAR: Ψ = Γ₁ + αΓ₂, Eq. 9) on ``trained``'s outputs."""
    loss, loss_weights = model.build_losses(config)
    trained.compile(
        optimizer=keras.optimizers.Adam(learning_rate=config.train.learning_rate),
        loss=loss,
        loss_weights=loss_weights,
    )


def build_model(config: Config, feature_dim: int, strategy) -> tuple[keras.Model, keras.Model]:
    """The chosen model and the compiled graph ``fit`` runs (the same, or a view of it).

    A model may train a weight-sharing view of itself (``training_model``): CLEAR with
    a frozen text encoder fits ``CLEAR.sentence_vector_model()``, which takes
    precomputed sentence vectors (the paper's pre-extracted BERT features) and so skips
    BERT in every step.
    """
    with strategy.scope():
        model = models.build_model(config, feature_dim)
        trained = model.training_model()
        compile_model(trained, model, config)
    return model, trained


def _callbacks(config: Config, run: RunDir, model, val_videos) -> list[keras.callbacks.Callback]:
    monitor = config.train.monitor
    return [
        # First: the callbacks below read the metrics it adds to the logs.
        callbacks_lib.ValidationRecall(model, val_videos, config),
        callbacks_lib.LossAliases(model.loss_aliases),
        callbacks_lib.StepAndEpochBackup(run.backup, save_freq=config.train.backup_every_steps),
        callbacks_lib.FullModelCheckpoint(model, run.last_model),
        callbacks_lib.FullModelCheckpoint(
            model, run.best_model, monitor=monitor, mode="max", save_best_only=True
        ),
        keras.callbacks.EarlyStopping(
            monitor=monitor, mode="max", patience=config.train.early_stopping_patience
        ),
        keras.callbacks.TensorBoard(run.logs),
        callbacks_lib.ConfidenceMapImages(
            model, val_videos, run.logs, config.train.num_plot_queries, config.data.normalize_features
        ),
        keras.callbacks.CSVLogger(os.path.join(run.root, "history.csv"), append=True),
    ]


def train(config: Config, flags_text: str | None = None) -> dict:
    """Trains ``config.model_name`` as ``config`` says; returns the test results written to results.json.

    Running the same command again after a crash resumes from the last backup
    (written every ``backup_every_steps`` steps and at every epoch end): weights,
    optimizer state and epoch are restored, and the interrupted epoch's data pass
    starts again. A run that finished deletes its backup.
    """
    configure_determinism(config.train.seed, config.train.deterministic)
    strategy = make_strategy(config.train.logical_cpus)
    run = RunDir(config.train.run_dir).make()
    save_config(run, config, flags_text)

    feature_dim = dataset_info.feature_dim(config)
    # With a step cap Keras keeps one iterator across epochs, so the data must repeat.
    train_dataset = data_lib.make_distributed_dataset(
        strategy,
        config,
        splits=config.data.train_splits,
        repeat=bool(config.train.steps_per_epoch),
    )
    val_videos = evaluation.prepare_videos(config, config.data.val_split)
    model, trained = build_model(config, feature_dim, strategy)

    steps = config.train.steps_per_epoch or None
    logging.info("Training %s on %s (%s)", run.root, config.data.dataset, "+".join(config.data.train_splits))
    started = time.time()
    history = trained.fit(
        train_dataset,
        epochs=config.train.epochs,
        steps_per_epoch=steps,
        callbacks=_callbacks(config, run, model, val_videos),
        verbose=1,
    )
    train_seconds = time.time() - started

    best = models.load_model(run.best_model) if os.path.exists(run.best_model) else model
    test_videos = evaluation.prepare_videos(config, config.data.test_split)
    result = evaluation.evaluate_videos(best, test_videos, config)
    baseline = evaluation.prior_baseline_metrics(config, test_videos)
    results = {
        "model": config.model_name,
        "dataset": config.data.dataset,
        "split": config.data.test_split,
        "protocol": evaluation.protocol_description(config),
        "train_splits": list(config.data.train_splits),
        "epochs_run": len(history.epoch),
        "train_seconds": round(train_seconds, 1),
        **result.summary(),
        "baseline": baseline,
    }
    write_json_atomic(run.results, results)
    logging.info("Test results:\n%s", evaluation.format_table({result.method: result.summary()}, baseline))
    if config.train.export:
        _export(best, config, run)
    return results


def _export(model: models.MomentLocalizer, config: Config, run: RunDir) -> None:
    from clear_tf.export import export_saved_model

    export_saved_model(model, run.export, config=config)
    logging.info("Exported the best model to %s", run.export)
