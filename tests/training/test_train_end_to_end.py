"""train.py and evaluate.py end to end on the synthetic benchmark, with 2 logical CPUs.

Each run is a fresh process (logical devices must be configured before TensorFlow
starts, and absl flags are process-global), on a tiny model (and a tiny random BERT),
16 training videos and a few steps.
"""

import csv
import json
import os
import pathlib
import signal
import subprocess
import sys

import pytest
from training_runs import REPO, TINY_MODEL

pytestmark = pytest.mark.slow

TINY = [
    *TINY_MODEL,
    "--val_split=val[:6]",
    "--test_split=test[:6]",
    "--logical_cpus=2",
    "--num_plot_queries=1",
    "--noexport",
]


@pytest.fixture(scope="module")
def data_dir(training_inputs):
    """The synthetic benchmark and the tiny text preset (``conftest.training_inputs``)."""
    return training_inputs


def _command(script, data_dir, run_dir, *extra):
    data_dir, preset = data_dir
    return [
        sys.executable, script, *TINY, f"--data_dir={data_dir}", f"--text_preset={preset}",
        f"--run_dir={run_dir}", *extra,
    ]


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
    assert results["train_splits"] == ["train[:16]"] and "protocol" in results
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
    # evaluate.py gives the test numbers train.py wrote for the same model and method.
    assert results["inference"] == "clear" and results["tree"] == "binary"
    binary = json.loads((run_dir / "eval_clear_binary.json").read_text())
    assert binary["num_queries"] == results["num_queries"]
    for key in ("R@1,IoU=0.5", "R@5,IoU=0.5", "mIoU", "scored_fraction"):
        assert binary[key] == pytest.approx(results[key], abs=0.01), key
    assert json.loads((run_dir / "eval_clear_f.json").read_text())["scored_fraction"] == 1.0
    first = json.loads((run_dir / "predictions_clear_f.jsonl").read_text().splitlines()[0])
    assert {"video_id", "query", "ground_truth", "start", "end", "score"} <= set(first)
    assert "query-blind prior" in done.stdout and "CLEAR-F (no pruning)" in done.stdout


def test_a_two_replica_run_killed_mid_epoch_ends_as_an_uninterrupted_one(data_dir, tmp_path):
    flags = ("--epochs=3", "--steps_per_epoch=3", "--backup_every_steps=2", "--deterministic", "--seed=7")
    reference = subprocess.Popen(
        _command("train.py", data_dir, tmp_path / "reference", *flags),
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    # Killed as step 3 of epoch 1 begins (the 6th step): the backup holds step 2 of it.
    run_dir = tmp_path / "run"
    killed = subprocess.run(
        _command("train.py", data_dir, run_dir, *flags), cwd=REPO, capture_output=True, text=True,
        timeout=400, env=dict(os.environ, CLEAR_TF_CRASH_AT="train_step:6"),
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    assert json.loads((run_dir / "backup" / "current" / "state.json").read_text())["step"] == 2

    done = _run("train.py", data_dir, run_dir, *flags)
    assert "Resuming" in done.stderr and "Epoch 1/3" not in done.stdout
    _, errors = reference.communicate(timeout=400)
    assert reference.returncode == 0, errors[-3000:]
    assert _metrics(run_dir) == _metrics(tmp_path / "reference")
    with open(run_dir / "history.csv") as f:
        rows = list(csv.DictReader(f))
    with open(tmp_path / "reference" / "history.csv") as f:
        expected = list(csv.DictReader(f))
    assert [row["epoch"] for row in rows] == ["0", "1", "2"]
    for row, other in zip(rows, expected):
        for key, value in other.items():
            # The loss means of the resumed epoch are put back in per-replica shares:
            # the same sums, rounded in another order.
            assert float(row[key]) == pytest.approx(float(value), rel=1e-5), (row["epoch"], key)


def test_tune_search_on_val_picks_the_options_that_the_test_and_later_evaluations_use(data_dir, tmp_path):
    from clear_tf.models.clear.config import evidence_threshold
    from clear_tf.models.clear.threshold_search import EVIDENCE_THRESHOLD_GRID, FINE_MLP_WEIGHT_GRID, MU_GRID, RHO_GRID

    run_dir = tmp_path / "run"
    # Starting values outside the grids: a run that skipped the tuning would keep them.
    _run("train.py", data_dir, run_dir, "--epochs=1", "--steps_per_epoch=2", "--mu=-0.2", "--rho=0.2",
         "--fine_clip_evidence", "--evidence_threshold=0.3", "--fine_mlp_weight=0.5", "--tune_search_on_val")
    tuned = json.loads((run_dir / "progress.json").read_text())["tuned"]
    assert set(tuned) == {"mu", "rho", "evidence_threshold", "fine_mlp_weight"}
    assert tuned["mu"] in MU_GRID and tuned["rho"] in RHO_GRID and tuned["mu"] < tuned["rho"]
    assert evidence_threshold(tuned["evidence_threshold"]) in EVIDENCE_THRESHOLD_GRID
    assert tuned["fine_mlp_weight"] in FINE_MLP_WEIGHT_GRID
    saved = json.loads((run_dir / "config.json").read_text())["model"]
    assert {name: saved[name] for name in tuned} == tuned
    assert (run_dir / "results.json").exists()
    # evaluate.py on the run folder alone (no flagfile) reads the tuned values.
    data_dir, preset = data_dir
    done = subprocess.run(
        [sys.executable, "evaluate.py", f"--run_dir={run_dir}", f"--data_dir={data_dir}",
         f"--text_preset={preset}", "--all_ablations"],
        cwd=REPO, capture_output=True, text=True, timeout=400,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
    paper = json.loads((run_dir / "eval_clear_paper.json").read_text())
    assert (paper["mu"], paper["rho"]) == (tuned["mu"], tuned["rho"])
    fine = json.loads((run_dir / "eval_clear_f.json").read_text())
    assert fine["evidence_threshold"] == evidence_threshold(tuned["evidence_threshold"])
    assert fine["fine_mlp_weight"] == tuned["fine_mlp_weight"]
