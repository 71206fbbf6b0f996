"""Choosing μ and ρ of the paper tree's η rule on the validation split."""

from __future__ import annotations

import itertools
from typing import Callable

from absl import logging

# η = (z - y)/|y| spans (-1, ∞) in practice; μ > 0 and large ρ make the search go left
# (drop the last clip) whenever a child beats the node and right only on clear evidence.
MU_GRID = (-0.5, -0.3, -0.1, 0.0, 0.5, 1.0)
RHO_GRID = (0.1, 0.5, 1.0, 3.0, 10.0)


def tune_thresholds(evaluate: Callable[..., object], metric: str) -> tuple[float, float]:
    """The (μ, ρ), μ < ρ, of the grid that maximise ``metric`` on val.

    μ and ρ steer the paper tree's η rule only (the binary tree follows the best coarse
    candidate), so every pair runs the real paper-tree search over the split. Ties go
    to the pair whose search scores the fewest candidates (the larger saving).

    Args:
        evaluate: ``evaluate(method, **options)`` → an ``EvalResult`` on val.
        metric: a metric name of the evaluation table (e.g. ``R@1,IoU=0.5``).

    Returns:
        (mu, rho).
    """
    best = None
    for mu, rho in itertools.product(MU_GRID, RHO_GRID):
        if not mu < rho:
            continue
        result = evaluate("clear", tree="paper", mu=mu, rho=rho)
        if metric not in result.metrics:
            raise ValueError(f"--monitor=val_{metric!r} is not an evaluation metric")
        key = (result.metrics[metric], -result.scored_fraction)
        logging.info(
            "mu=%.2f rho=%.2f: %s=%.2f, scored %.1f%%", mu, rho, metric, key[0], 100 * result.scored_fraction
        )
        if best is None or key > best[0]:
            best = (key, mu, rho)
    _, mu, rho = best
    logging.info("Chose mu=%.2f, rho=%.2f on val", mu, rho)
    return mu, rho
