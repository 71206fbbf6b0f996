"""Training learns: a short CLEAR run on the synthetic benchmark beats the query-blind prior.

The other end-to-end tests train a width-16 model on a random one-layer BERT for a few
steps, which checks the plumbing but not that anything is learned. This one trains a
small CLEAR (d = 64) on 128 videos (8 queries each) for 5 epochs with the default MiniLM sentence vectors
(frozen, as in the demo) and asks for a clear margin over the query-blind prior on 40
test videos (about 300 queries). The margins are far below what the run reaches and far
above what a model that ignores the query can: the prior is the best fixed moment, so
a model that learned nothing scores at or below it.
"""

import json
import subprocess
import sys

import pytest
from training_runs import REPO

pytestmark = pytest.mark.slow

LEARNING_RUN = [
    "--flagfile=configs/demo.flags",
    "--hidden_dim=64",
    "--tcn_channels=64",
    "--tree_depth=2",
    "--num_pre_clips=32",
    "--num_clips=16",
    "--batch_size=8",
    "--queries_per_video=8",
    "--learning_rate=3e-3",
    "--train_splits=train[:128]",
    "--val_split=val[:40]",
    "--test_split=test[:40]",
    "--epochs=5",
    "--early_stopping_patience=5",
    "--num_plot_queries=1",
    "--noexport",
    "--deterministic",
    "--seed=0",
]
# Points above the prior at R@1 that the run must reach on test (IoU 0.3 and 0.5).
MARGINS = {0.3: 10.0, 0.5: 5.0}


def test_a_short_run_beats_the_query_blind_prior(training_inputs, tmp_path):
    data_dir, _ = training_inputs  # the default text preset, not the random tiny one
    run_dir = tmp_path / "run"
    done = subprocess.run(
        [sys.executable, "train.py", *LEARNING_RUN, f"--data_dir={data_dir}", f"--run_dir={run_dir}"],
        cwd=REPO, capture_output=True, text=True, timeout=900,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
    results = json.loads((run_dir / "results.json").read_text())
    assert results["num_queries"] > 200
    for iou, margin in MARGINS.items():
        key = f"R@1,IoU={iou}"
        assert results[key] >= results["baseline"][key] + margin, (key, results[key], results["baseline"][key])
