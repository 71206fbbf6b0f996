"""Crash backups of a training run, and the callbacks whose state they keep.

A backup is one folder, ``<run_dir>/backup/current/``, holding everything an
interrupted run needs to go on as if it had never stopped:

* ``weights.weights.h5``: the weights and the optimizer state (Keras ``save_weights``);
* ``arrays.npz``: the random-number state of every ``SeedGenerator`` (dropout) and,
  mid-epoch, the running loss metrics of the epoch;
* ``state.json``: the position (epoch, step within it), the epochs completed, whether
  early stopping ended training, the state of the model-selection callbacks (the best
  value of the best checkpoint, EarlyStopping's best and patience counter) and the
  training seconds so far.

It is written into a fresh folder that is renamed into place (the previous one is moved
aside first, then deleted), so a kill at any moment leaves one complete backup: the
new one, or the previous one. The data order needs no state: it is seeded by epoch
(``clear_tf.training.data``).

In a multi-worker run every worker runs the same steps (reading the metrics is a
collective operation); only the chief writes into the run folder, the others write
into their own temporary folder, which they delete.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import time
import uuid

from absl import logging
import keras
import numpy as np
import tensorflow as tf

from clear_tf.run_dir import crash_point, read_json, temporary_path

CURRENT = "current"
WEIGHTS = "weights.weights.h5"
ARRAYS = "arrays.npz"
STATE = "state.json"


def _finite_or_none(value):
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


class BackupFolder:
    """The backup folder of a run: load the last complete backup, publish a new one."""

    def __init__(self, root: str):
        self.root = root

    @property
    def current(self) -> str:
        return os.path.join(self.root, CURRENT)

    def _complete(self) -> list[str]:
        """Complete backups, the newest first (``current``, then one moved aside by a crash)."""
        if not os.path.isdir(self.root):
            return []
        aside = sorted(
            (os.path.join(self.root, name) for name in os.listdir(self.root) if name.startswith(".previous-")),
            key=os.path.getmtime,
            reverse=True,
        )
        return [folder for folder in [self.current, *aside] if os.path.isfile(os.path.join(folder, STATE))]

    def load(self) -> tuple[dict, str] | None:
        """``(state, folder)`` of the last complete backup, or None when there is none."""
        complete = self._complete()
        if not complete:
            return None
        return read_json(os.path.join(complete[0], STATE)), complete[0]

    def publish(self, write) -> None:
        """Writes a new backup with ``write(folder)`` and makes it ``current`` atomically."""
        os.makedirs(self.root, exist_ok=True)
        self.clean()
        pending = os.path.join(self.root, f".pending-{os.getpid()}-{uuid.uuid4().hex[:8]}")
        os.mkdir(pending)
        try:
            write(pending)
            crash_point("backup_write")
            previous = None
            if os.path.isdir(self.current):
                previous = os.path.join(self.root, f".previous-{uuid.uuid4().hex[:8]}")
                os.rename(self.current, previous)
            os.rename(pending, self.current)
        except BaseException:
            shutil.rmtree(pending, ignore_errors=True)
            raise
        if previous is not None:
            shutil.rmtree(previous, ignore_errors=True)

    def clean(self) -> None:
        """Removes what a crash left: unfinished backups, and old ones once ``current`` is whole."""
        if not os.path.isdir(self.root):
            return
        have_current = os.path.isfile(os.path.join(self.current, STATE))
        for name in os.listdir(self.root):
            path = os.path.join(self.root, name)
            if name.startswith(".pending-") or (name.startswith(".previous-") and have_current):
                shutil.rmtree(path, ignore_errors=True)
        if not have_current and self._complete():
            os.rename(self._complete()[0], self.current)

    def delete(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def seed_state_variables(model: keras.Model) -> list:
    """The state variables of every ``SeedGenerator`` of ``model`` (dropout masks)."""
    return [v for v in model.variables if v.name == "seed_generator_state"]


def metric_variables(model: keras.Model) -> list:
    """The variables of the compiled metrics (the running loss means of the epoch)."""
    return [v for metric in model.metrics for v in metric.variables]


class TrainingBackup(keras.callbacks.Callback):
    """Backs up the training state every ``every_steps`` steps and at every epoch end.

    Put it last: the epoch-end backup then holds what every other callback did in that
    epoch (checkpoints, the history row, early stopping). A run killed before it is
    written redoes the epoch's end from the previous backup, identically.

    Args:
        folder: the run's ``BackupFolder``.
        trained: the graph ``fit`` runs (its weights, optimizer, metrics, seeds).
        every_steps: steps between backups within an epoch (0: epoch ends only).
        position: the ``DataPosition`` (where the resumed epoch starts).
        selection: name → callback with ``state()`` (the model-selection callbacks).
        restored: ``(state, folder)`` of the backup this run resumes from, or None.
        write_folder: where this process writes: ``folder`` on the chief; a worker's
            temporary ``BackupFolder`` elsewhere.
        steps_per_epoch: recorded, and checked on resume.
    """

    def __init__(
        self,
        folder: BackupFolder,
        trained: keras.Model,
        *,
        every_steps: int,
        position,
        selection: dict,
        restored: tuple[dict, str] | None,
        write_folder: BackupFolder | None = None,
        steps_per_epoch: int = 0,
    ):
        super().__init__()
        self.folder = folder
        self.write_folder = write_folder or folder
        self.trained = trained
        self.every_steps = max(int(every_steps), 0)
        self.position = position
        self.selection = selection
        self.restored = restored
        self.steps_per_epoch = steps_per_epoch
        state = restored[0] if restored else {}
        self.seconds_before = float(state.get("train_seconds", 0.0))
        self.completed_epochs = int(state.get("completed_epochs", 0))
        self.stopped = bool(state.get("stopped", False))
        self._started = None
        self._restore_done = False
        self._epoch = None

    # === Restoring ===

    def on_train_begin(self, logs=None):
        # A resumed run may call fit twice (the rest of the interrupted epoch, then
        # the others): restore and start the clock once.
        if self._started is None:
            self._started = time.time()
        if self.restored is None or self._restore_done:
            return
        self._restore_done = True
        state, folder = self.restored
        trained = self.trained
        if trained.optimizer is not None and not trained.optimizer.built:
            trained.optimizer.build(trained.trainable_variables)
        trained.load_weights(os.path.join(folder, WEIGHTS))
        arrays = np.load(os.path.join(folder, ARRAYS))
        seeds = seed_state_variables(trained)
        if len(seeds) != int(state.get("num_seed_states", len(seeds))):
            raise ValueError(f"the backup in {folder} does not fit this model (seed generators differ)")
        for index, variable in enumerate(seeds):
            variable.assign(arrays[f"seed_{index}"])
        self._metric_arrays = [arrays[f"metric_{i}"] for i in range(int(state.get("num_metrics", 0)))]

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch
        if not (epoch == self.position.resume_epoch and self.position.resume_step > 0):
            self._metric_arrays = None

    # === Writing ===

    def on_train_batch_end(self, batch, logs=None):
        arrays = getattr(self, "_metric_arrays", None)
        if arrays:
            # The epoch's loss means restarted from zero in this process (and exist only
            # once the first step has run): add what the steps before the crash summed,
            # so that the epoch's logged losses are those of an uninterrupted epoch.
            _add_to_metrics(self.trained, arrays)
        self._metric_arrays = None
        step = self.position.first_step(self._epoch) + batch + 1
        if self.every_steps and step % self.every_steps == 0:
            self._save(epoch=self._epoch, step=step, with_metrics=True)

    def resumed_epoch_logs(self, epoch: int, logs: dict) -> None:
        """In the epoch resumed mid-way, the loss means of the whole epoch into ``logs``.

        Keras takes an epoch's losses from its last step's logs, which, when the first
        step after the resume is also the last, predate the sums put back after it.
        """
        if logs is None or not (epoch == self.position.resume_epoch and self.position.resume_step > 0):
            return
        for name, value in self.trained.get_metrics_result().items():
            if name in logs:
                logs[name] = float(value)

    def on_epoch_end(self, epoch, logs=None):
        self.completed_epochs = epoch + 1
        self.stopped = bool(self.model.stop_training)
        self._save(epoch=epoch + 1, step=0, with_metrics=False)

    def train_seconds(self) -> float:
        return self.seconds_before + (time.time() - self._started if self._started else 0.0)

    def state(self, epoch: int, step: int) -> dict:
        return {
            "epoch": int(epoch),
            "step": int(step),
            "completed_epochs": self.completed_epochs,
            "stopped": self.stopped,
            "steps_per_epoch": self.steps_per_epoch,
            "train_seconds": round(self.train_seconds(), 3),
            "callbacks": {name: callback.state() for name, callback in self.selection.items()},
        }

    def _save(self, *, epoch: int, step: int, with_metrics: bool) -> None:
        # Every worker reads the same values in the same order (metric reads are
        # collective in a multi-worker run); only the chief's folder is the run's.
        seeds = [np.asarray(v.numpy()) for v in seed_state_variables(self.trained)]
        metrics = [np.asarray(v.numpy()) for v in metric_variables(self.trained)] if with_metrics else []
        state = self.state(epoch, step)
        state["num_seed_states"], state["num_metrics"] = len(seeds), len(metrics)

        def write(folder):
            self.trained.save_weights(os.path.join(folder, WEIGHTS))
            np.savez(
                os.path.join(folder, ARRAYS),
                **{f"seed_{i}": value for i, value in enumerate(seeds)},
                **{f"metric_{i}": value for i, value in enumerate(metrics)},
            )
            with open(os.path.join(folder, STATE), "w", encoding="utf-8") as f:
                json.dump(state, f, indent=2, sort_keys=True)

        self.write_folder.publish(write)
        if self.write_folder is not self.folder:
            self.write_folder.delete()


def _add_to_metrics(trained: keras.Model, values: list) -> None:
    """Adds ``values`` (as read in cross-replica context) to the compiled metrics' variables.

    The loss means keep additive state (a total and a count, aggregated by summing
    over replicas), so adding the sums of the steps before a crash to those of the
    steps after it gives the epoch's sums. Each replica adds an equal share.
    """
    variables = metric_variables(trained)
    if len(variables) != len(values):
        raise ValueError("the backup's loss metrics do not fit this model")
    for variable in variables:
        if getattr(variable, "aggregation", "sum") != "sum":
            raise ValueError(f"metric variable {variable.path} is not additive; cannot resume it mid-epoch")
    strategy = trained.distribute_strategy
    replicas = strategy.num_replicas_in_sync

    def add():
        for variable, value in zip(variables, values):
            variable.assign_add(tf.cast(value / replicas, variable.dtype))

    if replicas == 1:
        add()
    else:
        tf.function(lambda: strategy.run(add))()


class ResumedEpochLogs(keras.callbacks.Callback):
    """Put first among the callbacks: ``TrainingBackup.resumed_epoch_logs`` before the others read the logs."""

    def __init__(self, backup: TrainingBackup):
        super().__init__()
        self.backup = backup

    def on_epoch_end(self, epoch, logs=None):
        self.backup.resumed_epoch_logs(epoch, logs)


class ResumableEarlyStopping(keras.callbacks.EarlyStopping):
    """``EarlyStopping`` whose best value and patience counter survive a resume, and
    whose patience counts only once the model has learned something.

    ``learned_above`` is what the monitored metric must exceed before an epoch without
    improvement counts (the trainer passes the query-blind prior's value on val): a run
    whose first epochs sit at or under the prior (the fine head ranking a one-clip
    moment first for every query, say) trains on to ``--epochs`` instead of stopping
    and exporting a model that has not learned. Whether it has is ``best >
    learned_above``, so a resumed run knows it from the restored best.

    Args:
        state: ``state()`` of the run before the crash (None: start fresh).
        learned_above: the value to beat before patience counts (None: from the start).
        *args, **kwargs: ``keras.callbacks.EarlyStopping`` arguments.
    """

    def __init__(self, *args, state: dict | None = None, learned_above: float | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial_state = state
        self.learned_above = learned_above
        self._fits = 0

    def on_train_begin(self, logs=None):
        # Keras resets the state at every fit; a resumed run calls fit twice (the rest
        # of the interrupted epoch, then the others), and the state carries over.
        state = self.initial_state if self._fits == 0 else self.state()
        self._fits += 1
        super().on_train_begin(logs)
        if state:
            self.wait = int(state["wait"])
            self.best = state["best"]
            self.best_epoch = int(state["best_epoch"])
            self.stopped_epoch = int(state["stopped_epoch"])

    def has_learned(self) -> bool:
        """The best value so far exceeds ``learned_above`` (always True without one)."""
        return self.learned_above is None or (self.best is not None and self.best > self.learned_above)

    def on_epoch_end(self, epoch, logs=None):
        current = self.get_monitor_value(logs)
        if self.has_learned() or current is None or current > self.learned_above:
            super().on_epoch_end(epoch, logs)
            return
        if self.monitor_op is None:
            self._set_monitor_op()
        if self._is_improvement(current, self.best):
            self.best, self.best_epoch = current, epoch
        logging.info(
            "Epoch %d: %s = %.2f, not above the query-blind prior on val (%.2f): early stopping's "
            "patience starts once it is",
            epoch + 1,
            self.monitor,
            current,
            self.learned_above,
        )

    def state(self) -> dict:
        return {
            "wait": int(self.wait),
            "best": _finite_or_none(self.best),
            "best_epoch": int(self.best_epoch),
            "stopped_epoch": int(self.stopped_epoch),
        }


class ModelFileCheckpoint(keras.callbacks.Callback):
    """Saves the whole model at every epoch end, or only when ``monitor`` improves.

    The file is written under a temporary name and renamed into place, so a kill during
    the write leaves the previous file intact. The model saved is the complete one
    even when ``fit`` runs a view of it (``MomentLocalizer.training_model()``), since
    evaluation and export load it.

    Args:
        model: the model to save.
        path: the ``.keras`` file.
        monitor: a log key to maximise (None: save every epoch).
        state: ``state()`` of the run before the crash (the best value so far).
        crash_name: the ``crash_point`` between writing and renaming.
        write_dir: where a non-chief worker writes (and deletes) its copy; None on the chief.
    """

    def __init__(
        self,
        model,
        path: str,
        *,
        monitor: str | None = None,
        state: dict | None = None,
        crash_name: str = "last_checkpoint_write",
        write_dir: str | None = None,
    ):
        super().__init__()
        self.full_model = model
        self.path = path
        self.monitor = monitor
        self.best = (state or {}).get("best")
        self.crash_name = crash_name
        self.write_dir = write_dir

    def state(self) -> dict:
        return {"best": _finite_or_none(self.best)}

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor is not None:
            value = (logs or {}).get(self.monitor)
            if value is None:
                raise KeyError(f"--monitor={self.monitor!r} is not in the epoch's logs: {sorted(logs or {})}")
            value = float(value)
            if math.isnan(value) or (self.best is not None and not value > self.best):
                return
            self.best = value
        if self.write_dir is not None:
            os.makedirs(self.write_dir, exist_ok=True)
            target = os.path.join(self.write_dir, os.path.basename(self.path))
            save_model_atomic(self.full_model, target)
            os.remove(target)
            return
        save_model_atomic(self.full_model, self.path, crash_name=self.crash_name)


def save_model_atomic(model, path: str, crash_name: str | None = None) -> None:
    """``model.save(path)`` through a temporary name, renamed into place."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = temporary_path(path)
    try:
        model.save(tmp, overwrite=True)
        if crash_name:
            crash_point(crash_name)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def remove_partial_files(folder: str) -> None:
    """Deletes the temporary files a kill left in ``folder`` (``.<name>.partial-*``)."""
    if not os.path.isdir(folder):
        return
    for name in os.listdir(folder):
        if name.startswith(".") and ".partial-" in name:
            path = os.path.join(folder, name)
            if os.path.isdir(path):
                shutil.rmtree(path, ignore_errors=True)
            else:
                os.remove(path)
