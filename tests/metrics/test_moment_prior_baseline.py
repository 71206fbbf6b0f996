"""The query-blind prior baseline on hand-built and brute-forced train moments."""

import numpy as np
import pytest

from clear_tf import moments
from clear_tf.metrics import MomentPriorBaseline, normalized_moments, recall_at

# Three train moments on the first half, two on the second half.
TRAIN = np.array([[0, 0.5]] * 3 + [[0.5, 1.0]] * 2)


def test_hand_case_picks():
    prior = MomentPriorBaseline(num_bins=4, top_k=2, iou_threshold=0.5, nms_threshold=0.5)
    prior.fit(TRAIN)
    # Pick 1: [0, .5] and [0, .75] both hit 3 (IoU 1 and 2/3 > .5); [0, .5] has the higher
    # IoU sum (3 vs 2.5). [0, .75] is then suppressed (IoU 2/3 with [0, .5]). Pick 2:
    # [.5, 1] and [.25, 1] both hit the 2 remaining; IoU sums 2 vs 2·2/3 + 3·1/4 → [.25, 1].
    np.testing.assert_allclose(prior.moments, [[0.0, 0.5], [0.25, 1.0]])
    predictions = prior.predict([10.0, 20.0])
    np.testing.assert_allclose(predictions, [[[0, 5], [2.5, 10]], [[0, 10], [5, 20]]])
    train_predictions = prior.predict(np.ones(len(TRAIN)))
    assert recall_at(train_predictions, TRAIN, 1, 0.5) == pytest.approx(0.6)
    assert recall_at(train_predictions, TRAIN, 2, 0.5) == pytest.approx(1.0)


def test_nms_can_leave_fewer_picks_than_top_k():
    # Grid of 2: [0, .5], [0, 1], [.5, 1]; [0, 1] overlaps the first pick with IoU .5 > .4.
    prior = MomentPriorBaseline(num_bins=2, top_k=3, nms_threshold=0.4).fit(TRAIN)
    np.testing.assert_allclose(prior.moments, [[0.0, 0.5], [0.5, 1.0]])
    np.testing.assert_allclose(prior.predict([4.0])[0], [[0, 2], [2, 4], [0, 0]])


def test_first_pick_maximises_train_recall_at_1():
    rng = np.random.default_rng(0)
    starts = rng.uniform(0, 0.6, size=200)
    train = np.stack([starts, np.minimum(starts + rng.uniform(0.05, 0.5, size=200), 1.0)], axis=1)
    for strict in (True, False):
        prior = MomentPriorBaseline(num_bins=6, top_k=1, iou_threshold=0.5, strict=strict)
        prior.fit(train)
        best = recall_at(prior.predict(np.ones(200)), train, 1, 0.5, strict)
        starts_grid, ends_grid = moments.candidate_times(6, 1.0)
        for i, j in zip(*np.nonzero(moments.valid_mask(6))):
            fixed = np.tile([[[starts_grid[i, j], ends_grid[i, j]]]], (200, 1, 1))
            assert recall_at(fixed, train, 1, 0.5, strict) <= best


def test_bad_train_moments_and_unfitted_predict_are_errors():
    with pytest.raises(ValueError, match=r"1 train moments are not 0 <= start < end <= 1.*row 1"):
        MomentPriorBaseline().fit([[0.1, 0.2], [0.5, 0.4]])
    with pytest.raises(ValueError, match="before fit"):
        MomentPriorBaseline().predict([1.0])
    with pytest.raises(ValueError, match="positive seconds"):
        MomentPriorBaseline(num_bins=2, top_k=1).fit(TRAIN).predict([0.0])


def test_normalized_moments():
    np.testing.assert_allclose(
        normalized_moments([[1, 2], [0, 5]], [4, 10]), [[0.25, 0.5], [0, 0.5]]
    )
    with pytest.raises(ValueError, match="duration row 1 is not positive"):
        normalized_moments([[1, 2], [0, 5]], [4, 0])
