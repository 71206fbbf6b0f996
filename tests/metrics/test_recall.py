"""R@n,IoU=m, mIoU and the results table on hand-computed predictions."""

import numpy as np
import pytest

from clear_tf.metrics import (
    evaluate_predictions,
    mean_iou,
    prediction_iou,
    recall_at,
    results_table,
)

# Query 0: gt [0, 10]; top-1 [0, 5] has IoU exactly 0.5, top-2 [0, 10] IoU 1.
# Query 1: gt [2, 4]; top-1 [0, 4] has IoU exactly 0.5, top-2 is disjoint.
# Query 2: gt [0, 1]; both slots empty (start = end = 0, as localize pads).
PREDICTIONS = np.array(
    [[[0, 5], [0, 10]], [[0, 4], [10, 12]], [[0, 0], [0, 0]]], dtype=np.float32
)
GROUND_TRUTH = np.array([[0, 10], [2, 4], [0, 1]], dtype=np.float32)


def test_prediction_iou_marks_empty_slots():
    np.testing.assert_allclose(
        prediction_iou(PREDICTIONS, GROUND_TRUTH), [[0.5, 1.0], [0.5, 0.0], [-1.0, -1.0]]
    )


@pytest.mark.parametrize(
    "n,m,strict,expected",
    [
        (1, 0.5, True, 0.0),  # IoU = 0.5 is not > 0.5
        (1, 0.5, False, 2 / 3),  # ... but is >= 0.5
        (2, 0.5, True, 1 / 3),
        (2, 0.5, False, 2 / 3),
        (2, 1.0, False, 1 / 3),
        (1, 0.0, False, 2 / 3),  # empty slots never hit, not even IoU >= 0
        (1, 0.0, True, 2 / 3),
    ],
)
def test_recall_at_hand_cases(n, m, strict, expected):
    assert recall_at(PREDICTIONS, GROUND_TRUTH, n, m, strict) == pytest.approx(expected)


def test_recall_at_exact_threshold_point_three():
    # [0, 3] vs [0, 10]: IoU 3/10, which equals the float 0.3.
    predictions = np.array([[[0.0, 3.0]]])
    ground_truth = np.array([[0.0, 10.0]])
    assert recall_at(predictions, ground_truth, 1, 0.3, strict=True) == 0.0
    assert recall_at(predictions, ground_truth, 1, 0.3, strict=False) == 1.0


def test_mean_iou_of_top1_counts_empty_slots_as_zero():
    assert mean_iou(PREDICTIONS, GROUND_TRUTH) == pytest.approx((0.5 + 0.5 + 0.0) / 3)


def test_evaluate_predictions_keys_and_percentages():
    results = evaluate_predictions(
        PREDICTIONS, GROUND_TRUTH, recall_at_n=(1, 2), iou_thresholds=(0.3, 0.5)
    )
    assert list(results) == ["R@1,IoU=0.3", "R@1,IoU=0.5", "R@2,IoU=0.3", "R@2,IoU=0.5", "mIoU"]
    assert results["R@1,IoU=0.3"] == pytest.approx(200 / 3)
    assert results["R@1,IoU=0.5"] == 0.0
    assert results["R@2,IoU=0.5"] == pytest.approx(100 / 3)
    assert results["mIoU"] == pytest.approx(100 / 3)
    assert evaluate_predictions(PREDICTIONS, GROUND_TRUTH, (1,), (0.5,), strict=False)[
        "R@1,IoU=0.5"
    ] == pytest.approx(200 / 3)


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match=r"R@5 needs 1 <= n <= predictions per query \(2\)"):
        recall_at(PREDICTIONS, GROUND_TRUTH, 5, 0.5)
    with pytest.raises(ValueError, match="ground_truth must be \\[Q, 2\\] with Q = 3"):
        recall_at(PREDICTIONS, GROUND_TRUTH[:2], 1, 0.5)
    with pytest.raises(ValueError, match="ground_truth row 1 has end <= start"):
        recall_at(PREDICTIONS, np.array([[0, 1], [3, 3], [0, 1]]), 1, 0.5)
    with pytest.raises(ValueError, match="predictions must be \\[Q, k, 2\\]"):
        recall_at(PREDICTIONS[:, 0], GROUND_TRUTH, 1, 0.5)
    with pytest.raises(ValueError, match="IoU threshold m must be in"):
        recall_at(PREDICTIONS, GROUND_TRUTH, 1, 1.5)


def test_results_table_markdown():
    table = results_table(
        {
            "CLEAR": {"R@1,IoU=0.5": 30.271, "mIoU": 28.1},
            "prior baseline": {"R@1,IoU=0.5": 5.0},
        }
    )
    assert table == (
        "| method | R@1,IoU=0.5 | mIoU |\n"
        "| --- | ---: | ---: |\n"
        "| CLEAR | 30.27 | 28.10 |\n"
        "| prior baseline | 5.00 | - |"
    )
    with pytest.raises(ValueError, match="at least one row"):
        results_table({})
