import numpy as np
import pytest

from clear_tf import moments
from clear_tf.layers import MomentMap, candidate_cells
from tests.test_helpers import run_layer_serialization_test


def brute_force_map(clips, mask, pooling="max"):
    batch, num_clips, channels = clips.shape
    expected = np.zeros((batch, num_clips, num_clips, channels), np.float32)
    def pool(span, axis):
        if pooling == "max":
            return span.max(axis=axis)
        return span.sum(axis=axis) / np.sqrt(span.shape[axis])
    for i in range(num_clips):
        for j in range(i, num_clips):
            if mask[i, j]:
                expected[:, i, j] = pool(clips[:, i : j + 1], axis=1)
    return expected


@pytest.mark.parametrize("num_clips", [1, 2, 7, 12])
def test_dense_map_equals_brute_force_max(num_clips):
    clips = np.random.default_rng(num_clips).normal(size=(3, num_clips, 5)).astype(np.float32)
    result = np.asarray(MomentMap()(clips))
    np.testing.assert_array_equal(result, brute_force_map(clips, moments.valid_mask(num_clips)))


@pytest.mark.parametrize("num_clips", [1, 2, 7, 12])
def test_scaled_sum_map_equals_brute_force(num_clips):
    clips = np.random.default_rng(num_clips).normal(size=(3, num_clips, 5)).astype(np.float32)
    result = np.asarray(MomentMap(pooling="scaled_sum")(clips))
    expected = brute_force_map(clips, moments.valid_mask(num_clips), "scaled_sum")
    np.testing.assert_allclose(result, expected, rtol=1e-5, atol=1e-5)


def test_sparse_sum_map_and_bad_pooling():
    num_clips, counts = 16, (3, 2, 2)
    mask = candidate_cells(num_clips, sparse=True, pooling_counts=counts, num_anchors=5)
    clips = np.random.default_rng(5).normal(size=(2, num_clips, 3)).astype(np.float32)
    result = np.asarray(MomentMap(sparse=True, pooling_counts=counts, num_anchors=5, pooling="scaled_sum")(clips))
    np.testing.assert_allclose(result, brute_force_map(clips, mask, "scaled_sum"), rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="pooling must be one of"):
        MomentMap(pooling="mean")


def test_dense_map_has_every_candidate_and_zeros_elsewhere():
    num_clips = 9
    clips = np.random.default_rng(0).uniform(1.0, 2.0, size=(1, num_clips, 2)).astype(np.float32)
    result = np.asarray(MomentMap()(clips))
    nonzero = np.abs(result[0]).sum(-1) > 0
    assert nonzero.sum() == num_clips * (num_clips + 1) // 2
    np.testing.assert_array_equal(nonzero, np.triu(np.ones((num_clips, num_clips), bool)))


def test_sparse_map_keeps_exactly_the_2d_tan_sampling():
    num_clips, counts = 16, (3, 2, 2)
    clips = np.random.default_rng(1).uniform(1.0, 2.0, size=(2, num_clips, 3)).astype(np.float32)
    result = np.asarray(MomentMap(sparse=True, pooling_counts=counts)(clips))
    kept = np.abs(result).sum(axis=(0, 3)) > 0
    np.testing.assert_array_equal(kept, moments.sparse_mask(num_clips, counts))
    np.testing.assert_array_equal(result, brute_force_map(clips, moments.sparse_mask(num_clips, counts)))


def test_sparse_map_adds_the_anchor_cells():
    num_clips, counts = 16, (3, 2, 2)
    mask = candidate_cells(num_clips, sparse=True, pooling_counts=counts, num_anchors=5)
    anchor_cells = set(moments.anchor_positions(num_clips, 5))
    extra = {tuple(cell) for cell in np.argwhere(mask & ~moments.sparse_mask(num_clips, counts))}
    assert extra and extra <= anchor_cells
    assert all(mask[i, j] for i, j in anchor_cells)
    clips = np.random.default_rng(2).normal(size=(1, num_clips, 2)).astype(np.float32)
    result = np.asarray(MomentMap(sparse=True, pooling_counts=counts, num_anchors=5)(clips))
    np.testing.assert_array_equal(result, brute_force_map(clips, mask))


def test_gradient_flows_to_the_argmax_clip():
    import tensorflow as tf

    clips = tf.constant([[[1.0], [3.0], [2.0]]])
    with tf.GradientTape() as tape:
        tape.watch(clips)
        total = tf.reduce_sum(MomentMap()(clips))
    # Clip 1 is the max of (0,1), (0,2), (1,1), (1,2); clip 0 of (0,0); clip 2 of (2,2).
    np.testing.assert_array_equal(tape.gradient(total, clips).numpy().ravel(), [1.0, 4.0, 1.0])


def test_serialization():
    clips = np.random.default_rng(3).normal(size=(2, 8, 4)).astype(np.float32)
    run_layer_serialization_test(
        MomentMap, {"sparse": True, "pooling_counts": [2, 2], "num_anchors": 3}, clips
    )
    run_layer_serialization_test(MomentMap, {"pooling": "scaled_sum"}, clips, atol=1e-5)
