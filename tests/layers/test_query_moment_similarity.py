import numpy as np

from clear_tf.layers import QueryMomentFusion
from clear_tf.models.clear.query_moment_similarity import QueryMomentSimilarity
from tests.test_helpers import run_layer_serialization_test

RNG = np.random.default_rng(0)
QUERIES = RNG.normal(size=(2, 3, 4)).astype(np.float32)
POSITION_MAP = RNG.normal(size=(2, 5, 5, 4)).astype(np.float32)
ANCHORS = RNG.normal(size=(2, 7, 4)).astype(np.float32)


def test_anchor_similarity_is_the_raw_dot_product():
    result = np.asarray(QueryMomentSimilarity()([QUERIES, ANCHORS]))
    expected = np.array([[[QUERIES[b, k] @ ANCHORS[b, r] for r in range(7)] for k in range(3)] for b in range(2)])
    np.testing.assert_allclose(result, expected, rtol=1e-5, atol=1e-6)


def test_coarse_scores_are_divided_by_d():
    result = np.asarray(QueryMomentSimilarity(scale_by_dim=True)([QUERIES, POSITION_MAP]))
    assert result.shape == (2, 3, 5, 5)
    np.testing.assert_allclose(result[1, 2, 3, 4], QUERIES[1, 2] @ POSITION_MAP[1, 3, 4] / 4, rtol=1e-5)


def test_fusion_is_the_elementwise_product_of_eq6():
    fused = np.asarray(QueryMomentFusion()([QUERIES, POSITION_MAP]))
    assert fused.shape == (2, 3, 5, 5, 4)
    np.testing.assert_allclose(fused[1, 0, 2, 3], QUERIES[1, 0] * POSITION_MAP[1, 2, 3], rtol=1e-6)


def test_serialization():
    run_layer_serialization_test(QueryMomentSimilarity, {"scale_by_dim": True}, [QUERIES, POSITION_MAP])
    run_layer_serialization_test(QueryMomentFusion, {}, [QUERIES, POSITION_MAP])
