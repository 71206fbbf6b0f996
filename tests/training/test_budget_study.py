"""benchmarks/clear_choices.py --study=budget end to end on a tiny trained run."""

import os
import re
import shutil
import subprocess
import sys

import pytest
from training_runs import REPO, environment, train_command

pytestmark = pytest.mark.slow


def test_budget_study_over_two_runs_writes_every_point_and_a_verdict(training_inputs, tmp_path):
    data_dir, preset = training_inputs
    run_dir = str(tmp_path / "run")
    trained = subprocess.run(
        train_command(data_dir, preset, run_dir, "--noexport"),
        cwd=REPO, env=environment(), capture_output=True, text=True, timeout=400,
    )
    assert trained.returncode == 0, trained.stderr[-3000:]
    # A copy of the run stands for a second seed: a row per run and point, the verdict over both.
    copy = str(tmp_path / "copy")
    shutil.copytree(run_dir, copy)
    report_path = tmp_path / "budget.md"
    done = subprocess.run(
        [sys.executable, os.path.join("benchmarks", "clear_choices.py"), "--study=budget",
         f"--run_dir={run_dir},{copy}", "--budget_grid=0:2,0.1:2:0.3", "--refine=no",
         "--min_prior_margin=-100", f"--output={report_path}"],
        cwd=REPO, env=environment(), capture_output=True, text=True, timeout=400,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = report_path.read_text()
    names = [
        "binary tree, min_kept_share = 0, coarse_peaks = 2, coarse_peak_iou = 0.4",  # demo's NMS 0.4
        "binary tree, min_kept_share = 0.1, coarse_peaks = 2, coarse_peak_iou = 0.3",
    ]
    for name in [*names, "CLEAR-F (no pruning)", "CLEAR-C (coarse only)"]:
        rows = [line for line in report.splitlines() for run in (run_dir, copy) if line.startswith(f"| {run}: {name} |")]
        assert len(rows) == 2, name  # one per listed run
        first, second = ([cell.strip() for cell in row.strip("|").split("|")] for row in rows)
        assert first[1:] == second[1:]  # the same model
        assert re.fullmatch(r"[+-]\d+\.\d\d", first[3]) and 0 <= float(first[4]) <= 100, first
    verdict = re.search(r"Chosen on every run's val: (.*?) \(of the settings", report)
    if verdict:
        assert verdict.group(1) in names
        assert "### The chosen setting, every R@n,IoU=m" in report
    else:
        assert "No setting of the grid is within 1 point of CLEAR-F" in report


def test_budget_study_names_a_bad_grid_point():
    done = subprocess.run(
        [sys.executable, os.path.join("benchmarks", "clear_choices.py"), "--study=budget", "--budget_grid=0:5:x"],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 2 and "--budget_grid: '0:5:x' has a value that is not a number" in done.stderr
