"""The training driver behind ``train.py``: data, model, ``fit`` with callbacks, results, export.

A run goes through four stages, recorded in ``<run_dir>/progress.json`` by the chief:

``fit``
    ``fit`` with crash backups (``clear_tf.training.backup``); a restart resumes from the
    last one, mid-epoch included, with the same data order, random state, loss means,
    best value and patience, so that it ends as an uninterrupted run would.
``test``
    the best checkpoint on the test split → ``results.json``.
``export``
    the SavedModel into ``<run_dir>/export`` (stale partial folders removed first).
``done``
    nothing left: the same command again only reports the results.

A restart with the same command resumes at the stage that was running. A restart with
flags that change the model, the data or model selection stops at once, naming them
(``preflight.RESUMABLE_FLAGS`` lists those that may change).
"""

from __future__ import annotations

import csv
import dataclasses
import os
import shutil
import warnings

from absl import logging
import keras
import tensorflow as tf

from clear_tf import dataset_info
from clear_tf import evaluation
from clear_tf import learning_rate
from clear_tf import models
from clear_tf.config import Config
from clear_tf.data.pipeline import QueryReport
from clear_tf.run_dir import (
    RunDir,
    crash_point,
    read_json,
    save_config,
    write_json_atomic,
)
from clear_tf.training import backup as backup_lib
from clear_tf.training import callbacks as callbacks_lib
from clear_tf.training import preflight
from clear_tf.training.data import DataPosition, FreshEpochs, training_data
from clear_tf.training.strategy import Worker, configure_determinism, make_strategy, worker_info

STAGES = ("fit", "test", "export", "done")


def compile_model(trained: keras.Model, model: models.MomentLocalizer, config: Config) -> None:
    """Adam (scheduled by --warmup_steps, --lr_decay) and the model's losses (CLEAR: Ψ = Γ₁ +
    αΓ₂, Eq. 9) on ``trained``'s outputs."""
    loss, loss_weights = model.build_losses(config)
    trained.compile(
        optimizer=keras.optimizers.Adam(
            learning_rate=learning_rate.learning_rate(
                config.train.learning_rate, config.train.warmup_steps, config.train.lr_decay
            )
        ),
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


def read_progress(run: RunDir) -> dict:
    """``progress.json`` (stage, epochs_run, train_seconds); a new run is at ``fit``.

    A folder written before stages were recorded counts as ``done`` when it has results.
    """
    progress = read_json(run.progress)
    if progress is None:
        progress = {"stage": "done" if os.path.isfile(run.results) else "fit"}
    if progress.get("stage") not in STAGES:
        raise preflight.SetupError(f"{run.progress}: unknown stage {progress.get('stage')!r}; use a new --run_dir")
    return progress


def train(config: Config, flags_text: str | None = None) -> dict:
    """Trains ``config.model_name`` as ``config`` says; returns the test results written to results.json.

    Running the same command again after a crash resumes where it stopped (see the
    module docstring); a finished run is not trained again.

    In a multi-worker run (``--strategy=multi_worker``) every worker calls this; the
    chief writes the run folder and returns the results, the other workers return an
    empty dict after ``fit``.

    Raises:
        preflight.SetupError: a flag or the environment cannot work, or the run folder
            holds a run with other settings; raised before anything is written.
    """
    preflight.check_training(config)
    run = RunDir(config.train.run_dir)
    progress = read_progress(run) if os.path.isdir(run.root) else {"stage": "fit"}
    # Search options picked on val (--tune_search_on_val) are part of the run's config.
    config = _with_tuned(config, progress.get("tuned"))
    preflight.check_resume(config, run)
    try:
        worker = worker_info(config.train.strategy)
    except ValueError as error:
        raise preflight.SetupError(str(error)) from None
    stage = progress["stage"]

    if stage == "done":
        logging.info(
            "%s has finished (results.json); nothing to do. Use a new --run_dir to train again.", run.root
        )
        return read_json(run.results, {}) if worker.is_chief else {}
    if stage != "fit" and not worker.is_chief:
        logging.info("Training in %s has ended; the chief does the %s stage.", run.root, stage)
        return {}

    configure_determinism(config.train.seed, config.train.deterministic)
    if worker.is_chief:
        run.make()
        save_config(run, config, flags_text)

    if stage == "fit":
        # The strategy only for fit: a restart at a later stage needs no other worker.
        strategy = make_strategy(config.train.strategy, config.train.logical_cpus)
        fitted = _fit(config, run, strategy, worker)
        if not worker.is_chief:
            shutil.rmtree(run.worker_temp(worker.index), ignore_errors=True)
            return {}
        progress = {"stage": "test", **fitted}
        write_json_atomic(run.progress, progress)
        backup_lib.BackupFolder(run.backup).delete()
        stage = "test"

    if stage == "test":
        if config.train.tune_search_on_val and "tuned" not in progress:
            tuned = _tune_on_val(config)
            progress = {**progress, "tuned": tuned}
            write_json_atomic(run.progress, progress)
            config = _with_tuned(config, tuned)
            save_config(run, config, flags_text)
        results = _test(config, run, progress)
        progress = {**progress, "stage": "export" if config.train.export else "done"}
        write_json_atomic(run.progress, progress)
        stage = progress["stage"]
    else:
        results = read_json(run.results, {})

    if stage == "export":
        _export(_best_model(run), config, run)
        write_json_atomic(run.progress, {**progress, "stage": "done"})
    return results


def _with_tuned(config: Config, tuned: dict | None) -> Config:
    if not tuned:
        return config
    return dataclasses.replace(config, model=dataclasses.replace(config.model, **tuned))


def _tune_on_val(config: Config) -> dict:
    """The search options the best model picks on ``--val_split`` (``tune_search_options``)."""
    tuned = evaluation.tune_on_split(_best_model(RunDir(config.train.run_dir)), config)
    logging.info("Picked on %s: %s", config.data.val_split, tuned)
    return tuned


def _fit(config: Config, run: RunDir, strategy, worker: Worker) -> dict:
    """``fit`` from the last backup (or from scratch); returns epochs_run and train_seconds."""
    train_config = config.train
    folder = backup_lib.BackupFolder(run.backup)
    restored = None
    if worker.is_chief:
        folder.clean()
        backup_lib.remove_partial_files(os.path.dirname(run.best_model))
    restored = folder.load()
    state = restored[0] if restored else {}
    if state and state.get("steps_per_epoch", train_config.steps_per_epoch) != train_config.steps_per_epoch:
        raise preflight.SetupError(
            f"the backup in {run.backup} was written with --steps_per_epoch={state['steps_per_epoch']}"
        )
    resume_epoch, resume_step = int(state.get("epoch", 0)), int(state.get("step", 0))
    if restored:
        logging.info("Resuming %s at epoch %d, step %d (backup %s)", run.root, resume_epoch + 1, resume_step, restored[1])
    if worker.is_chief:
        _keep_history_before(run.history, resume_epoch)

    position = DataPosition(train_config.steps_per_epoch, resume_epoch, resume_step)
    report = QueryReport()
    feature_dim = dataset_info.feature_dim(config)
    dataset = training_data(strategy, config, position, report)
    val_videos = evaluation.prepare_videos(config, config.data.val_split)
    # Preparing the data (a TFDS build on first use, a model's vocabulary) may draw from
    # the global random state: seeded again here, the initial weights follow --seed alone.
    keras.utils.set_random_seed(config.train.seed)
    model, trained = build_model(config, feature_dim, strategy)

    if isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        _build_from_local_batch(trained, strategy)
    callbacks, backup = _callbacks(config, run, worker, model, trained, val_videos, position, report, restored)
    done = state.get("stopped", False) or resume_epoch >= train_config.epochs
    logging.info("Training %s on %s (%s)", run.root, config.data.dataset, "+".join(config.data.train_splits))
    if not done:
        steps = train_config.steps_per_epoch or _steps_per_pass(config, strategy, dataset, report)
        if resume_step >= steps:
            raise preflight.SetupError(f"the backup in {run.backup} is at step {resume_step} of a {steps}-step epoch")
        # Keras is told every epoch's exact length, so that it never runs a step on an
        # exhausted iterator (such a step still advances the random and optimizer
        # counters). The epoch resumed mid-way is shorter: it is a fit of its own.
        parts = [(resume_epoch, train_config.epochs, steps)]  # (first epoch, end, steps)
        if resume_step:
            parts = [(resume_epoch, resume_epoch + 1, steps - resume_step)]
            parts.append((resume_epoch + 1, train_config.epochs, steps))
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*shuffle=True.*tf.data.Dataset")
            for start_epoch, epochs, epoch_steps in parts:
                if start_epoch >= epochs or backup.stopped:
                    break
                trained.fit(
                    FreshEpochs(dataset, epoch_steps),
                    epochs=epochs,
                    initial_epoch=start_epoch,
                    callbacks=keras.callbacks.CallbackList(
                        callbacks,
                        add_history=True,
                        add_progbar=True,
                        verbose=1,
                        epochs=train_config.epochs,
                        steps=epoch_steps,
                        model=trained,
                    ),
                    verbose=1,
                )
    return {"epochs_run": backup.completed_epochs, "train_seconds": round(backup.train_seconds(), 1)}


def _build_from_local_batch(trained: keras.Model, strategy) -> None:
    """Makes ``fit`` build the model on one replica's batch under MultiWorkerMirroredStrategy.

    Before its first step ``fit`` builds the model (and its loss metrics) from a batch
    averaged over the replicas with ``strategy.reduce``, which
    MultiWorkerMirroredStrategy's collective reduce cannot do for the dicts of inputs
    and targets ("Attempt to convert a value ({'features': PerReplica...}) to a
    Tensor"). The build needs shapes and dtypes only: this process's first replica's
    batch has them.
    """

    def maybe_symbolic_build(iterator=None, data_batch=None):
        if iterator is not None:
            for _, _, batches in iterator:
                data_batch = next(batches)
                break
        data_batch = tf.nest.map_structure(
            lambda value: strategy.experimental_local_results(value)[0]
            if isinstance(value, tf.distribute.DistributedValues)
            else value,
            data_batch,
        )
        with strategy.scope():
            trained._symbolic_build(data_batch=data_batch)

    trained._maybe_symbolic_build = maybe_symbolic_build


def _steps_per_pass(config: Config, strategy, dataset, report: QueryReport) -> int:
    """Steps of one pass over the training split (``--steps_per_epoch=0``), from the chunk count.

    Reading one batch makes the pipeline take its counts (the first read of every
    video); each step then takes one batch per replica, whole batches only.
    """
    next(iter(dataset))
    replicas = strategy.num_replicas_in_sync
    per_replica = config.data.batch_size // replicas
    # One input pipeline per worker (--steps_per_epoch=0 is single-worker only).
    steps = int(report.chunks.numpy()) // per_replica // replicas
    if steps < 1:
        raise preflight.SetupError(
            f"--train_splits={','.join(config.data.train_splits)} holds {int(report.chunks.numpy())} "
            f"elements of --queries_per_video={config.data.queries_per_video} queries: less than one "
            f"batch (--batch_size={config.data.batch_size})"
        )
    return steps


def _prior_on_val(config: Config, val_videos) -> float | None:
    """The query-blind prior's value of ``--monitor`` on val, fitted on val's own moments
    (no training timestamp read); None when the monitor is not one of its metrics."""
    name = config.train.monitor.removeprefix("val_")
    if not config.train.monitor.startswith("val_") or not val_videos:
        return None
    value = evaluation.prior_baseline_metrics(config, val_videos, fitted_on=val_videos).get(name)
    if value is not None:
        logging.info("Early stopping counts patience once %s > %.2f (the query-blind prior on val)", config.train.monitor, value)
    return value


def _callbacks(config, run, worker, model, trained, val_videos, position, report, restored):
    """The callbacks of ``fit``, in order, and the backup callback (the last of them)."""
    train_config = config.train
    saved = (restored[0] if restored else {}).get("callbacks", {})
    worker_dir = None if worker.is_chief else run.worker_temp(worker.index)
    last = backup_lib.ModelFileCheckpoint(model, run.last_model, write_dir=worker_dir)
    best = backup_lib.ModelFileCheckpoint(
        model,
        run.best_model,
        monitor=train_config.monitor,
        state=saved.get("best_checkpoint"),
        crash_name="best_checkpoint_write",
        write_dir=worker_dir,
    )
    early_stopping = backup_lib.ResumableEarlyStopping(
        monitor=train_config.monitor,
        mode="max",
        patience=train_config.early_stopping_patience,
        state=saved.get("early_stopping"),
        learned_above=_prior_on_val(config, val_videos),
    )
    write_folder = None
    if not worker.is_chief:
        write_folder = backup_lib.BackupFolder(os.path.join(worker_dir, "backup"))
    backup = backup_lib.TrainingBackup(
        backup_lib.BackupFolder(run.backup),
        trained,
        every_steps=train_config.backup_every_steps,
        position=position,
        selection={"best_checkpoint": best, "early_stopping": early_stopping},
        restored=restored,
        write_folder=write_folder,
        steps_per_epoch=train_config.steps_per_epoch,
    )
    callbacks = [
        position,
        backup_lib.ResumedEpochLogs(backup),
        callbacks_lib.StepHooks(report if worker.is_chief else None, config.data.max_query_tokens),
        # The callbacks below read the metrics it adds to the logs.
        callbacks_lib.ValidationRecall(model, val_videos, config),
        callbacks_lib.LossAliases(model.loss_aliases),
        last,
        best,
        early_stopping,
    ]
    if worker.is_chief:
        callbacks += [
            keras.callbacks.TensorBoard(run.logs),
            callbacks_lib.ConfidenceMapImages(
                model, val_videos, run.logs, train_config.num_plot_queries, config.data.normalize_features
            ),
            keras.callbacks.CSVLogger(run.history, append=True),
        ]
    # Last: the epoch-end backup holds what all the others did in the epoch.
    callbacks.append(backup)
    return callbacks, backup


def _keep_history_before(path: str, epoch: int) -> None:
    """Drops the rows of epochs >= ``epoch`` from history.csv (written before a crash, redone now)."""
    if not os.path.isfile(path):
        return
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    if not rows or epoch == 0:
        os.remove(path)
        return
    header, body = rows[0], rows[1:]
    kept = [row for row in body if row and int(row[0]) < epoch]
    if len(kept) == len(body):
        return
    tmp = path + ".tmp"
    with open(tmp, "w", newline="") as f:
        csv.writer(f).writerows([header, *kept])
    os.replace(tmp, path)


def _best_model(run: RunDir):
    path = run.best_model if os.path.isfile(run.best_model) else run.last_model
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{run.root} has neither checkpoints/best.keras nor last.keras to evaluate")
    if path == run.last_model:
        logging.warning("No best checkpoint in %s (the monitored metric never improved): using last.keras", run.root)
    return models.load_model(path)


def _test(config: Config, run: RunDir, progress: dict) -> dict:
    """Evaluates the best checkpoint on the test split and writes results.json."""
    best = _best_model(run)
    test_videos = evaluation.prepare_videos(config, config.data.test_split)
    result = evaluation.evaluate_videos(best, test_videos, config)
    baseline = evaluation.prior_baseline_metrics(config, test_videos)
    oracle = evaluation.oracle_metrics(config, config.data.test_split)
    crash_point("test_evaluation")
    results = {
        "model": config.model_name,
        "dataset": config.data.dataset,
        "split": config.data.test_split,
        "protocol": evaluation.protocol_description(config),
        "train_splits": list(config.data.train_splits),
        "epochs_run": int(progress.get("epochs_run", 0)),
        "train_seconds": progress.get("train_seconds", 0.0),
        **result.summary(),
        "baseline": baseline,
    }
    if oracle:
        results["oracle"] = oracle
    write_json_atomic(run.results, results)
    logging.info(
        "Test results:\n%s", evaluation.format_table({result.method: result.summary()}, baseline, oracle)
    )
    return results


def _export(model: models.MomentLocalizer, config: Config, run: RunDir) -> None:
    from clear_tf.export import export_saved_model
    from clear_tf.export.saved_model import remove_stale_versions

    remove_stale_versions(run.export)
    export_saved_model(
        model,
        run.export,
        config=config,
        text_endpoints=config.train.export_text_endpoints,
        before_publish=lambda: crash_point("export_write"),
    )
    logging.info("Exported the best model to %s", run.export)


__all__ = ["STAGES", "build_model", "compile_model", "read_progress", "train"]
