"""Temporal NMS: hand cases, the box trick's IoU, the NumPy reference, padding."""

import numpy as np
import pytest
import tensorflow as tf

from clear_tf import moments
from clear_tf.inference import ranked_moments, temporal_nms
from clear_tf.inference.reference import reference_nms

# [0, 2] best; [0, 1] has IoU 1/2 with it; [1, 3] has IoU 1/3 with it; [5, 6] is disjoint.
STARTS = np.array([0.0, 0.0, 1.0, 5.0], dtype="float32")
ENDS = np.array([2.0, 1.0, 3.0, 6.0], dtype="float32")
SCORES = np.array([0.9, 0.8, 0.7, 0.1], dtype="float32")


@pytest.mark.parametrize(
    "threshold,max_outputs,expected",
    [
        (0.5, 4, [0, 1, 2, 3]),  # IoU = threshold is not suppressed
        (0.4, 4, [0, 2, 3]),
        (0.3, 4, [0, 3]),
        (0.5, 2, [0, 1]),
    ],
)
def test_temporal_nms_hand_cases(threshold, max_outputs, expected):
    kept = temporal_nms(STARTS, ENDS, SCORES, iou_threshold=threshold, max_outputs=max_outputs)
    assert kept.numpy().tolist() == expected
    assert reference_nms(STARTS, ENDS, SCORES, threshold, max_outputs) == expected


def test_box_iou_equals_temporal_iou():
    # For a better segment a and a worse b, b survives exactly when IoU(a, b) <= threshold;
    # thresholds just below and above the 1D IoU pin the 2D IoU of the boxes to it.
    rng = np.random.default_rng(0)
    for _ in range(50):
        bounds = np.sort(rng.uniform(0, 10, size=(2, 2)), axis=1).astype("float32")
        iou = float(moments.temporal_iou(bounds[0, 0], bounds[0, 1], bounds[1, 0], bounds[1, 1]))
        for threshold, survives in ((iou - 1e-4, False), (iou + 1e-4, True)):
            if threshold < 0:
                continue
            kept = temporal_nms(
                bounds[:, 0], bounds[:, 1], np.array([0.9, 0.1], "float32"),
                iou_threshold=threshold, max_outputs=2,
            )
            assert (len(kept) == 2) == survives, (bounds, iou, threshold)


def test_temporal_nms_matches_reference_on_random_segments():
    rng = np.random.default_rng(1)
    for _ in range(20):
        starts = rng.uniform(0, 10, size=30).astype("float32")
        ends = starts + rng.uniform(0.1, 5, size=30).astype("float32")
        scores = rng.permutation(30).astype("float32")  # distinct scores: no tie order issues
        kept = temporal_nms(starts, ends, scores, iou_threshold=0.4, max_outputs=5)
        assert kept.numpy().tolist() == reference_nms(starts, ends, scores, 0.4, 5)


def test_ranked_moments_pads_missing_slots_with_minus_inf_and_zero_times():
    scores = tf.constant([[0.2, 0.9, 0.5, 0.7], [0.1, 0.2, 0.3, 0.4]])
    kept = tf.constant([[True, True, False, False], [True, True, True, True]])
    result = ranked_moments(
        scores, kept, tf.constant(STARTS), tf.constant(ENDS), iou_threshold=0.5, top_k=3
    )
    np.testing.assert_allclose(result["score"][0], [0.9, 0.2, -np.inf])
    np.testing.assert_allclose(result["start"][0], [0.0, 0.0, 0.0])
    np.testing.assert_allclose(result["end"][0], [1.0, 2.0, 0.0])
    # Query 2: [5, 6] 0.4, [1, 3] 0.3, [0, 1] 0.2 (IoU 0 with [1, 3]); [0, 2] is beyond top_k.
    np.testing.assert_allclose(result["score"][1], [0.4, 0.3, 0.2])
    np.testing.assert_allclose(result["start"][1], [5.0, 1.0, 0.0])


def test_minus_inf_scores_are_never_selected():
    scores = np.array([0.9, -np.inf, 0.7, 0.1], dtype="float32")
    kept = temporal_nms(STARTS, ENDS, scores, iou_threshold=1.0, max_outputs=4)
    assert kept.numpy().tolist() == [0, 2, 3]
