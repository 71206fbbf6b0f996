"""``Localizer``: results match ``localize`` on the Keras model; bad requests are refused."""

import numpy as np
import pytest
import tensorflow as tf

from clear_tf.export import InvalidRequestError, Localizer
from clear_tf.export import saved_model as export_lib

from tiny_export import (
    DURATION, FEATURE_DIM, MAX_QUERY_TOKENS, QUERIES, TOP_K, picked_fine_probabilities, video_features,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def localizer(export_base):
    return Localizer(export_base)


def test_loads_the_highest_version_of_a_base_path(localizer, saved_model_dir):
    assert localizer.saved_model_dir == saved_model_dir
    assert (localizer.feature_dim, localizer.top_k, localizer.num_clips) == (FEATURE_DIM, TOP_K, 8)


def test_localize_matches_the_keras_model(localizer, model, config):
    from clear_tf.data.query_tokenizer import QueryTokenizer
    from clear_tf.export.signatures import inference_options

    features = video_features(num_units=31, seed=5)
    results = localizer.localize(features, DURATION, QUERIES)

    token_ids, padding_mask = QueryTokenizer(config.model.text_preset, MAX_QUERY_TOKENS)(tf.constant(QUERIES))
    expected = model.localize(features, token_ids, padding_mask, DURATION, **inference_options(model, config))
    assert [result["query"] for result in results] == QUERIES
    for index, result in enumerate(results):
        finite = np.isfinite(expected["score"][index].numpy())
        moments = result["moments"]
        assert len(moments) == finite.sum() <= TOP_K
        np.testing.assert_allclose([m["start"] for m in moments], expected["start"][index].numpy()[finite], atol=1e-5)
        np.testing.assert_allclose([m["end"] for m in moments], expected["end"][index].numpy()[finite], atol=1e-5)
        np.testing.assert_allclose([m["score"] for m in moments], expected["score"][index].numpy()[finite], atol=1e-6)
        scores = [m["score"] for m in moments]
        assert scores == sorted(scores, reverse=True)
        assert all(0.0 <= m["start"] < m["end"] <= DURATION for m in moments)


def test_top_k_truncates_and_is_bounded_by_the_export(localizer):
    features = video_features()
    full = localizer.localize(features, DURATION, QUERIES)
    first = localizer.localize(features, DURATION, QUERIES, top_k=1)
    assert [r["moments"] for r in first] == [r["moments"][:1] for r in full]
    for bad in (0, TOP_K + 1, 1.5):
        with pytest.raises(InvalidRequestError, match=rf"top_k must be an integer in \[1, {TOP_K}\]"):
            localizer.localize(features, DURATION, QUERIES, top_k=bad)


def test_confidence_maps_are_the_picked_fine_probabilities(localizer, model, config):
    from clear_tf.data.query_tokenizer import QueryTokenizer

    features = video_features()
    maps = localizer.confidence_maps(features, DURATION, QUERIES)
    assert maps.shape == (len(QUERIES), 8, 8)
    candidates = np.asarray(model.candidate_mask)
    assert np.isnan(maps[:, ~candidates]).all() and np.isfinite(maps[:, candidates]).all()

    token_ids, padding_mask = QueryTokenizer(config.model.text_preset, MAX_QUERY_TOKENS)(tf.constant(QUERIES))
    expected = picked_fine_probabilities(model, config, features, token_ids, padding_mask)
    np.testing.assert_allclose(maps[:, candidates], expected[:, candidates], atol=1e-5)


BAD_REQUESTS = [
    ("wrong feature dimension", dict(features=np.zeros((5, FEATURE_DIM + 1), np.float32)), r"expects D = 8"),
    ("empty query list", dict(queries=[]), "no queries"),
    ("empty query string", dict(queries=["fine", " "]), "query 1 is empty"),
    ("zero-length features", dict(features=np.zeros((0, FEATURE_DIM), np.float32)), "has no units"),
    ("zero duration", dict(duration=0.0), "duration must be a positive"),
    ("negative duration", dict(duration=-3.0), "duration must be a positive"),
    ("NaN duration", dict(duration=float("nan")), "duration must be a positive"),
    ("NaN features", dict(features=np.full((4, FEATURE_DIM), np.nan, np.float32)), "NaN or Inf .first at unit 0"),
    ("one sentence, not a list", dict(queries="a person cuts"), "a list of sentences"),
    ("1-D features", dict(features=np.zeros(FEATURE_DIM, np.float32)), r"\[units, dimensions\] matrix"),
]


@pytest.mark.parametrize("case,change,message", BAD_REQUESTS, ids=[c[0] for c in BAD_REQUESTS])
def test_bad_requests_are_refused_with_a_clear_message(localizer, case, change, message):
    request = {"features": video_features(), "duration": DURATION, "queries": QUERIES, **change}
    with pytest.raises(InvalidRequestError, match=message):
        localizer.localize(**request)
    with pytest.raises(InvalidRequestError, match=message):
        localizer.confidence_maps(**request)


def test_missing_export_is_a_request_error(tmp_path):
    with pytest.raises(InvalidRequestError, match="does not exist"):
        Localizer(tmp_path / "nowhere")
    with pytest.raises(InvalidRequestError, match="numbered version folders"):
        Localizer(tmp_path)
