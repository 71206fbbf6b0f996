"""Killed runs restarted with the same command end as an uninterrupted run (issue 12).

One uninterrupted run and one run killed (SIGKILL, through the ``CLEAR_TF_CRASH_AT`` test
hook) at every point in turn, each restart picking up where the last one died, run side
by side; with ``--deterministic`` both must end with the same history.csv, the same
best checkpoint, the same test results and the same export.
"""

import csv
import json
import signal

import numpy as np
import pytest

from training_runs import start, train_command

pytestmark = pytest.mark.slow

# In order: each kill leaves the run folder as a real crash at that moment would.
KILLS = [
    # epoch 0 ends: best.keras written under its temporary name, not yet in place
    # (the epoch's backup is not written: the restart redoes the end of epoch 0 from
    # the backup of step 2)
    "best_checkpoint_write",
    # the restart does step 3 of epoch 0 and steps 1, 2 of epoch 1 (a backup after
    # step 2), and dies as step 3 begins: the next one resumes mid-epoch
    "train_step:4",
    # epoch 1 ends; the history row and the checkpoints are written, the backup not
    "backup_write",
    # training done; the test split is evaluated, results.json not yet written
    "test_evaluation",
    # the SavedModel is complete under its hidden name, not yet published
    "export_write",
]
NUMERIC_EXPORT = "--noexport_text_endpoints"  # serving_default only: a faster export


def _history(run_dir):
    with open(run_dir / "history.csv") as f:
        return list(csv.DictReader(f))


def _test_metrics(run_dir):
    results = json.loads((run_dir / "results.json").read_text())
    return {key: value for key, value in results.items() if key not in ("R_T", "R_A", "train_seconds")}


def _serve(saved_model_dir):
    import tensorflow as tf

    from clear_tf.export import read_metadata

    served = tf.saved_model.load(str(saved_model_dir)).signatures["serving_default"]
    feature_dim = read_metadata(str(saved_model_dir))["feature_dim"]
    features = np.random.default_rng(0).standard_normal((21, feature_dim)).astype(np.float32)
    outputs = served(
        features=tf.constant(features),
        duration=tf.constant(30.0),
        token_ids=tf.constant([[101, 1037, 2711, 102]]),
        padding_mask=tf.constant([[1, 1, 1, 1]]),
    )
    return {name: value.numpy() for name, value in outputs.items()}


def test_a_run_killed_at_every_point_ends_as_an_uninterrupted_one(training_inputs, tmp_path):
    data_dir, preset = training_inputs
    reference, crashed = tmp_path / "reference", tmp_path / "crashed"
    uninterrupted = start(train_command(data_dir, preset, reference, NUMERIC_EXPORT))

    for point in KILLS:
        process = start(train_command(data_dir, preset, crashed, NUMERIC_EXPORT), CLEAR_TF_CRASH_AT=point)
        output, _ = process.communicate(timeout=600)
        assert process.returncode == -signal.SIGKILL, f"not killed at {point}:\n{output[-3000:]}"
    last = start(train_command(data_dir, preset, crashed, NUMERIC_EXPORT))
    output, _ = last.communicate(timeout=600)
    assert last.returncode == 0, output[-3000:]
    reference_output, _ = uninterrupted.communicate(timeout=600)
    assert uninterrupted.returncode == 0, reference_output[-3000:]

    # Nothing redone twice, nothing lost: the same epochs, losses and validation metrics.
    history = _history(crashed)
    assert [row["epoch"] for row in history] == ["0", "1"]
    assert history == _history(reference)
    assert _test_metrics(crashed) == _test_metrics(reference)
    assert json.loads((crashed / "results.json").read_text())["epochs_run"] == 2
    assert json.loads((crashed / "progress.json").read_text())["stage"] == "done"

    from clear_tf.models import load_model

    for name in ("best.keras", "last.keras"):
        ours, theirs = (load_model(str(run / "checkpoints" / name)) for run in (crashed, reference))
        for mine, other in zip(ours.weights, theirs.weights):
            np.testing.assert_array_equal(mine.numpy(), other.numpy(), err_msg=f"{name}: {mine.path}")

    # No leftovers: backups, temporary checkpoints, unpublished exports.
    assert not (crashed / "backup").exists()
    assert sorted(p.name for p in (crashed / "checkpoints").iterdir()) == ["best.keras", "last.keras"]
    assert sorted(p.name for p in (crashed / "export").iterdir()) == ["1"]
    ours, theirs = _serve(crashed / "export" / "1"), _serve(reference / "export" / "1")
    for name in ours:
        np.testing.assert_array_equal(ours[name], theirs[name], err_msg=name)

    # The finished run is not trained again by the same command (in-process: the
    # stage is read before anything is built), and other model flags stop at once.
    from clear_tf.run_dir import RunDir, load_config
    from clear_tf.training import SetupError, train

    config = load_config(RunDir(str(crashed)))
    assert train(config) == json.loads((crashed / "results.json").read_text())
    assert _history(crashed) == history

    config_before = (crashed / "config.json").read_bytes()
    config.model.hidden_dim, config.train.learning_rate = 8, 0.01
    config.train.epochs = 5  # may change: it alters neither the model nor the data
    with pytest.raises(SetupError) as error:
        train(config)
    message = str(error.value)
    assert "\n" not in message and "--epochs" not in message
    assert "--hidden_dim=8 (the run has 16)" in message and "--learning_rate=0.01 (the run has 0.001)" in message
    assert (crashed / "config.json").read_bytes() == config_before
