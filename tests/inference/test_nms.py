"""Temporal NMS: hand cases, exact ties on the clip grid, the NumPy reference, padding."""

from fractions import Fraction

import numpy as np
import pytest
import tensorflow as tf

from clear_tf.inference import ranked_moments, temporal_nms
from clear_tf.inference.nms import suppresses, threshold_fraction
from clear_tf.inference.reference import exact_iou, reference_nms

# Clip spans [start, end): [0, 2) best; [0, 1) has IoU 1/2 with it; [1, 3) has IoU 1/3
# with it; [5, 6) is disjoint.
STARTS = np.array([0, 0, 1, 5], dtype="int32")
ENDS = np.array([2, 1, 3, 6], dtype="int32")
SCORES = np.array([0.9, 0.8, 0.7, 0.1], dtype="float32")


@pytest.mark.parametrize(
    "threshold,max_outputs,expected",
    [
        (0.5, 4, [0, 1, 2, 3]),  # IoU = threshold is not suppressed
        (0.4, 4, [0, 2, 3]),
        (1 / 3, 4, [0, 2, 3]),  # 1/3 exactly: [1, 3) stays
        (0.3, 4, [0, 3]),
        (0.5, 2, [0, 1]),
        (0.0, 4, [0, 3]),  # any overlap suppresses; disjoint segments never do
    ],
)
def test_temporal_nms_hand_cases(threshold, max_outputs, expected):
    kept = temporal_nms(STARTS, ENDS, SCORES, iou_threshold=threshold, max_outputs=max_outputs)
    assert kept.numpy().tolist() == expected
    assert reference_nms(STARTS, ENDS, SCORES, threshold, max_outputs) == expected


def test_threshold_is_read_as_the_decimal_fraction():
    assert threshold_fraction(0.4) == (2, 5)
    assert threshold_fraction(0.35) == (7, 20)
    assert threshold_fraction(1 / 3) == (1, 3)
    assert threshold_fraction(1.0) == (1, 1)
    with pytest.raises(ValueError, match=">= 0"):
        threshold_fraction(-0.1)


def test_a_tie_at_the_threshold_is_not_suppressed_where_float32_seconds_would_suppress():
    # L = 16 clips of a 10.1 s video; cells (0, 3) and (2, 4) are the spans [0, 4) and
    # [2, 5): 2 clips shared out of 5, IoU = 2/5 = the threshold exactly.
    num_clips, duration = 16, 10.1
    step = np.float32(duration) / np.float32(num_clips)
    starts, ends = np.array([0, 2]), np.array([4, 5])
    scores = tf.constant([[0.9, 0.8]])
    # The float rule (the IoU of the segments in float32 seconds) suppresses the second.
    seconds = np.stack([np.zeros(2), starts * step, np.ones(2), ends * step], axis=1).astype("float32")
    float_kept = tf.image.non_max_suppression(seconds, scores[0], max_output_size=2, iou_threshold=0.4)
    assert float_kept.numpy().tolist() == [0], "the case must be one that float32 rounding decides"
    # The exact rule keeps both: IoU = 0.4 is not > 0.4.
    result = ranked_moments(
        scores, tf.ones([1, 2], tf.bool), starts, ends, step, iou_threshold=0.4, top_k=2
    )
    np.testing.assert_allclose(result["score"][0], [0.9, 0.8])
    np.testing.assert_allclose(result["start"][0], [0.0, 2 * step], rtol=1e-6)
    np.testing.assert_allclose(result["end"][0], [4 * step, 5 * step], rtol=1e-6)
    assert reference_nms(starts, ends, [0.9, 0.8], 0.4, 2) == [0, 1]
    # Just above the threshold ([2, 4) inside [0, 4): IoU 2/4) suppresses.
    assert temporal_nms([0, 2], [4, 4], [0.9, 0.8], iou_threshold=0.4, max_outputs=2).numpy().tolist() == [0]


def test_integer_rule_equals_the_exact_fraction_on_every_pair_of_a_small_grid():
    bounds = [(start, end) for start in range(12) for end in range(start + 1, 13)]
    kept_start, kept_end = (np.array(values)[:, None] for values in zip(*bounds))
    start, end = (np.array(values)[None, :] for values in zip(*bounds))
    for threshold in (0.0, 0.25, 0.3, 1 / 3, 0.4, 0.5, 0.6, 2 / 3, 0.7, 1.0):
        got = suppresses(kept_start, kept_end, start, end, threshold).numpy()
        expected = np.array(
            [[exact_iou(*a, *b) > threshold_fraction_of(threshold) for b in bounds] for a in bounds]
        )
        np.testing.assert_array_equal(got, expected, err_msg=str(threshold))
        # Ties exist at these thresholds, and they are not suppressed.
        ties = [[exact_iou(*a, *b) == threshold_fraction_of(threshold) for b in bounds] for a in bounds]
        if threshold not in (0.0, 1.0):
            assert np.any(ties) and not np.any(got[np.array(ties)])


def threshold_fraction_of(threshold):
    numerator, denominator = threshold_fraction(threshold)
    return Fraction(numerator, denominator)


def test_temporal_nms_matches_reference_on_random_grid_segments():
    rng = np.random.default_rng(1)
    for trial in range(30):
        starts = rng.integers(0, 20, size=40)
        ends = starts + rng.integers(1, 8, size=40)
        # Repeated scores too: equal scores keep the lower index first in both.
        scores = rng.integers(0, 15 if trial % 2 else 1000, size=40).astype("float32")
        for threshold in (0.4, 0.5):
            kept = temporal_nms(starts, ends, scores, iou_threshold=threshold, max_outputs=5)
            assert kept.numpy().tolist() == reference_nms(starts, ends, scores, threshold, 5)


def test_ranked_moments_pads_missing_slots_with_minus_inf_and_zero_times():
    scores = tf.constant([[0.2, 0.9, 0.5, 0.7], [0.1, 0.2, 0.3, 0.4]])
    kept = tf.constant([[True, True, False, False], [True, True, True, True]])
    result = ranked_moments(scores, kept, STARTS, ENDS, 2.0, iou_threshold=0.5, top_k=3)
    np.testing.assert_allclose(result["score"][0], [0.9, 0.2, -np.inf])
    np.testing.assert_allclose(result["start"][0], [0.0, 0.0, 0.0])
    np.testing.assert_allclose(result["end"][0], [2.0, 4.0, 0.0])
    # Query 2: [5, 6) 0.4, [1, 3) 0.3, [0, 1) 0.2 (IoU 0 with [1, 3)); [0, 2) is beyond top_k.
    np.testing.assert_allclose(result["score"][1], [0.4, 0.3, 0.2])
    np.testing.assert_allclose(result["start"][1], [10.0, 2.0, 0.0])


def test_minus_inf_scores_are_never_selected():
    scores = np.array([0.9, -np.inf, 0.7, 0.1], dtype="float32")
    kept = temporal_nms(STARTS, ENDS, scores, iou_threshold=1.0, max_outputs=4)
    assert kept.numpy().tolist() == [0, 2, 3]
    assert reference_nms(STARTS, ENDS, scores, 1.0, 4) == [0, 2, 3]


def test_an_empty_list_keeps_nothing():
    kept = temporal_nms(np.zeros([0], "int32"), np.zeros([0], "int32"), np.zeros([0], "float32"),
                        iou_threshold=0.4, max_outputs=3)
    assert kept.numpy().tolist() == []
