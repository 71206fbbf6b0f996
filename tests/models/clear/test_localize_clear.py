"""``localize`` on the real CLEAR model (tiny config, tiny random BERT)."""

import keras
import keras_hub
import numpy as np
import pytest
import tensorflow as tf

from clear_tf.inference import make_localizer
from clear_tf.models.clear import CLEAR
from clear_tf.models.clear.search import coarse_score_map

NUM_PRE_CLIPS, NUM_CLIPS, FEATURE_DIM, HIDDEN_DIM = 16, 8, 6, 8


def tiny_clear(**overrides):
    keras.utils.set_random_seed(0)
    backbone = keras_hub.models.BertBackbone(
        vocabulary_size=30, num_layers=1, num_heads=2, hidden_dim=8, intermediate_dim=16,
        max_sequence_length=8,
    )
    options = dict(
        feature_dim=FEATURE_DIM, num_pre_clips=NUM_PRE_CLIPS, num_clips=NUM_CLIPS,
        hidden_dim=HIDDEN_DIM, tcn_channels=[8], tree_depth=3,
    )
    options.update(overrides)
    return CLEAR(backbone, **options)


@pytest.fixture(scope="module")
def model():
    return tiny_clear()


def inputs(num_units, num_queries, seed=0):
    rng = np.random.default_rng(seed)
    features = rng.normal(size=(num_units, FEATURE_DIM)).astype("float32")
    token_ids = rng.integers(1, 30, size=(num_queries, 6)).astype("int32")
    padding_mask = np.ones((num_queries, 6), dtype=bool)
    return features, token_ids, padding_mask


def test_sub_model_scores_equal_the_full_model_outputs(model):
    features, token_ids, padding_mask = inputs(NUM_PRE_CLIPS, 3)
    outputs = model(
        {
            "features": features[None],
            "token_ids": token_ids[None],
            "padding_mask": padding_mask[None],
        }
    )
    moment_map = model.video_encoder(features[None])[0]
    queries = model.query_encoder({"token_ids": token_ids, "padding_mask": padding_mask})
    np.testing.assert_allclose(
        coarse_score_map(moment_map, queries, model.hidden_dim),
        outputs["coarse_scores"][0],
        atol=1e-5,
    )
    # CLEAR-F's best score is the best sigmoid of the model's own fine logits.
    result = model.localize(features, token_ids, padding_mask, 8.0, method="clear_f", top_k=2)
    best = tf.reduce_max(tf.sigmoid(outputs["fine_logits"][0]), axis=[1, 2])
    np.testing.assert_allclose(result["score"][:, 0], best, rtol=1e-5)


@pytest.mark.parametrize("tree", ["paper", "binary"])
def test_clear_search_runs_on_the_real_model_and_traces_once(model, tree):
    localize_video = make_localizer(model, method="clear", tree=tree, top_k=3)
    for num_units, num_queries in ((16, 2), (37, 4)):
        features, token_ids, padding_mask = inputs(num_units, num_queries, seed=num_units)
        result = localize_video(features, token_ids, padding_mask, tf.constant(12.0))
        fractions = result["scored_fraction"].numpy()
        assert result["score"].shape == (num_queries, 3)
        assert np.all((fractions > 0) & (fractions <= 1))
        assert np.isfinite(result["score"][:, 0]).all()
    assert localize_video.experimental_get_tracing_count() == 1


def test_both_trees_search_a_sparse_map():
    model = tiny_clear(moment_map="sparse", pooling_counts=[1])
    features, token_ids, padding_mask = inputs(NUM_PRE_CLIPS, 1)
    # The binary tree follows the best *candidate*; the paper's anchors are candidates.
    for tree in ("binary", "paper"):
        result = model.localize(features, token_ids, padding_mask, 8.0, method="clear", tree=tree)
        assert np.isfinite(result["score"][0, 0])
        assert 0 < result["scored_fraction"][0] <= 1
