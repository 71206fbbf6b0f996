"""Choosing on the validation split: μ and ρ of the paper tree's η rule, the fine score's τ and MLP weight."""

from __future__ import annotations

import itertools
from typing import Callable

from absl import logging

# η = (z - y)/|y| spans (-1, ∞) in practice; μ > 0 and large ρ make the search go left
# (drop the last clip) whenever a child beats the node and right only on clear evidence.
MU_GRID = (-0.5, -0.3, -0.1, 0.0, 0.5, 1.0)
RHO_GRID = (0.1, 0.5, 1.0, 3.0, 10.0)
# The clip evidence's τ at inference (None: the learned one), in standard deviations of
# the clip scores, and the weight of the fine MLP's logit beside it (0: evidence alone).
EVIDENCE_THRESHOLD_GRID = (None, 0.5, 0.75, 1.0, 1.25, 1.5)
FINE_MLP_WEIGHT_GRID = (1.0, 0.0)


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
        key = (_metric(result, metric), -result.scored_fraction)
        logging.info(
            "mu=%.2f rho=%.2f: %s=%.2f, scored %.1f%%", mu, rho, metric, key[0], 100 * result.scored_fraction
        )
        if best is None or key > best[0]:
            best = (key, mu, rho)
    _, mu, rho = best
    logging.info("Chose mu=%.2f, rho=%.2f on val", mu, rho)
    return mu, rho


def tune_fine_score(evaluate: Callable[..., object], metric: str) -> dict:
    """The fine score's ``evidence_threshold`` and ``fine_mlp_weight`` that maximise ``metric`` on val.

    Γ₂ learns τ for its BCE over every candidate; the top-ranked moment can favour
    another τ, and the MLP's logit can blur what the evidence ranks. Each point runs
    CLEAR-F (every candidate scored) over the split; ties keep the earlier point of the
    grids, the trained fine logit first.

    Args:
        evaluate: ``evaluate(method, **options)`` → an ``EvalResult`` on val.
        metric: a metric name of the evaluation table.

    Returns:
        ``{"evidence_threshold": float | None, "fine_mlp_weight": float}``, search options.
    """
    best = None
    for weight, threshold in itertools.product(FINE_MLP_WEIGHT_GRID, EVIDENCE_THRESHOLD_GRID):
        result = evaluate("clear_f", evidence_threshold=threshold, fine_mlp_weight=weight)
        value = _metric(result, metric)
        logging.info("fine_mlp_weight=%g evidence_threshold=%s: %s=%.2f", weight, threshold, metric, value)
        if best is None or value > best[0]:
            best = (value, {"evidence_threshold": threshold, "fine_mlp_weight": weight})
    logging.info("Chose %s on val", best[1])
    return best[1]


def _metric(result, metric: str) -> float:
    if metric not in result.metrics:
        raise ValueError(f"--monitor=val_{metric!r} is not an evaluation metric")
    return result.metrics[metric]
