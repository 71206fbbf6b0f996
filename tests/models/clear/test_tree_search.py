"""The TF tree search against the NumPy reference and against hand-traced cases."""

import numpy as np
import pytest

from clear_tf import moments
from clear_tf.models.clear.reference import (
    TreeNode,
    node_mask,
    reference_binary_search,
    reference_paper_search,
    reference_coarse_peaks,
    reference_top_coarse,
)
from clear_tf.models.clear.tree_search import (
    anchor_cells,
    budget_size,
    check_anchors_are_candidates,
    default_depth,
    full_binary_depth,
    tree_search,
)

MU, RHO = -0.1, 0.1


NODE_KEYS = ("node_start", "node_end", "split", "layer", "last_start", "first_end")


def search_one(
    scores, tree, depth, candidate_mask=None, mu=MU, rho=RHO, descend_when="both", refine_straddling=False
):
    """Runs the TF search on a single [L, L] score map; returns (TreeNode, mask)."""
    num_clips = scores.shape[0]
    mask = moments.valid_mask(num_clips) if candidate_mask is None else candidate_mask
    result = tree_search(
        scores[None].astype("float32"), mask, tree=tree, depth=depth, mu=mu, rho=rho,
        descend_when=descend_when, refine_straddling=refine_straddling,
    )
    node = TreeNode(*(int(result[key].numpy()[0]) for key in NODE_KEYS))
    return node, result["mask"].numpy()[0]


def scores_with(num_clips, values):
    """An [L, L] map of zeros with the given {(i, j): score} cells set."""
    scores = np.zeros((num_clips, num_clips), dtype="float32")
    for cell, value in values.items():
        scores[cell] = value
    return scores


def cells_of(mask):
    return sorted(zip(*map(lambda a: a.tolist(), np.nonzero(mask))))


@pytest.mark.parametrize("tree,descend_when", [("paper", "both"), ("paper", "either"), ("binary", "both")])
@pytest.mark.parametrize("num_clips,depth", [(5, 2), (8, 3), (9, 4), (12, 5)])
def test_tf_search_equals_numpy_reference_on_random_scores(tree, descend_when, num_clips, depth):
    rng = np.random.default_rng(num_clips * 10 + depth)
    # Scores spread over [-0.3, 1] so every branch (negative y included) occurs; the
    # printed rule descends only when both children beat the node, so its maps rise
    # from the root to the leaves more often than not.
    scores = rng.uniform(-0.3, 1.0, size=(400, num_clips, num_clips)).astype("float32")
    if descend_when == "both":
        scores += 0.3 * np.triu(np.arange(num_clips)[::-1, None] - np.arange(num_clips)[None, ::-1]) / num_clips
    candidate_mask = moments.valid_mask(num_clips)
    result = tree_search(
        scores, candidate_mask, tree=tree, depth=depth, mu=MU, rho=RHO, descend_when=descend_when
    )
    outcomes = set()
    for query in range(len(scores)):
        if tree == "paper":
            expected = reference_paper_search(scores[query], depth, MU, RHO, descend_when)
        else:
            expected = reference_binary_search(scores[query], depth, candidate_mask)
        got = TreeNode(*(int(result[key][query]) for key in NODE_KEYS))
        assert got == expected, f"query {query}"
        np.testing.assert_array_equal(result["mask"][query], node_mask(expected, candidate_mask))
        outcomes.add((expected.split >= 0, expected.layer))
    # The random maps must exercise straddles and several layers, or the test proves little.
    assert any(straddle for straddle, _ in outcomes)
    assert len({layer for _, layer in outcomes}) >= 2


# Paper tree, L = 8, P = 3: a1 = (0, 7), a2 = (0, 6), a3 = (7, 7), a4 = (0, 5), a5 = (6, 6).
def test_paper_tree_anchors_are_those_of_eq_2():
    assert set(anchor_cells("paper", 8, 3)) == set(moments.anchor_positions(8, 5))


def test_paper_root_stop_keeps_every_candidate():
    scores = scores_with(8, {(0, 7): 0.9, (0, 6): 0.5, (7, 7): 0.1})
    node, mask = search_one(scores, "paper", 3)
    assert node == TreeNode(0, 7, -1, 1)
    np.testing.assert_array_equal(mask, moments.valid_mask(8))


def test_paper_right_child_keeps_the_single_last_clip():
    # η = (0.8 - 0.3) / 0.3 = 1.67 > ρ.
    scores = scores_with(8, {(0, 7): 0.2, (0, 6): 0.3, (7, 7): 0.8})
    node, mask = search_one(scores, "paper", 3)
    assert node == TreeNode(7, 7, -1, 2)
    assert cells_of(mask) == [(7, 7)]


def test_paper_descends_left_twice_then_stops_at_the_last_layer():
    # Layer 1: η = (0.1 - 0.5) / 0.5 = -0.8 <= μ; layer 2: η = (0.2 - 0.7) / 0.7 <= μ.
    scores = scores_with(
        8, {(0, 7): 0.2, (0, 6): 0.5, (7, 7): 0.1, (0, 5): 0.7, (6, 6): 0.2}
    )
    node, mask = search_one(scores, "paper", 3, descend_when="either")
    assert node == TreeNode(0, 5, -1, 3)
    assert cells_of(mask) == [(i, j) for i in range(6) for j in range(i, 6)]


def test_paper_straddle_keeps_candidates_ending_on_the_boundary_clip():
    # Layer 1 → left (η = -0.8); layer 2: y = z = 0.6 > x = 0.5, η = 0 in (μ, ρ].
    scores = scores_with(
        8, {(0, 7): 0.2, (0, 6): 0.5, (7, 7): 0.1, (0, 5): 0.6, (6, 6): 0.6}
    )
    node, mask = search_one(scores, "paper", 3, descend_when="either")
    # Node (0..6) minus left (0..5) minus right (6, 6): the cells (i, 6), i < 6.
    assert node == TreeNode(0, 6, 5, 2)
    assert cells_of(mask) == [(i, 6) for i in range(6)]


def test_paper_tiny_positive_y_uses_the_floored_denominator():
    # y = 1e-9 beats x = 0; η = (-0.5 - 1e-9) / 1e-6 ≈ -5e5 → left, not a division blow-up.
    scores = scores_with(8, {(0, 7): 0.0, (0, 6): 1e-9, (7, 7): -0.5, (0, 5): -1.0, (6, 6): -1.0})
    node, _ = search_one(scores, "paper", 3, descend_when="either")
    assert node == TreeNode(0, 6, -1, 2)


def test_paper_zero_y_and_positive_z_goes_right():
    scores = scores_with(8, {(0, 7): -0.1, (0, 6): 0.0, (7, 7): 0.001})
    node, _ = search_one(scores, "paper", 3)
    assert node == TreeNode(7, 7, -1, 2)


def test_paper_negative_y_divides_by_its_magnitude():
    # η = (-0.1 - -0.2) / |-0.2| = +0.5 > ρ → right; dividing by y itself would go left.
    scores = scores_with(8, {(0, 7): -0.5, (0, 6): -0.2, (7, 7): -0.1})
    node, _ = search_one(scores, "paper", 3)
    assert node == TreeNode(7, 7, -1, 2)


def test_paper_eta_exactly_mu_descends_left_and_exactly_rho_straddles():
    scores = scores_with(8, {(0, 7): 0.2, (0, 6): 0.5, (7, 7): 0.45, (0, 5): 0.5, (6, 6): 0.1})
    eta = float((np.float32(0.45) - np.float32(0.5)) / np.float32(0.5))
    # η = μ → left; then max(y, z) = 0.5 = x: stop at the left node.
    node, _ = search_one(scores, "paper", 3, mu=eta, rho=eta + 1.0)
    assert node == TreeNode(0, 6, -1, 2)
    # η = ρ is not > ρ: with μ below it, the root's straddling set is kept.
    node, _ = search_one(scores, "paper", 3, mu=eta - 1.0, rho=eta)
    assert node == TreeNode(0, 7, 6, 1)


@pytest.mark.parametrize("descend_when,expected", [("both", TreeNode(0, 7, -1, 1)), ("either", TreeNode(0, 6, -1, 2))])
def test_paper_line_8_both_children_must_beat_the_node_as_printed(descend_when, expected):
    # The left child beats the root (0.5 > 0.2), the right one does not (0.1): Algorithm 1's
    # Max(y, z) < x on distances keeps the root; the looser reading descends left.
    scores = scores_with(8, {(0, 7): 0.2, (0, 6): 0.5, (7, 7): 0.1, (0, 5): 0.4, (6, 6): 0.0})
    node, _ = search_one(scores, "paper", 3, descend_when=descend_when)
    assert node == expected
    # Both children above the node: both readings go on (η = -0.8 <= μ → left).
    scores[7, 7] = 0.3
    node, _ = search_one(scores, "paper", 3, descend_when=descend_when)
    assert node.layer >= 2


# Binary tree, L = 8: root (0, 7), halves (0, 3) / (4, 7), quarters, single clips. The
# search follows the best coarse candidate; the other cells hold lower scores.
def test_binary_follows_the_best_candidate_right_then_left_then_straddles():
    scores = scores_with(8, {(4, 5): 0.9, (0, 7): 0.8, (4, 7): 0.7, (6, 7): 0.6})
    node, mask = search_one(scores, "binary", 4)
    # (4, 5): right of mid 3, left of mid 5, then crosses mid 4 of the node (4, 5).
    assert node == TreeNode(4, 5, 4, 3)
    assert cells_of(mask) == [(4, 5)]


def test_binary_stops_on_a_one_clip_node_whatever_the_depth():
    scores = scores_with(8, {(3, 3): 0.9, (0, 3): 0.5, (2, 3): 0.7})
    node, mask = search_one(scores, "binary", 10)
    assert node == TreeNode(3, 3, -1, 4)
    assert cells_of(mask) == [(3, 3)]


def test_binary_depth_limit_stops_at_the_last_allowed_layer():
    scores = scores_with(8, {(2, 3): 0.7, (0, 7): 0.1})
    node, mask = search_one(scores, "binary", 2)
    assert node == TreeNode(0, 3, -1, 2)
    assert cells_of(mask) == [(i, j) for i in range(4) for j in range(i, 4)]


def test_binary_straddle_at_root_keeps_cells_crossing_the_midpoint():
    scores = scores_with(8, {(2, 5): 0.6, (0, 3): 0.5, (4, 7): 0.5})
    node, mask = search_one(scores, "binary", 4)
    assert node == TreeNode(0, 7, 3, 1)
    assert cells_of(mask) == [(i, j) for i in range(4) for j in range(4, 8)]


@pytest.mark.parametrize("num_clips", [2, 3, 5, 8, 13, 32])
def test_refined_straddling_equals_numpy_reference_at_every_depth(num_clips):
    rng = np.random.default_rng(num_clips)
    candidate_mask = moments.valid_mask(num_clips)
    scores = rng.normal(size=(200, num_clips, num_clips)).astype("float32")
    for depth in range(1, full_binary_depth(num_clips) + 3):
        result = tree_search(
            scores, candidate_mask, tree="binary", depth=depth, mu=MU, rho=RHO, refine_straddling=True
        )
        for query in range(len(scores)):
            expected = reference_binary_search(scores[query], depth, candidate_mask, refine_straddling=True)
            assert TreeNode(*(int(result[key][query]) for key in NODE_KEYS)) == expected
            kept = node_mask(expected, candidate_mask)
            np.testing.assert_array_equal(result["node_mask"][query], kept)
            # The best coarse candidate is always kept.
            best = np.unravel_index(np.argmax(np.where(candidate_mask, scores[query], -np.inf)), kept.shape)
            assert kept[best]


def test_refined_straddling_halves_starts_and_ends_towards_the_best_cell():
    # (1, 6) crosses the root's mid 3: the block starts [0, 3] x ends [4, 7]; then starts
    # [0, 1] x ends [6, 7] (layer 2), then the single cell (layer 3).
    scores = scores_with(8, {(1, 6): 0.9, (0, 7): 0.8})
    node, mask = search_one(scores, "binary", 4, refine_straddling=True)
    assert node == TreeNode(1, 6, 3, 3, last_start=1, first_end=6)
    assert cells_of(mask) == [(1, 6)]
    node, mask = search_one(scores, "binary", 2, refine_straddling=True)
    assert node == TreeNode(0, 7, 3, 2, last_start=1, first_end=6)
    assert cells_of(mask) == [(i, j) for i in range(2) for j in range(6, 8)]
    # Without refining, the search stops on the root's whole straddling set.
    node, mask = search_one(scores, "binary", 4)
    assert node == TreeNode(0, 7, 3, 1) and len(cells_of(mask)) == 16


def test_binary_depth_one_keeps_everything():
    node, mask = search_one(scores_with(8, {(5, 6): 1.0}), "binary", 1)
    assert node == TreeNode(0, 7, -1, 1)
    np.testing.assert_array_equal(mask, moments.valid_mask(8))


def test_binary_never_follows_a_cell_outside_the_candidates():
    candidate_mask = moments.valid_mask(8)
    candidate_mask[1, 5] = False
    # The best cell (1, 5) is no candidate; the best candidate (6, 6) leads right.
    scores = scores_with(8, {(1, 5): 5.0, (6, 6): 0.9, (1, 4): 0.8})
    node, mask = search_one(scores, "binary", 2, candidate_mask)
    assert node == TreeNode(4, 7, -1, 2)
    # A straddle at the root keeps crossing cells, but never (1, 5).
    _, mask = search_one(scores_with(8, {(1, 4): 0.9}), "binary", 2, candidate_mask)
    assert not mask[1, 5] and mask[1, 4]


def test_missing_anchor_in_sparse_mask_is_a_clear_error():
    candidate_mask = moments.valid_mask(8)
    candidate_mask[0, 5] = False  # a_4 of the paper tree with P = 3
    with pytest.raises(ValueError, match=r"paper tree of depth 3.*\(0, 5\)"):
        check_anchors_are_candidates("paper", 3, candidate_mask)
    check_anchors_are_candidates("binary", 3, candidate_mask)  # reads no anchor
    with pytest.raises(ValueError, match="mu < rho"):
        tree_search(
            np.zeros((1, 8, 8), "float32"), moments.valid_mask(8),
            tree="binary", depth=2, mu=0.2, rho=0.1,
        )
    with pytest.raises(ValueError, match="unknown tree"):
        anchor_cells("ternary", 8, 2)
    with pytest.raises(ValueError, match="do not fit"):
        anchor_cells("paper", 4, 6)


def test_full_binary_depth_reaches_single_clips():
    assert [full_binary_depth(n) for n in (1, 2, 8, 9, 128)] == [1, 2, 4, 5, 8]
    for clip in range(9):
        scores = scores_with(9, {(clip, clip): 1.0})
        node, _ = search_one(scores, "binary", full_binary_depth(9))
        assert (node.start, node.end, node.split) == (clip, clip, -1)


def test_default_depth_is_p_for_the_paper_tree_and_full_for_the_binary_tree():
    assert default_depth("paper", 32, 3) == 3
    assert default_depth("binary", 32, 3) == 6
    assert default_depth("binary", 128, 4) == 8


@pytest.mark.parametrize("tree", ["paper", "binary"])
@pytest.mark.parametrize("share", [0.0, 0.1, 0.25, 1.0])
def test_budget_tops_up_the_node_like_the_numpy_reference(tree, share):
    num_clips, depth = 12, 4
    rng = np.random.default_rng(7)
    # Scores on a coarse grid (many equal values: ties at the budget's edge) and a
    # sparse-like candidate set with holes, so non-candidates never enter the budget.
    scores = rng.integers(-3, 10, size=(60, num_clips, num_clips)).astype("float32") / 10
    candidate_mask = moments.valid_mask(num_clips)
    candidate_mask[0, 5:9] = False
    for cell in anchor_cells(tree, num_clips, depth):
        candidate_mask[cell] = True
    result = tree_search(scores, candidate_mask, tree=tree, depth=depth, mu=MU, rho=RHO, min_kept_share=share)
    count = budget_size(candidate_mask, share)
    assert count == int(np.ceil(share * candidate_mask.sum()))
    added_outside_node = 0
    for query in range(len(scores)):
        if tree == "paper":
            node = reference_paper_search(scores[query], depth, MU, RHO)
        else:
            node = reference_binary_search(scores[query], depth, candidate_mask)
        top = reference_top_coarse(scores[query], candidate_mask, share)
        assert top.sum() == count and not np.any(top & ~candidate_mask)
        node_cells = node_mask(node, candidate_mask)
        np.testing.assert_array_equal(result["node_mask"][query], node_cells, err_msg=f"query {query}")
        np.testing.assert_array_equal(result["mask"][query], node_cells | top, err_msg=f"query {query}")
        added_outside_node += int((top & ~node_cells).sum())
    if 0 < share < 1:
        assert added_outside_node > 0, "the budget must add candidates outside some node"
    if share == 1.0:
        assert np.all(result["mask"].numpy() == candidate_mask[None])


def test_budget_keeps_the_best_coarse_candidates_in_row_major_order_on_ties():
    num_clips = 4  # 10 candidates; a share of 0.3 keeps 3 of them
    scores = scores_with(num_clips, {(0, 3): 0.9, (1, 1): 0.5, (2, 3): 0.5, (0, 0): 0.5, (3, 3): 0.2})
    scores[1, 0] = 5.0  # not a candidate (i > j): never kept
    result = tree_search(scores[None], moments.valid_mask(num_clips), tree="binary", depth=3, mu=MU,
                         rho=RHO, min_kept_share=0.3)
    # The best candidate (0, 3) straddles the root's split: the node is the straddling set.
    straddling = {(i, j) for i in range(2) for j in range(2, 4)}
    assert cells_of(result["node_mask"].numpy()[0]) == sorted(straddling)
    # Budget: (0, 3), then the first two of the three 0.5s in row-major order.
    assert cells_of(result["mask"].numpy()[0]) == sorted(straddling | {(0, 0), (1, 1)})
    expected = reference_top_coarse(scores, moments.valid_mask(num_clips), 0.3)
    assert cells_of(expected) == [(0, 0), (0, 3), (1, 1)]


def test_budget_share_outside_0_1_is_rejected():
    with pytest.raises(ValueError, match="min_kept_share"):
        tree_search(np.zeros((1, 4, 4), "float32"), moments.valid_mask(4), tree="binary", depth=2,
                    mu=MU, rho=RHO, min_kept_share=1.5)


@pytest.mark.parametrize("tree", ["paper", "binary"])
@pytest.mark.parametrize("peaks,iou", [(1, 0.4), (5, 0.4), (5, 0.5), (40, 0.0)])
def test_coarse_peaks_join_the_node_like_the_numpy_reference(tree, peaks, iou):
    num_clips, depth = 12, 4
    rng = np.random.default_rng(11)
    # Coarse-grid scores: equal scores and IoU ties at the threshold both occur.
    scores = rng.integers(-3, 10, size=(40, num_clips, num_clips)).astype("float32") / 10
    candidate_mask = moments.valid_mask(num_clips)
    candidate_mask[1, 4:8] = False
    for cell in anchor_cells(tree, num_clips, depth):
        candidate_mask[cell] = True
    result = tree_search(scores, candidate_mask, tree=tree, depth=depth, mu=MU, rho=RHO,
                         min_kept_share=0.05, coarse_peaks=peaks, coarse_peak_iou=iou)
    added = 0
    for query in range(len(scores)):
        peak_cells = reference_coarse_peaks(scores[query], candidate_mask, peaks, iou)
        assert 1 <= peak_cells.sum() <= peaks and not np.any(peak_cells & ~candidate_mask)
        expected = (
            result["node_mask"].numpy()[query]
            | reference_top_coarse(scores[query], candidate_mask, 0.05)
            | peak_cells
        )
        np.testing.assert_array_equal(result["mask"][query], expected, err_msg=f"query {query}")
        added += int((peak_cells & ~result["node_mask"].numpy()[query]).sum())
    if peaks > 1:  # the best peak is the best coarse candidate: in the binary node already
        assert added > 0, "the peaks must add candidates outside some node"


def test_coarse_peaks_are_distinct_moments_not_the_top_scores():
    num_clips = 8
    # The three best coarse cells overlap (IoU > 0.4 with (0, 3)); the second peak is the
    # best cell far from them, (6, 7).
    scores = scores_with(num_clips, {(0, 3): 0.9, (0, 2): 0.85, (1, 3): 0.8, (6, 7): 0.3, (5, 5): 0.2})
    result = tree_search(scores[None], moments.valid_mask(num_clips), tree="binary", depth=4, mu=MU,
                         rho=RHO, coarse_peaks=2, coarse_peak_iou=0.4)
    added = result["mask"].numpy()[0] & ~result["node_mask"].numpy()[0]
    assert cells_of(added) == [(6, 7)]
    assert cells_of(reference_coarse_peaks(scores, moments.valid_mask(num_clips), 2, 0.4)) == [(0, 3), (6, 7)]
