"""Picking the search options on val: the fine score's τ and MLP weight, then μ and ρ."""

import types

import pytest

from clear_tf.config import Config
from clear_tf.models.clear import CLEAR
from clear_tf.models.clear.config import ClearConfig, evidence_threshold
from clear_tf.models.clear.threshold_search import (
    EVIDENCE_THRESHOLD_GRID,
    FINE_MLP_WEIGHT_GRID,
    tune_fine_score,
    tune_thresholds,
)

METRIC = "R@1,IoU=0.5"


class FakeSplit:
    """``evaluate(method, **options)`` whose metric is ``score(method, options)``; records the calls."""

    def __init__(self, score, scored_fraction=lambda options: 0.5):
        self.score, self.scored_fraction, self.calls = score, scored_fraction, []

    def __call__(self, method, **options):
        self.calls.append((method, options))
        return types.SimpleNamespace(
            metrics={METRIC: self.score(method, options)}, scored_fraction=self.scored_fraction(options)
        )


def test_tune_fine_score_runs_clear_f_on_the_whole_grid_and_keeps_the_best():
    def score(method, options):
        threshold = 0.65 if options["evidence_threshold"] is None else options["evidence_threshold"]
        return 30.0 - abs(threshold - 1.0) * 10 + (2.0 if options["fine_mlp_weight"] == 0.0 else 0.0)

    split = FakeSplit(score)
    assert tune_fine_score(split, METRIC) == {"evidence_threshold": 1.0, "fine_mlp_weight": 0.0}
    assert {method for method, _ in split.calls} == {"clear_f"}
    assert len(split.calls) == len(EVIDENCE_THRESHOLD_GRID) * len(FINE_MLP_WEIGHT_GRID)


def test_tune_fine_score_keeps_the_trained_fine_logit_on_ties():
    assert tune_fine_score(FakeSplit(lambda method, options: 20.0), METRIC) == {
        "evidence_threshold": None, "fine_mlp_weight": 1.0,
    }


def test_tune_thresholds_breaks_ties_towards_fewer_scored_candidates():
    split = FakeSplit(lambda method, options: 10.0, scored_fraction=lambda options: options["rho"] - options["mu"])
    mu, rho = tune_thresholds(split, METRIC)
    assert (mu, rho) == (0.0, 0.1)  # the closest pair of the grid
    assert {(method, options["tree"]) for method, options in split.calls} == {("clear", "paper")}


def test_unknown_metric_names_the_flag():
    with pytest.raises(ValueError, match="--monitor=val_'mIoU'"):
        tune_fine_score(FakeSplit(lambda method, options: 1.0), "mIoU")


def test_clear_with_clip_evidence_tunes_the_fine_score_first_and_mu_rho_with_it():
    def score(method, options):
        if method == "clear_f":
            return 25.0 + (options["evidence_threshold"] == 1.25)
        return 20.0 + (options["evidence_threshold"] == 1.25 and options["fine_mlp_weight"] == 1.0)

    split = FakeSplit(score)
    config = Config(model=ClearConfig(fine_clip_evidence=True))
    tuned = CLEAR.tune_search_options(types.SimpleNamespace(clip_evidence=object()), config, split)
    assert tuned["evidence_threshold"] == "1.25" and tuned["fine_mlp_weight"] == 1.0
    assert evidence_threshold(tuned["evidence_threshold"]) == 1.25
    paper_calls = [options for method, options in split.calls if method == "clear"]
    assert paper_calls and all(
        (options["evidence_threshold"], options["fine_mlp_weight"]) == (1.25, 1.0) for options in paper_calls
    )
    ClearConfig(fine_clip_evidence=True, **tuned).validate(config)  # config values the flags accept


def test_clear_without_clip_evidence_tunes_mu_and_rho_alone():
    split = FakeSplit(lambda method, options: 1.0)
    tuned = CLEAR.tune_search_options(types.SimpleNamespace(clip_evidence=None), Config(model=ClearConfig()), split)
    assert set(tuned) == {"mu", "rho"}
    assert {method for method, _ in split.calls} == {"clear"}
