"""IoU targets: the L×L candidate map and the anchors of Eq. 2, against hand-computed values."""

import numpy as np
import pytest
import tensorflow as tf

from clear_tf import moments
from clear_tf.data.targets import moment_iou_map, temporal_iou
from clear_tf.models.clear.anchors import anchor_iou


def test_iou_map_hand_computed():
    # T = 8 s, L = 4: clip c spans [2c, 2c + 2]; ground truth [2, 6] is exactly clips 1..2.
    iou = moment_iou_map(tf.constant([2.0, 6.0]), tf.constant(8.0), num_clips=4).numpy()
    expected = np.array(
        [
            [0.0, 1 / 3, 2 / 3, 1 / 2],  # [0,2] [0,4] [0,6] [0,8]
            [0.0, 1 / 2, 1.0, 2 / 3],  # [2,4] [2,6] [2,8]
            [0.0, 0.0, 1 / 2, 1 / 3],  # [4,6] [4,8]
            [0.0, 0.0, 0.0, 0.0],  # [6,8] touches the ground truth only at 6
        ],
        np.float32,
    )
    np.testing.assert_allclose(iou, expected, atol=1e-6)


def test_iou_map_zero_below_diagonal():
    iou = moment_iou_map(tf.constant([0.0, 8.0]), tf.constant(8.0), num_clips=4).numpy()
    assert np.all(iou[np.tril_indices(4, -1)] == 0.0)
    assert iou[0, 3] == pytest.approx(1.0)


def test_anchor_positions_for_four_clips_three_anchors():
    # a_1 = whole video, a_2 = c(1, L - 1) 1-based → (0, 2), a_3 = c(L, L) → (3, 3).
    assert moments.anchor_positions(4, 3) == [(0, 3), (0, 2), (3, 3)]


def test_anchor_iou_hand_computed():
    # T = 8 s, L = 4: anchors span [0, 8], [0, 6], [6, 8].
    times = tf.constant([[2.0, 6.0], [1.0, 3.0], [6.5, 8.0]])
    iou = anchor_iou(times, tf.constant(8.0), num_clips=4, num_anchors=3).numpy()
    expected = np.array(
        [
            [4 / 8, 4 / 6, 0.0],
            [2 / 8, 2 / 6, 0.0],
            [1.5 / 8, 0.0, 1.5 / 2],
        ],
        np.float32,
    )
    np.testing.assert_allclose(iou, expected, atol=1e-6)


def test_batched_targets_match_numpy_geometry():
    rng = np.random.default_rng(0)
    num_clips, num_anchors = 6, 5
    durations = rng.uniform(5.0, 50.0, size=(3,)).astype(np.float32)
    starts = rng.uniform(0.0, 0.8, size=(3, 2)) * durations[:, None]
    ends = starts + rng.uniform(0.05, 0.2, size=(3, 2)) * durations[:, None]
    times = np.stack([starts, ends], axis=-1).astype(np.float32)  # [B=3, K=2, 2]

    iou_map = moment_iou_map(tf.constant(times), tf.constant(durations)[:, None], num_clips).numpy()
    anchors = anchor_iou(tf.constant(times), tf.constant(durations)[:, None], num_clips, num_anchors).numpy()
    assert iou_map.shape == (3, 2, num_clips, num_clips) and anchors.shape == (3, 2, num_anchors)

    positions = moments.anchor_positions(num_clips, num_anchors)
    for b in range(3):
        cell_starts, cell_ends = moments.candidate_times(num_clips, float(durations[b]))
        for k in range(2):
            start, end = times[b, k]
            expected_map = moments.temporal_iou(cell_starts, cell_ends, start, end) * moments.valid_mask(num_clips)
            np.testing.assert_allclose(iou_map[b, k], expected_map, atol=1e-5)
            for r, (i, j) in enumerate(positions):
                np.testing.assert_allclose(anchors[b, k, r], expected_map[i, j], atol=1e-5)


def test_temporal_iou_disjoint_and_empty():
    iou = temporal_iou(tf.constant([0.0, 0.0]), tf.constant([1.0, 0.0]), tf.constant([2.0, 0.0]), tf.constant([3.0, 0.0]))
    np.testing.assert_array_equal(iou.numpy(), [0.0, 0.0])
