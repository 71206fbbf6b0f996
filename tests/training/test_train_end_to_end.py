"""train.py and evaluate.py end to end on the synthetic benchmark, with 2 logical CPUs.

Each run is a fresh process (logical devices must be configured before TensorFlow
starts, and absl flags are process-global), on a tiny model and a few steps.
"""

import csv
import json
import os
import pathlib
import signal
import subprocess
import sys
import time

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow

TINY = [
    "--flagfile=configs/demo.flags",
    "--hidden_dim=16",
    "--tcn_channels=16",
    "--batch_size=4",
    "--queries_per_video=2",
    "--max_query_tokens=16",
    "--val_split=val[:6]",
    "--test_split=test[:6]",
    "--logical_cpus=2",
    "--num_plot_queries=1",
    "--noexport",
]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return str(tmp_path_factory.mktemp("tfds"))


def _command(script, data_dir, run_dir, *extra):
    return [sys.executable, script, *TINY, f"--data_dir={data_dir}", f"--run_dir={run_dir}", *extra]


def _run(script, data_dir, run_dir, *extra, timeout=400):
    done = subprocess.run(
        _command(script, data_dir, run_dir, *extra),
        cwd=REPO, capture_output=True, text=True, timeout=timeout,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
    return done


def _metrics(run_dir):
    results = json.loads((pathlib.Path(run_dir) / "results.json").read_text())
    return {key: value for key, value in results.items() if key.startswith("R@") or key == "mIoU"}


def test_train_then_evaluate_on_two_replicas(data_dir, tmp_path):
    run_dir = tmp_path / "run"
    done = _run("train.py", data_dir, run_dir, "--epochs=2", "--steps_per_epoch=3")
    assert "Training on 2 replica(s) with MirroredStrategy" in done.stderr
    for name in ("config.json", "flags.txt", "results.json", "history.csv", "checkpoints/best.keras",
                 "checkpoints/last.keras"):
        assert (run_dir / name).exists(), name
    assert not (run_dir / "backup").exists(), "a finished run keeps no crash backup"
    assert any((run_dir / "logs").rglob("events.out.tfevents.*"))
    results = json.loads((run_dir / "results.json").read_text())
    assert results["train_splits"] == ["train"] and "protocol" in results
    assert results["num_queries"] > 0 and 0.0 <= results["R@1,IoU=0.5"] <= 100.0
    assert "R@1,IoU=0.5" in results["baseline"]
    with open(run_dir / "history.csv") as f:
        rows = list(csv.DictReader(f))
    assert [int(row["epoch"]) for row in rows] == [0, 1]
    assert {"gamma1", "gamma2", "psi", "val_R@1,IoU=0.5", "learning_rate"} <= set(rows[0])

    done = _run("evaluate.py", data_dir, run_dir, "--all_ablations")
    for name in ("eval_clear_binary.json", "eval_clear_paper.json", "eval_clear_f.json", "eval_clear_c.json"):
        summary = json.loads((run_dir / name).read_text())
        for key in ("R@1,IoU=0.5", "mIoU", "baseline", "R_T", "R_A", "scored_fraction", "num_queries", "protocol"):
            assert key in summary, (name, key)
    assert json.loads((run_dir / "eval_clear_c.json").read_text())["scored_fraction"] == 0.0
    assert json.loads((run_dir / "eval_clear_f.json").read_text())["scored_fraction"] == 1.0
    first = json.loads((run_dir / "predictions_clear_f.jsonl").read_text().splitlines()[0])
    assert {"video_id", "query", "ground_truth", "start", "end", "score"} <= set(first)
    assert "query-blind prior" in done.stdout and "CLEAR-F (no pruning)" in done.stdout


def test_deterministic_runs_give_identical_results(data_dir, tmp_path):
    flags = ("--epochs=1", "--steps_per_epoch=3", "--deterministic", "--seed=7")
    _run("train.py", data_dir, tmp_path / "a", *flags)
    _run("train.py", data_dir, tmp_path / "b", *flags)
    assert _metrics(tmp_path / "a") == _metrics(tmp_path / "b")


def test_killed_run_resumes_from_its_backup(data_dir, tmp_path):
    run_dir = tmp_path / "run"
    history = run_dir / "history.csv"
    flags = ("--epochs=4", "--steps_per_epoch=4", "--backup_every_steps=2", "--early_stopping_patience=10")
    process = subprocess.Popen(
        _command("train.py", data_dir, run_dir, *flags),
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    deadline = time.time() + 300
    # Kill once the first epoch is logged: the backup then holds epoch >= 1.
    while time.time() < deadline and process.poll() is None:
        if history.exists() and len(history.read_text().strip().splitlines()) >= 2:
            break
        time.sleep(0.2)
    assert process.poll() is None, "the run ended before it could be interrupted"
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert (run_dir / "backup").exists(), "no backup was written before the kill"

    done = _run("train.py", data_dir, run_dir, *flags)
    assert "Epoch 1/4" not in done.stdout, "the resumed run started from zero"
    with open(history) as f:
        epochs = [int(row["epoch"]) for row in csv.DictReader(f)]
    assert epochs[0] == 0 and epochs[-1] == 3 and len(epochs) == len(set(epochs))
