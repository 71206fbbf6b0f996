"""The run folder's files survive kills: backups, history rows, stages, the crash hook."""

import csv
import json
import os
import subprocess
import sys

import pytest

from clear_tf.run_dir import CRASH_ENV, RunDir, crash_point, temporary_path
from clear_tf.training.backup import STATE, BackupFolder, remove_partial_files
from clear_tf.training.trainer import _keep_history_before, read_progress


def _write(folder, value):
    def write(path):
        with open(os.path.join(path, STATE), "w") as f:
            json.dump({"value": value}, f)
        with open(os.path.join(path, "weights.weights.h5"), "w") as f:
            f.write(str(value))

    folder.publish(write)


def test_a_backup_is_published_whole(tmp_path):
    folder = BackupFolder(str(tmp_path / "backup"))
    assert folder.load() is None
    _write(folder, 1)
    _write(folder, 2)
    state, path = folder.load()
    assert state == {"value": 2} and path == folder.current
    assert os.listdir(folder.root) == ["current"]

    # Killed while writing the next one: the pending folder is ignored, then cleaned.
    os.mkdir(os.path.join(folder.root, ".pending-1-abc"))
    assert folder.load()[0] == {"value": 2}
    # Killed between moving the old one aside and the new one in.
    os.rename(folder.current, os.path.join(folder.root, ".previous-0123abcd"))
    assert folder.load()[0] == {"value": 2}
    folder.clean()
    assert sorted(os.listdir(folder.root)) == ["current"] and folder.load()[0] == {"value": 2}

    def fail(path):
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        folder.publish(fail)
    assert folder.load()[0] == {"value": 2} and os.listdir(folder.root) == ["current"]


def test_history_rows_of_redone_epochs_are_dropped(tmp_path):
    path = str(tmp_path / "history.csv")
    with open(path, "w", newline="") as f:
        csv.writer(f).writerows([["epoch", "loss"], [0, 1.0], [1, 0.5], [2, 0.25]])
    _keep_history_before(path, 2)
    with open(path) as f:
        assert [row["epoch"] for row in csv.DictReader(f)] == ["0", "1"]
    _keep_history_before(path, 0)
    assert not os.path.exists(path)
    _keep_history_before(path, 3)  # no file: nothing to do


def test_progress_of_new_finished_and_broken_folders(tmp_path):
    run = RunDir(str(tmp_path))
    assert read_progress(run) == {"stage": "fit"}
    (tmp_path / "results.json").write_text("{}")
    assert read_progress(run) == {"stage": "done"}  # written before stages were recorded
    (tmp_path / "progress.json").write_text(json.dumps({"stage": "export", "epochs_run": 3}))
    assert read_progress(run)["stage"] == "export"
    (tmp_path / "progress.json").write_text(json.dumps({"stage": "polish"}))
    with pytest.raises(ValueError, match="unknown stage 'polish'"):
        read_progress(run)


def test_temporary_names_keep_the_extension_and_are_cleaned(tmp_path):
    best = str(tmp_path / "best.keras")
    assert temporary_path(best).endswith(".keras") and os.path.basename(temporary_path(best)).startswith(".best.partial-")
    assert temporary_path(str(tmp_path / "w.weights.h5")).endswith(".weights.h5")
    for name in (os.path.basename(temporary_path(best)), "best.keras"):
        (tmp_path / name).write_text("x")
    remove_partial_files(str(tmp_path))
    assert os.listdir(tmp_path) == ["best.keras"]


def test_the_crash_hook(monkeypatch):
    crash_point("best_checkpoint_write")  # unset: nothing
    monkeypatch.setenv(CRASH_ENV, "no_such_point")
    with pytest.raises(ValueError, match="expected one of train_step, backup_write"):
        crash_point("train_step")
    code = "from clear_tf.run_dir import crash_point\nfor _ in range(3): crash_point('train_step'); print('step', flush=True)"
    done = subprocess.run(
        [sys.executable, "-c", code], env=dict(os.environ, **{CRASH_ENV: "train_step:3"}),
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == -9 and done.stdout.split() == ["step", "step"]
