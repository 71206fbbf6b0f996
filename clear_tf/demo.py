"""The newcomer's demo (``make demo``): synthetic benchmark → train → evaluate → export → plot.

    python -m clear_tf.demo --run_dir=runs/demo [any train.py flag]

Uses ``configs/demo.flags`` (sized for 2 CPU cores) unless another ``--flagfile`` is given.
Everything lands in the run folder: checkpoints, TensorBoard logs, ``results.json``,
``eval_*.json`` for CLEAR (both trees), CLEAR-F and CLEAR-C, the SavedModel and
``demo.png``.
"""

from __future__ import annotations

import os
import sys
import time

from absl import app, logging

from clear_tf import cli

DEMO_FLAGFILE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "configs", "demo.flags")


def run_demo(config, flags_text: str | None = None) -> dict:
    """Runs every stage of the demo and returns the evaluation summaries by name."""
    from clear_tf.evaluation.run import run_evaluation
    from clear_tf.export import Localizer
    from clear_tf.evaluation import prepare_videos
    from clear_tf.plots import plot_localization
    from clear_tf.training import train
    from clear_tf.run_dir import RunDir, write_json_atomic

    timings = {}
    started = time.time()
    train(config, flags_text=flags_text)
    timings["train_and_export_s"] = round(time.time() - started, 1)

    started = time.time()
    summaries = run_evaluation(config, split=config.data.test_split, all_ablations=True)
    timings["evaluate_s"] = round(time.time() - started, 1)

    started = time.time()
    run = RunDir(config.train.run_dir)
    video = next(iter(prepare_videos(config, config.data.test_split)))
    shown = min(3, video.num_queries)
    localizer = Localizer(run.export)
    raw_features = _raw_features(config, video.video_id)
    results = localizer.localize(raw_features, video.duration, video.sentences[:shown])
    maps = localizer.confidence_maps(raw_features, video.duration, video.sentences[:shown])
    plot_path = os.path.join(run.root, "demo.png")
    plot_localization(
        video.duration,
        video.sentences[:shown],
        [r["moments"] for r in results],
        ground_truth=video.times[:shown],
        confidence_maps=maps,
        path=plot_path,
        title=f"{config.data.dataset} test video {video.video_id}",
    )
    timings["plot_s"] = round(time.time() - started, 1)
    write_json_atomic(os.path.join(run.root, "demo_timings.json"), timings)
    logging.info("Demo finished: %s (plot: %s)", timings, plot_path)
    print(f"\nDemo done in {sum(timings.values()):.0f} s. Plot: {plot_path}; run folder: {run.root}")
    return summaries


def _raw_features(config, video_id: str):
    """The un-resampled features of one test video, as a user of the Localizer would have them."""
    from clear_tf import data as data_lib

    for example in data_lib.load_split(config, config.data.test_split).as_numpy_iterator():
        if example["video_id"].decode() == video_id:
            return example["features"]
    raise KeyError(f"video {video_id!r} not found in split {config.data.test_split!r}")


def main(argv):
    config = cli.config_or_usage_error(argv)
    run_demo(config, flags_text=cli.flags_text(config))


if __name__ == "__main__":
    cli.define_flags()
    if not any(arg.startswith("--flagfile") for arg in sys.argv[1:]):
        sys.argv.insert(1, f"--flagfile={DEMO_FLAGFILE}")
    app.run(main)
