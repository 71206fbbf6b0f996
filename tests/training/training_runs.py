"""Helpers of the training tests (a module name no other test folder uses): train.py runs.

Runs are fresh processes (absl flags are process-global, logical devices and
multi-worker strategies must be set up before TensorFlow starts) on a tiny model: 16
training videos, one-layer width-16 BERT, 3 steps an epoch.
"""

import os
import pathlib
import subprocess
import sys

REPO = pathlib.Path(__file__).resolve().parents[2]

# The demo's flags on a width-16 model and 16 training videos: small enough for a 2-core machine.
TINY_MODEL = [
    "--flagfile=configs/demo.flags",
    "--hidden_dim=16",
    "--tcn_channels=16",
    "--tree_depth=2",
    "--num_pre_clips=16",
    "--num_clips=8",
    "--batch_size=4",
    "--queries_per_video=2",
    "--max_query_tokens=16",
    "--train_splits=train[:16]",
]

# A few steps on the tiny model; --deterministic makes runs comparable bit for bit.
SMALL_RUN = [
    *TINY_MODEL,
    "--val_split=val[:4]",
    "--test_split=test[:4]",
    "--num_plot_queries=1",
    "--epochs=2",
    "--steps_per_epoch=3",
    "--backup_every_steps=2",
    "--deterministic",
    "--seed=3",
]


def build_text_preset(folder: str) -> str:
    """The tiny random BERT of the unit tests (``tiny_text_preset``), drawn with seed 0, in ``folder``."""
    from tiny_text_preset import write_tiny_text_preset

    return write_tiny_text_preset(folder, seed=0)


def train_command(data_dir, preset, run_dir, *extra, script="train.py"):
    return [
        sys.executable, script, *SMALL_RUN, f"--data_dir={data_dir}", f"--text_preset={preset}",
        f"--run_dir={run_dir}", *extra,
    ]


def environment(**overrides):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", TF_NUM_INTRAOP_THREADS="1")
    env.pop("CLEAR_TF_CRASH_AT", None)
    env.update({name: value for name, value in overrides.items() if value is not None})
    return env


def start(command, **env) -> subprocess.Popen:
    return subprocess.Popen(
        command, cwd=REPO, env=environment(**env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
