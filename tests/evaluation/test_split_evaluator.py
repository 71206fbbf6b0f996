"""``split_evaluator``: the results of ``evaluate_videos``, with every video encoded once."""

import keras
import keras_hub
import numpy as np
import pytest

from clear_tf.config import Config
from clear_tf.evaluation import EvalVideo, evaluate_videos, split_evaluator
from clear_tf.models.clear import CLEAR

NUM_PRE_CLIPS, NUM_CLIPS, FEATURE_DIM = 16, 8, 6


@pytest.fixture(scope="module")
def model():
    keras.utils.set_random_seed(0)
    backbone = keras_hub.models.BertBackbone(
        vocabulary_size=30, num_layers=1, num_heads=2, hidden_dim=8, intermediate_dim=16, max_sequence_length=8
    )
    return CLEAR(
        backbone, feature_dim=FEATURE_DIM, num_pre_clips=NUM_PRE_CLIPS, num_clips=NUM_CLIPS,
        hidden_dim=8, tcn_channels=[8], tree_depth=3,
    )


def videos():
    rng = np.random.default_rng(1)
    made = []
    for index, num_queries in enumerate((3, 5)):  # two query counts: no retrace per video needed
        starts = rng.uniform(0, 20, num_queries)
        made.append(
            EvalVideo(
                video_id=f"v{index}",
                features=rng.normal(size=(NUM_PRE_CLIPS, FEATURE_DIM)).astype(np.float32),
                duration=40.0,
                sentences=[f"query {q}" for q in range(num_queries)],
                token_ids=rng.integers(1, 30, size=(num_queries, 6)).astype(np.int32),
                padding_mask=np.ones((num_queries, 6), bool),
                times=np.stack([starts, starts + rng.uniform(2, 20, num_queries)], -1).astype(np.float32),
            )
        )
    return made


def config():
    config = Config()
    config.data.num_pre_clips, config.data.num_clips = NUM_PRE_CLIPS, NUM_CLIPS
    config.model.hidden_dim, config.model.tree_depth = 8, 3
    config.inference.iou_thresholds, config.inference.recall_at = [0.1, 0.3, 0.5], [1, 5]
    return config


@pytest.mark.parametrize(
    "method, options",
    [
        ("clear", {"tree": "paper", "mu": -0.1, "rho": 0.1}),
        ("clear", {"tree": "paper", "mu": 0.5, "rho": 3.0, "min_kept_share": 0.1}),
        ("clear", {"tree": "binary", "coarse_peaks": 2}),
        ("clear_f", {}),
    ],
)
def test_same_results_as_evaluate_videos(model, method, options):
    split = videos()
    expected = evaluate_videos(model, split, config(), inference=method, **options)
    got = split_evaluator(model, split, config())(method, **options)
    assert got.options == expected.options and got.variant == expected.variant
    np.testing.assert_allclose(got.scored_fraction, expected.scored_fraction, rtol=1e-6)
    for ours, theirs in zip(got.predictions, expected.predictions):
        assert (ours["video_id"], ours["query"]) == (theirs["video_id"], theirs["query"])
        np.testing.assert_allclose(ours["start"], theirs["start"], rtol=1e-5)
        np.testing.assert_allclose(ours["end"], theirs["end"], rtol=1e-5)
    assert got.metrics == pytest.approx(expected.metrics)


def test_encodes_every_video_once(model, monkeypatch):
    evaluate = split_evaluator(model, videos(), config())
    first = evaluate("clear", tree="paper", mu=-0.1, rho=0.1)

    def not_again(*args, **kwargs):
        raise AssertionError("encoded twice")

    monkeypatch.setattr(model, "encode_queries", not_again)
    monkeypatch.setattr(model, "encode_video", not_again)
    again = evaluate("clear", tree="paper", mu=-0.1, rho=0.1)
    assert again.metrics == first.metrics
    assert evaluate("clear_c").method == "clear_c"
