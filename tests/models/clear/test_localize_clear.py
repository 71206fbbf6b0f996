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


def full_model_maps(model, features, token_ids, padding_mask):
    """sigmoid(fine logits) and coarse scores [M, L, L] of the full Keras model."""
    outputs = model(
        {"features": features[None], "token_ids": token_ids[None], "padding_mask": padding_mask[None]}
    )
    fine = 0.5 * (1.0 + np.tanh(np.asarray(outputs["fine_logits"][0], np.float64) / 2))  # sigmoid
    return fine, np.asarray(outputs["coarse_scores"][0], np.float64)


def numpy_ranked(scores, kept, duration, top_k, nms_threshold=0.4):
    """Greedy temporal NMS over the kept cells [i·T/L, (j+1)·T/L], best first, by hand.

    Overlaps are taken on clip indices [i, j + 1), where a ratio of small integers equals
    a decimal threshold exactly when it should (2 / 5 == 0.4).
    """
    num_clips = scores.shape[-1]
    step = duration / num_clips
    results = {"start": [], "end": [], "score": []}
    for query_scores, query_kept in zip(scores, kept):
        cells = sorted(zip(*np.nonzero(query_kept)), key=lambda cell: -query_scores[cell])
        chosen, spans = [], []
        for i, j in cells:
            start, end = i, j + 1
            overlaps = [
                max(min(end, e) - max(start, s), 0) / (max(end, e) - min(start, s)) for s, e in spans
            ]
            if all(overlap <= nms_threshold for overlap in overlaps):
                chosen.append((start * step, end * step, query_scores[i, j]))
                spans.append((start, end))
            if len(chosen) == top_k:
                break
        chosen += [(0.0, 0.0, -np.inf)] * (top_k - len(chosen))
        for name, column in zip(("start", "end", "score"), zip(*chosen)):
            results[name].append(column)
    return {name: np.array(values) for name, values in results.items()}


def numpy_binary_tree_kept(coarse, candidate_mask):
    """The binary tree by hand: halve [s, e] towards the best coarse candidate (i*, j*)
    until its split falls inside [i*, j*) (keep the cells straddling it) or one clip is left."""
    kept = np.zeros(coarse.shape, bool)
    for query, scores in enumerate(coarse):
        best_i, best_j = np.unravel_index(np.where(candidate_mask, scores, -np.inf).argmax(), scores.shape)
        start, end = 0, scores.shape[0] - 1
        while start < end:
            mid = (start + end) // 2
            if best_i <= mid < best_j:
                for i in range(start, mid + 1):
                    kept[query, i, mid + 1 : end + 1] = True
                break
            start, end = (start, mid) if best_j <= mid else (mid + 1, end)
        else:
            kept[query, start, start] = True
    return kept & candidate_mask


def assert_same_moments(result, expected):
    for name in ("start", "end", "score"):
        np.testing.assert_allclose(np.asarray(result[name]), expected[name], rtol=1e-5, atol=1e-5, err_msg=name)


def test_clear_f_and_clear_c_rank_the_full_model_maps(model):
    features, token_ids, padding_mask = inputs(NUM_PRE_CLIPS, 3, seed=7)
    fine, coarse = full_model_maps(model, features, token_ids, padding_mask)
    every = np.broadcast_to(model.candidate_mask, fine.shape)
    result = model.localize(features, token_ids, padding_mask, 12.0, method="clear_f", top_k=3)
    assert_same_moments(result, numpy_ranked(fine, every, 12.0, top_k=3))
    np.testing.assert_allclose(result["scored_fraction"], 1.0)
    result = model.localize(features, token_ids, padding_mask, 12.0, method="clear_c", top_k=3)
    assert_same_moments(result, numpy_ranked(coarse, every, 12.0, top_k=3))


def test_binary_tree_scores_the_node_of_the_best_coarse_candidate(model):
    features, token_ids, padding_mask = inputs(NUM_PRE_CLIPS, 4, seed=3)
    fine, coarse = full_model_maps(model, features, token_ids, padding_mask)
    kept = numpy_binary_tree_kept(coarse, model.candidate_mask)
    result = model.localize(
        features, token_ids, padding_mask, 12.0, method="clear", tree="binary", top_k=3
    )
    np.testing.assert_allclose(
        result["scored_fraction"], kept.sum(axis=(1, 2)) / model.candidate_mask.sum(), rtol=1e-6
    )
    assert_same_moments(result, numpy_ranked(fine, kept, 12.0, top_k=3))


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
    fine, coarse = full_model_maps(model, features, token_ids, padding_mask)
    # The binary tree follows the best *candidate*; the paper's anchors are candidates.
    for tree in ("binary", "paper"):
        result = model.localize(features, token_ids, padding_mask, 8.0, method="clear", tree=tree)
        assert np.isfinite(result["score"][0, 0])
        assert 0 < result["scored_fraction"][0] <= 1
        # Every returned moment is a cell of the sparse map, scored by the fine head.
        for start, end, score in zip(*(np.asarray(result[k])[0] for k in ("start", "end", "score"))):
            if np.isfinite(score):
                i, j = round(start / 8.0 * NUM_CLIPS), round(end / 8.0 * NUM_CLIPS) - 1
                assert model.candidate_mask[i, j], (tree, i, j)
                np.testing.assert_allclose(score, fine[0, i, j], rtol=1e-5)
    kept = numpy_binary_tree_kept(coarse, model.candidate_mask)
    result = model.localize(features, token_ids, padding_mask, 8.0, method="clear", tree="binary")
    assert_same_moments(result, numpy_ranked(fine, kept, 8.0, top_k=5))
