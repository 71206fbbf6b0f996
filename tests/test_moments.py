"""Candidate geometry against hand-computed cases."""

import numpy as np
import pytest

from clear_tf import moments


def test_anchor_positions_match_eq2_for_small_maps():
    # Eq. 2, 1-based: a1 = c(1,L), a2 = c(1,L-1), a3 = c(L,L), a4 = c(1,L-2), a5 = c(L-1,L-1),
    # a6 = c(1,L-3), a7 = c(L-2,L-2). With L = 8, 0-based:
    assert moments.anchor_positions(8, 7) == [(0, 7), (0, 6), (7, 7), (0, 5), (6, 6), (0, 4), (5, 5)]
    assert moments.anchor_positions(4, 3) == [(0, 3), (0, 2), (3, 3)]
    assert moments.anchor_positions(5, 1) == [(0, 4)]


def test_anchor_count_follows_tree_depth():
    assert [moments.num_anchors(p) for p in (1, 2, 4)] == [1, 3, 7]
    with pytest.raises(ValueError):
        moments.num_anchors(0)


def test_anchors_that_do_not_fit_are_rejected():
    with pytest.raises(ValueError, match="do not fit"):
        moments.anchor_positions(2, 5)


def test_valid_mask_counts_upper_triangle():
    mask = moments.valid_mask(6)
    assert mask.sum() == 6 * 7 // 2
    assert mask[2, 4] and not mask[4, 2]


def test_sparse_mask_follows_2dtan_rule():
    # L = 8, counts (2, 2): offsets 0,1,2 densely; then stride 2: offsets 4 and 6 at even starts.
    mask = moments.sparse_mask(8, (2, 2))
    expected = set()
    for offset in (0, 1, 2):
        expected |= {(i, i + offset) for i in range(8 - offset)}
    expected |= {(i, i + 4) for i in (0, 2)} | {(0, 6)}
    assert set(zip(*np.nonzero(mask))) == expected
    assert not (mask & ~moments.valid_mask(8)).any()


def test_candidate_times_span_clips():
    starts, ends = moments.candidate_times(4, 8.0)
    assert starts[1, 2] == 2.0 and ends[1, 2] == 6.0
    assert starts[0, 3] == 0.0 and ends[0, 3] == 8.0


def test_temporal_iou_hand_cases():
    np.testing.assert_allclose(moments.temporal_iou(0.0, 4.0, 2.0, 6.0), 2.0 / 6.0)
    np.testing.assert_allclose(moments.temporal_iou(0.0, 2.0, 3.0, 5.0), 0.0)
    np.testing.assert_allclose(moments.temporal_iou(1.0, 3.0, 1.0, 3.0), 1.0)
    np.testing.assert_allclose(moments.temporal_iou(0.0, 10.0, 2.0, 3.0), 0.1)
