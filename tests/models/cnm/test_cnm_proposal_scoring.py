"""``cnm_reconstruction``: candidates ranked by −(2·nll⁺ − nll^easy), checked against the
training graph's own cross entropies."""

import numpy as np
import pytest

from clear_tf.models.cnm.proposal_scoring import candidate_cells, cell_gaussians, reconstruction_scores

from tiny_cnm import FEATURE_DIM, NUM_CLIPS, NUM_PRE_CLIPS, tiny_cnm, tokens


def logit(p):
    return float(np.log(p / (1.0 - p)))


def test_candidate_cells_stop_at_max_width():
    cells = candidate_cells(8, 0.5)
    widths = cells[:, 1] - cells[:, 0] + 1
    assert widths.max() == 4 and widths.min() == 1 and np.all(cells[:, 0] <= cells[:, 1])
    assert len(cells) == 8 + 7 + 6 + 5
    assert len(candidate_cells(8, 0.01)) == 8  # one-clip cells at least
    assert len(candidate_cells(8, 1.0)) == 36
    np.testing.assert_allclose(cell_gaussians(np.array([[2, 4]]), 8), [[7 / 16, 3 / 8]])


def test_scores_equal_the_training_graphs_cross_entropies_at_that_gaussian():
    model = tiny_cnm()
    # A generator whose Gaussian is cell (2, 4)'s for every query: centre 7/16, width 3/8.
    kernel, _ = model.gaussian_head.projection.get_weights()
    model.gaussian_head.projection.set_weights([np.zeros_like(kernel), np.array([logit(7 / 16), logit(3 / 8)], "float32")])
    rng = np.random.default_rng(3)
    features = rng.normal(size=(1, NUM_PRE_CLIPS, FEATURE_DIM)).astype("float32")
    ids, mask = tokens([4, 6, 2], seed=4)
    nll = model({"features": features, "token_ids": ids[None], "padding_mask": mask[None]})["reconstruction"].numpy()[0]
    expected = -(2.0 * nll[:, 0] - nll[:, 2])  # positive and easy negative

    scores, kept, fraction = reconstruction_scores(model, model.encode_video(features[0]), ids, mask)
    np.testing.assert_allclose(scores.numpy()[:, 2, 4], expected, rtol=1e-4, atol=1e-5)
    assert fraction == 1.0
    np.testing.assert_array_equal(kept.numpy(), np.broadcast_to(np.triu(np.ones((NUM_CLIPS, NUM_CLIPS), bool)), (3, NUM_CLIPS, NUM_CLIPS)))


def test_each_query_is_scored_on_its_own():
    model = tiny_cnm(max_width=0.5)
    features = np.random.default_rng(1).normal(size=(NUM_PRE_CLIPS, FEATURE_DIM)).astype("float32")
    ids, mask = tokens([3, 6, 1], seed=7)
    video = model.encode_video(features)
    together, kept, fraction = (t.numpy() if hasattr(t, "numpy") else t for t in reconstruction_scores(model, video, ids, mask))
    alone = reconstruction_scores(model, video, ids[[2, 0]], mask[[2, 0]])[0].numpy()
    np.testing.assert_allclose(alone, together[[2, 0]], rtol=1e-5, atol=1e-5)
    cells = candidate_cells(NUM_CLIPS, 0.5)
    assert kept.sum() == 3 * len(cells) and fraction == pytest.approx(len(cells) / 36)
    assert np.isfinite(together[kept]).all() and np.isneginf(together[~kept]).all()


def test_localize_returns_the_best_scored_cell():
    model = tiny_cnm(max_width=0.5)
    features = np.random.default_rng(2).normal(size=(NUM_PRE_CLIPS, FEATURE_DIM)).astype("float32")
    ids, mask = tokens([5, 2], seed=9)
    result = model.localize(features, ids, mask.astype(bool), 80.0, method="cnm_reconstruction", top_k=2)
    scores = reconstruction_scores(model, model.encode_video(features), ids, mask)[0].numpy()
    for q in range(2):
        i, j = np.unravel_index(scores[q].argmax(), scores[q].shape)
        assert result["start"].numpy()[q, 0] == pytest.approx(i * 10.0)
        assert result["end"].numpy()[q, 0] == pytest.approx((j + 1) * 10.0)
        assert (result["end"].numpy()[q] - result["start"].numpy()[q] <= 40.0 + 1e-4).all()  # within max_width
