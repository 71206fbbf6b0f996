"""One epoch of a TACoS flagfile on this machine: seconds per training step and per epoch
for several B videos × K queries layouts with the same B·K pairs per step.

    python benchmarks/tacos_epoch_time.py                     # → benchmarks/results/tacos_epoch_time.md
    python benchmarks/tacos_epoch_time.py --layouts=16x1,4x4,2x8 --steps=4

Real TACoS features are not on this machine, so the data are ``synthetic_moments/tacos_like``
(the real annotations' statistics, 4096-d units like C3D fc6); the model is the
flagfile's. Each layout trains the way ``train.py`` does (``trainer.build_model``: the
model's training view, CLEAR on precomputed sentence vectors; ``training_data``: the
real input pipeline), and times ``train_on_batch`` after the first steps (tracing);
steps per epoch are counted by the pipeline on the training split. K = 1 is the paper's
pair batching, where every pair re-encodes its video; K > 1 encodes each video once for
K of its queries.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
BENCHMARKS_DIR = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(BENCHMARKS_DIR)
for path in (REPO, BENCHMARKS_DIR):
    if path not in sys.path:
        sys.path.insert(0, path)

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from bench_utils import environment_line, markdown_table  # noqa: E402
from clear_tf import dataset_info  # noqa: E402
from clear_tf.data.pipeline import QueryReport  # noqa: E402
from clear_tf.flagfile import config_from_flagfile  # noqa: E402
from clear_tf.training import trainer  # noqa: E402
from clear_tf.training.data import DataPosition, training_data  # noqa: E402


def parse_layouts(text: str) -> list[tuple[int, int]]:
    """"16x1,4x4" → [(16, 1), (4, 4)] (B videos × K queries)."""
    layouts = []
    for item in text.split(","):
        videos, _, queries = item.strip().partition("x")
        if not (videos.isdigit() and queries.isdigit()):
            raise ValueError(f"--layouts item {item!r}: expected BxK, e.g. 4x4")
        layouts.append((int(videos), int(queries)))
    return layouts


def time_layout(flagfile: str, dataset: str, videos: int, queries: int, steps: int, warmup: int, data_dir: str):
    """(median s/step, steps per epoch, model description) of one layout."""
    overrides = {"dataset": dataset, "batch_size": videos, "queries_per_video": queries}
    if data_dir:
        overrides["data_dir"] = data_dir
    config = config_from_flagfile(flagfile, **overrides)
    strategy = tf.distribute.get_strategy()
    report = QueryReport()
    batches = iter(training_data(strategy, config, DataPosition(0, 0, 0), report))
    first = next(batches)
    steps_per_epoch = int(report.chunks.numpy()) // videos
    keras.utils.set_random_seed(config.train.seed)
    _, trained = trainer.build_model(config, dataset_info.feature_dim(config), strategy)
    seconds = []
    for index in range(warmup + steps):
        x, y, weights = first if index == 0 else next(batches)
        started = time.perf_counter()
        trained.train_on_batch(x, y, sample_weight=weights)  # returns NumPy: blocks
        if index >= warmup:
            seconds.append(time.perf_counter() - started)
        print(f"  {videos}x{queries} step {index + 1}: {time.perf_counter() - started:.2f} s", flush=True)
    model = config.model
    described = (f"D = {dataset_info.feature_dim(config)}, N / L = {config.data.num_pre_clips} / "
                 f"{config.data.num_clips}, TCN {','.join(map(str, model.tcn_channels))}, d = {model.hidden_dim}")
    del trained
    keras.backend.clear_session()
    gc.collect()
    return float(np.median(seconds)), steps_per_epoch, described


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--flagfile", default=os.path.join(REPO, "configs", "tacos.flags"))
    parser.add_argument("--dataset", default="synthetic_moments/tacos_like")
    parser.add_argument("--layouts", default="16x1,4x4", help="B videos × K queries per step, comma-separated.")
    parser.add_argument("--steps", type=int, default=4, help="Timed steps per layout (after --warmup).")
    parser.add_argument("--warmup", type=int, default=2, help="Untimed first steps (tracing).")
    parser.add_argument("--data_dir", default="", help="TFDS folder.")
    parser.add_argument("--output", default=os.path.join(BENCHMARKS_DIR, "results", "tacos_epoch_time.md"))
    args = parser.parse_args(argv)

    rows, described = [], ""
    for videos, queries in parse_layouts(args.layouts):
        print(f"[tacos_epoch_time] {videos} videos x {queries} queries", flush=True)
        seconds, steps, described = time_layout(
            args.flagfile, args.dataset, videos, queries, args.steps, args.warmup, args.data_dir
        )
        rows.append([f"{videos} × {queries}", videos * queries, f"{seconds:.2f}", steps, f"{seconds * steps / 60:.1f}"])
    text = "\n".join(
        [
            f"# Training epoch of {os.path.relpath(args.flagfile, REPO)} on {args.dataset}",
            "",
            environment_line({"tensorflow": tf.__version__, "keras": keras.__version__}),
            "",
            f"Model: the flagfile's ({described}). Median of {args.steps} `train_on_batch` steps "
            f"after {args.warmup} untimed; an epoch is the pipeline's step count for the training "
            "split times that median (validation not included).",
            "",
            markdown_table(["B videos × K queries", "pairs / step", "s / step", "steps / epoch", "min / epoch"], rows),
            "",
        ]
    )
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    with open(args.output, "w", encoding="utf-8") as handle:
        handle.write(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
