"""Choosing μ and ρ of the coarse-to-fine search on the validation split."""

from __future__ import annotations

import itertools

from absl import logging

from clear_tf.config import Config
from clear_tf.evaluation.evaluator import evaluate_videos
from clear_tf.evaluation.videos import prepare_videos

MU_GRID = (-0.5, -0.3, -0.2, -0.1, 0.0)
RHO_GRID = (0.0, 0.1, 0.2, 0.3, 0.5)


def tune_thresholds(model, config: Config) -> tuple[float, float]:
    """The (μ, ρ), μ < ρ, of the grid that maximise the monitored recall on val.

    Ties go to the pair whose search scores the fewest candidates (the larger saving).
    Every pair runs the real search (``clear_tf.inference.localize``) over the split.

    Returns:
        (mu, rho).
    """
    videos = prepare_videos(config, config.data.val_split)
    metric = config.train.monitor.removeprefix("val_")
    best = None
    for mu, rho in itertools.product(MU_GRID, RHO_GRID):
        if not mu < rho:
            continue
        result = evaluate_videos(model, videos, config, inference="clear", mu=mu, rho=rho)
        if metric not in result.metrics:
            raise ValueError(f"--monitor={config.train.monitor!r} is not an evaluation metric")
        key = (result.metrics[metric], -result.scored_fraction)
        logging.info("mu=%.2f rho=%.2f: %s=%.2f, scored %.1f%%", mu, rho, metric, key[0], 100 * result.scored_fraction)
        if best is None or key > best[0]:
            best = (key, mu, rho)
    _, mu, rho = best
    logging.info("Chose mu=%.2f, rho=%.2f on %s", mu, rho, config.data.val_split)
    return mu, rho
