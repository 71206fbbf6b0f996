"""Choosing μ and ρ of the coarse-to-fine search on the validation split."""

from __future__ import annotations

import itertools

from absl import logging

from clear_tf.config import Config
from clear_tf.evaluation.evaluator import evaluate_videos
from clear_tf.evaluation.videos import prepare_videos

# η = (z - y)/|y| spans (-1, ∞) in practice; μ > 0 and large ρ make the search go left
# (drop the last clip) whenever a child beats the node and right only on clear evidence.
MU_GRID = (-0.5, -0.3, -0.1, 0.0, 0.5, 1.0)
RHO_GRID = (0.1, 0.5, 1.0, 3.0, 10.0)


def tune_thresholds(model, config: Config) -> tuple[float, float]:
    """The (μ, ρ), μ < ρ, of the grid that maximise the monitored recall on val.

    μ and ρ steer the paper tree's η rule only (the binary tree follows the best coarse
    candidate), so every pair runs the real paper-tree search
    (``clear_tf.inference.localize``) over the split. Ties go to the pair whose search
    scores the fewest candidates (the larger saving).

    Returns:
        (mu, rho).
    """
    videos = prepare_videos(config, config.data.val_split)
    metric = config.train.monitor.removeprefix("val_")
    best = None
    for mu, rho in itertools.product(MU_GRID, RHO_GRID):
        if not mu < rho:
            continue
        result = evaluate_videos(
            model, videos, config, inference="clear", tree="paper", mu=mu, rho=rho
        )
        if metric not in result.metrics:
            raise ValueError(f"--monitor={config.train.monitor!r} is not an evaluation metric")
        key = (result.metrics[metric], -result.scored_fraction)
        logging.info("mu=%.2f rho=%.2f: %s=%.2f, scored %.1f%%", mu, rho, metric, key[0], 100 * result.scored_fraction)
        if best is None or key > best[0]:
            best = (key, mu, rho)
    _, mu, rho = best
    logging.info("Chose mu=%.2f, rho=%.2f on %s", mu, rho, config.data.val_split)
    return mu, rho
