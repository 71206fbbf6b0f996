import numpy as np

from clear_tf import moments
from clear_tf.layers import CandidateMask
from tests.test_helpers import run_layer_serialization_test


def test_fills_non_candidates_of_feature_maps_and_logit_maps():
    maps = np.random.default_rng(0).normal(size=(2, 6, 6, 3)).astype(np.float32)
    valid = moments.valid_mask(6)
    masked = np.asarray(CandidateMask()(maps))
    np.testing.assert_array_equal(masked, np.where(valid[:, :, None], maps, 0.0))
    logits = maps[..., 0]
    masked_logits = np.asarray(CandidateMask(fill_value=-1e4, channels_last=False)(logits))
    np.testing.assert_array_equal(masked_logits, np.where(valid, logits, -1e4))


def test_sparse_candidates():
    logits = np.ones((1, 16, 16), np.float32)
    masked = np.asarray(
        CandidateMask(fill_value=0.0, channels_last=False, sparse=True, pooling_counts=[3, 2])(logits)
    )
    np.testing.assert_array_equal(masked[0] > 0, moments.sparse_mask(16, (3, 2)))


def test_serialization():
    logits = np.random.default_rng(1).normal(size=(2, 3, 8, 8)).astype(np.float32)
    run_layer_serialization_test(
        CandidateMask,
        {"fill_value": -1e4, "channels_last": False, "sparse": True, "pooling_counts": [2, 2], "num_anchors": 3},
        logits,
    )
