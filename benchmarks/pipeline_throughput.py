"""Throughput of the input pipeline alone (no model), for TACoS- and ActivityNet-shaped data.

Synthetic in-memory videos with the TFDS example structure go through
``clear_tf.data.build_dataset`` in training mode; the script prints a Markdown table of
batches per second, for the first epoch (reading, validating, resampling and tokenizing
every video, i.e. filling the cache) and for the epochs after it (shuffling, chunking,
batching and IoU targets from the cache), and the CPU time per cached batch summed over
all tf.data threads (the number that matters on a busy machine, where wall time also
measures the other processes). A training step must take well over the per-batch time
for the pipeline never to be the bottleneck.

    python benchmarks/pipeline_throughput.py [--quick]

Results (2 CPU cores shared with other jobs, load average 6.5, TF 2.21; wall times are
inflated by the load, CPU times are not):

| data | D | T units | N → L | R | B × K | videos / queries | batches / epoch | first epoch (batches/s) | cached epochs (batches/s) | wall ms / batch | CPU ms / batch |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
| TACoS-shaped | 4096 | 200–400 | 256 → 128 | 7 | 16 × 4 | 40 / 1007 | 16 | 2.9 | 7.2 | 139 | 65 |
| ActivityNet-shaped | 500 | 100–800 | 256 → 64 | 3 | 32 × 4 | 400 / 1453 | 16 | 2.9 | 11.6 | 86 | 25 |
| ActivityNet-shaped | 500 | 100–800 | 256 → 64 | 3 | 32 × 1 | 400 / 1453 | 45 | 6.7 | 18.1 | 55 | 18 |

Most of the TACoS cost is copying the batch's features ([16, 256, 4096] float32, 64 MiB)
into one tensor, which any batch of this layout needs. The first epoch also fills the
shuffle buffer before its first batch, so its rate includes that start-up.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from clear_tf.config import Config  # noqa: E402
from clear_tf.data import build_dataset  # noqa: E402

WORDS = "the person takes out a knife cuts washes carrot bread board plate again then".split()


@dataclasses.dataclass
class Scenario:
    """One dataset shape: D, units per raw video, queries per video, and the batch layout."""

    name: str
    feature_dim: int
    min_units: int
    max_units: int
    mean_queries: float
    num_pre_clips: int
    num_clips: int
    tree_depth: int
    queries_per_video: int
    batch_size: int
    num_videos: int


SCENARIOS = [
    # TACoS: C3D fc6 (D = 4096), ~130 queries per video in the real split; 25 here keeps
    # the synthetic set small while every batch still draws K = 4 of many queries.
    Scenario("TACoS-shaped", 4096, 200, 400, 25, 256, 128, 4, 4, 16, 40),
    # ActivityNet Captions: PCA C3D (D = 500), ~3.7 queries per video, L = 64, P = 2.
    Scenario("ActivityNet-shaped", 500, 100, 800, 3.7, 256, 64, 2, 4, 32, 400),
    Scenario("ActivityNet-shaped", 500, 100, 800, 3.7, 256, 64, 2, 1, 32, 400),
]


def synthetic_videos(scenario: Scenario, num_videos: int, seed: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    videos = []
    for index in range(num_videos):
        num_units = int(rng.integers(scenario.min_units, scenario.max_units + 1))
        num_queries = max(1, int(rng.poisson(scenario.mean_queries)))
        duration = num_units / 2.0
        starts = rng.uniform(0.0, 0.8 * duration, num_queries)
        ends = np.minimum(starts + rng.uniform(0.05, 0.5, num_queries) * duration, duration)
        sentences = [" ".join(rng.choice(WORDS, size=int(rng.integers(5, 15)))) for _ in range(num_queries)]
        videos.append(
            {
                "video_id": f"video{index}",
                "features": rng.random((num_units, scenario.feature_dim), dtype=np.float32),
                "duration": np.float32(duration),
                "queries": {
                    "sentence": np.asarray(sentences),
                    "start": starts.astype(np.float32),
                    "end": ends.astype(np.float32),
                },
            }
        )
    return videos


def examples_dataset(videos: list[dict], feature_dim: int) -> tf.data.Dataset:
    signature = {
        "video_id": tf.TensorSpec([], tf.string),
        "features": tf.TensorSpec([None, feature_dim], tf.float32),
        "duration": tf.TensorSpec([], tf.float32),
        "queries": {
            "sentence": tf.TensorSpec([None], tf.string),
            "start": tf.TensorSpec([None], tf.float32),
            "end": tf.TensorSpec([None], tf.float32),
        },
    }
    return tf.data.Dataset.from_generator(lambda: iter(videos), output_signature=signature)


def timed_epoch(dataset: tf.data.Dataset) -> tuple[int, float, float]:
    """Batches, wall seconds and process CPU seconds (all tf.data threads) of one epoch."""
    started, cpu_started = time.perf_counter(), time.process_time()
    num_batches = 0
    for _ in dataset:
        num_batches += 1
    return num_batches, time.perf_counter() - started, time.process_time() - cpu_started


def run(scenario: Scenario, num_videos: int, epochs: int) -> dict:
    config = Config()
    data = config.data
    data.num_pre_clips = scenario.num_pre_clips
    data.num_clips = scenario.num_clips
    data.queries_per_video = scenario.queries_per_video
    data.batch_size = scenario.batch_size
    config.model.tree_depth = scenario.tree_depth
    videos = synthetic_videos(scenario, num_videos, seed=0)
    dataset = build_dataset(examples_dataset(videos, scenario.feature_dim), config, training=True, seed=0)

    first_batches, first_seconds, _ = timed_epoch(dataset)
    cached_batches, cached_seconds, cached_cpu_seconds = 0, 0.0, 0.0
    for _ in range(epochs):
        batches, seconds, cpu_seconds = timed_epoch(dataset)
        cached_batches += batches
        cached_seconds += seconds
        cached_cpu_seconds += cpu_seconds
    return {
        "scenario": scenario,
        "videos": num_videos,
        "queries": sum(len(v["queries"]["start"]) for v in videos),
        "first": first_batches / first_seconds,
        "cached": cached_batches / cached_seconds,
        "cpu_ms": 1000 * cached_cpu_seconds / cached_batches,
        "batches_per_epoch": first_batches,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer videos and epochs (a smoke run)")
    args = parser.parse_args()
    epochs = 1 if args.quick else 3

    rows = []
    for scenario in SCENARIOS:
        num_videos = scenario.num_videos // 4 if args.quick else scenario.num_videos
        rows.append(run(scenario, num_videos, epochs))

    load = os.getloadavg()[0]
    print(f"\nInput pipeline throughput, training mode: {os.cpu_count()} CPU cores "
          f"(load average {load:.1f} at the end), TF {tf.__version__}\n")
    print("| data | D | T units | N → L | R | B × K | videos / queries | batches / epoch "
          "| first epoch (batches/s) | cached epochs (batches/s) | wall ms / batch | CPU ms / batch |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for row in rows:
        s = row["scenario"]
        print(
            f"| {s.name} | {s.feature_dim} | {s.min_units}–{s.max_units} | {s.num_pre_clips} → {s.num_clips} "
            f"| {2 * s.tree_depth - 1} | {s.batch_size} × {s.queries_per_video} | {row['videos']} / {row['queries']} "
            f"| {row['batches_per_epoch']} | {row['first']:.1f} | {row['cached']:.1f} | {1000 / row['cached']:.0f} "
            f"| {row['cpu_ms']:.0f} |"
        )


if __name__ == "__main__":
    main()
