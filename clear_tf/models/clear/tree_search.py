"""Coarse-to-fine search (Algorithm 1) in TensorFlow ops, vectorised over queries.

Both trees are described by clip spans [start, end] (0-based, inclusive; a node holds
the candidates (i, j) with start <= i <= j <= end) split after a clip ``mid``. A search
ends on a whole node, on the candidates of a node that straddle its split
(node − left − right), or (binary tree, ``refine_straddling``) on a block of those.
``localize`` then evaluates the fine head only on the kept candidates; the search never
looks at fine scores.

* ``"paper"``: DESIGN §5's reading of Algorithm 1. Layer 1 is the root [0, L-1]
  (anchor a_1); the left node of layer p >= 2 is [0, L-p] (anchor a_{2p-2}) and the
  right node the single clip L-p+1 (anchor a_{2p-1}), so mid = end - 1. Coarse scores
  s = cᵀq/d (≈ IoU) are read at the anchors of the node and its children: x = s(node),
  y = s(left), z = s(right). Line 8 (``Max(y, z) < x`` on Euclidean distances) lets the
  search go on only when both children are more similar than the node, min(y, z) > x
  (``descend_when="both"``; ``"either"``, max(y, z) > x, is the looser reading of
  DESIGN §5); otherwise the node is kept. Going on,
  η = (z - y) / |y| (|y| floored at ``ETA_DENOMINATOR_FLOOR``): η > ρ → the right node
  (a leaf), η <= μ → descend left, else the straddling set. The search stops at layer
  P = ``depth``. With L = 128 and P = 4 the left nodes still hold > 95% of the
  candidates, which is why the binary tree exists.
* ``"binary"``: mid = (start + end) // 2, the children are the two halves and the third
  part is the straddling set (DESIGN §5). The search follows the candidate with the best
  coarse score: it descends into the half that holds it, or stops on the straddling set
  when that candidate crosses mid, and stops at layer ``depth`` (by default the full
  depth, ``default_depth``) or on a one-clip node. With ``refine_straddling`` it does
  not stop on a straddling set: that set is the block of starts [start, mid] × ends
  [mid + 1, end], and each further layer halves the block's start range and its end
  range and keeps the quarter that holds the best candidate, down to one cell or layer
  ``depth``. Where moments are long (ActivityNet: a third of the video), the best
  candidate crosses the root's mid for most queries and the root's straddling set
  alone is about half of all candidates; refined, the node shrinks like a half does.

Where a search ends is a block of starts [first_start, last_start] × ends [first_end,
last_end] (the candidates with i <= j in it): a whole node [start, end] is the block
[start, end] × [start, end], its straddling set [start, mid] × [mid + 1, end].

The budget (either tree): a node around one point of the video holds few distinct
moments after NMS, so R@5 suffers when the search stops on a small node. Two additions
to the kept set (off at 0, this function's default; ``ClearConfig`` turns both on):
``min_kept_share`` s > 0 adds the ⌈s · C⌉ candidates (C = the model's candidates) of
highest coarse score, wherever they lie; ``coarse_peaks`` K > 0 adds the K best
*distinct* coarse moments (greedy NMS on the coarse scores at ``coarse_peak_iou``), so
that the fine head ranks at least K moments that NMS will not merge. The coarse scores
are already computed for the search, so the budget costs only the fine head's work on
the added candidates.

Why the binary tree does not apply the η rule to span anchors (a deviation from the
letter of DESIGN §5, which leaves the binary tree's node scores open): η compares the
coarse scores of a node's span with those of its halves, and a span's score is a poor
IoU estimate: it is one dot product on a max-pool over the whole span, and on the
demo's validation split the η search stayed well below CLEAR-F at every μ, ρ and depth
tried (BENCHMARKS.md has the figures). Every candidate's coarse score costs 1/(d + 1)
of the fine head's work, and with the coarse map trained on every candidate
(``--coarse_map_weight``) the best coarse candidate points to the right part reliably,
and the fine head no longer sees far-away look-alikes. The paper's tree keeps the
paper's η rule.
"""

from __future__ import annotations

import math

import numpy as np
import tensorflow as tf

from clear_tf import moments
from clear_tf.inference.nms import greedy_nms
from clear_tf.models.clear.config import DESCEND_RULES, TREES

# |y| below this is treated as this value in η = (z - y) / |y|, so that y = 0 gives a
# huge η of the sign of z - y instead of a division by zero.
ETA_DENOMINATOR_FLOOR = 1e-6


def full_binary_depth(num_clips: int) -> int:
    """Layers a binary tree needs to reach one-clip nodes: ⌈log2 L⌉ + 1."""
    return math.ceil(math.log2(num_clips)) + 1 if num_clips > 1 else 1


def default_depth(tree: str, num_clips: int, tree_depth: int) -> int:
    """The search depth used unless one is given: P for the paper tree, full for binary.

    The paper tree must stop at P (its anchors are the ones Γ₁ trained). The binary
    tree searches to one-clip nodes, so it stops on the smallest node whose split the
    best coarse candidate crosses; on the demo's validation split that kept fewer
    candidates at a higher recall than stopping at P (BENCHMARKS.md).
    """
    _check_tree(tree, tree_depth)
    return tree_depth if tree == "paper" else full_binary_depth(num_clips)


def anchor_cells(tree: str, num_clips: int, depth: int) -> list[tuple[int, int]]:
    """Every (i, j) cell whose coarse score a search of this tree reads at an anchor.

    Args:
        tree: "paper" or "binary".
        num_clips: L.
        depth: layers of the tree (root = layer 1).

    Returns:
        Sorted list of cells: the Eq. 2 anchors of the paper tree's P = ``depth`` layers;
        empty for the binary tree, which reads the best coarse score among the
        candidates instead of anchors.
    """
    _check_tree(tree, depth)
    if tree == "binary":
        return []
    return sorted(moments.anchor_positions(num_clips, moments.num_anchors(depth)))


def check_anchors_are_candidates(
    tree: str, depth: int, candidate_mask: np.ndarray
) -> None:
    """Raises ValueError when a node's anchor is not a candidate of the moment map.

    The coarse score of a cell outside the candidate mask is meaningless (the moment map
    holds zeros there), so a sparse map must contain every anchor the tree reads.
    """
    num_clips = candidate_mask.shape[0]
    missing = [cell for cell in anchor_cells(tree, num_clips, depth) if not candidate_mask[cell]]
    if missing:
        raise ValueError(
            f"the {tree} tree of depth {depth} reads the coarse scores of cells {missing[:5]}"
            f"{' ...' if len(missing) > 5 else ''}, which are not candidates of the model's "
            f"moment map (L = {num_clips}); use a dense moment map, a shallower tree or "
            "another inference method (clear_f, clear_c)"
        )


def tree_search(
    coarse_scores: tf.Tensor,
    candidate_mask: np.ndarray,
    *,
    tree: str,
    depth: int,
    mu: float,
    rho: float,
    descend_when: str = "both",
    min_kept_share: float = 0.0,
    coarse_peaks: int = 0,
    coarse_peak_iou: float = 0.4,
    refine_straddling: bool = False,
) -> dict[str, tf.Tensor]:
    """Runs the coarse-to-fine search for M queries at once.

    Args:
        coarse_scores: float [M, L, L] coarse scores cᵀq/d (M may be dynamic).
        candidate_mask: static boolean [L, L] mask of the model's candidates.
        tree: "paper" or "binary".
        depth: layers of the tree, root included (the paper's P for "paper").
        mu: η <= μ descends to the left child (paper tree).
        rho: η > ρ selects the right child (paper tree; μ < ρ).
        descend_when: "both" (Algorithm 1 as printed) or "either" (paper tree).
        min_kept_share: the search's budget (either tree): the node's candidates are
            joined by the ``budget_size`` candidates of highest coarse score
            (``top_coarse_mask``); 0 adds none.
        coarse_peaks: the search's budget (either tree): the node's candidates are also
            joined by this many distinct coarse moments (``coarse_peak_mask``).
        coarse_peak_iou: the NMS threshold that makes the coarse peaks distinct.
        refine_straddling: binary tree: go on below a straddling set, halving its start
            and end ranges (ignored by the paper tree, whose Algorithm 1 stops there).

    Returns:
        Dict of ``mask`` bool [M, L, L] (kept candidates, within ``candidate_mask``:
        the node's and the budget's), ``node_mask`` (the node's alone), and int32 [M]:
        ``node_start``, ``node_end``, ``split`` (-1 when the whole node is kept, else
        the straddled boundary: only i <= split < j is kept), ``last_start`` and
        ``first_end`` (the kept block is starts [node_start, last_start] × ends
        [first_end, node_end]) and ``layer`` (1-based).
    """
    candidate_mask = np.asarray(candidate_mask, dtype=bool)
    num_clips = candidate_mask.shape[0]
    if mu >= rho:
        raise ValueError(f"tree search needs mu < rho, got mu={mu}, rho={rho}")
    if descend_when not in DESCEND_RULES:
        raise ValueError(f"descend_when must be one of {DESCEND_RULES}, got {descend_when!r}")
    check_anchors_are_candidates(tree, depth, candidate_mask)
    coarse_scores = tf.convert_to_tensor(coarse_scores, tf.float32)
    if tree == "paper":
        start, end, split, layer = _paper_search(coarse_scores, num_clips, depth, mu, rho, descend_when)
        last_start, first_end = _block_of(start, end, split)
    else:
        start, end, split, last_start, first_end, layer = _binary_search(
            coarse_scores, candidate_mask, depth, refine_straddling
        )

    rows = tf.range(num_clips)[tf.newaxis, :, tf.newaxis]
    cols = tf.range(num_clips)[tf.newaxis, tf.newaxis, :]

    def per_query(values):
        return values[:, tf.newaxis, tf.newaxis]

    in_block = (rows >= per_query(start)) & (rows <= per_query(last_start))
    in_block &= (cols >= per_query(first_end)) & (cols <= per_query(end))
    kept = in_block & tf.constant(candidate_mask)[tf.newaxis]
    mask = kept | top_coarse_mask(coarse_scores, candidate_mask, budget_size(candidate_mask, min_kept_share))
    mask |= coarse_peak_mask(coarse_scores, candidate_mask, coarse_peaks, coarse_peak_iou)
    return {
        "mask": mask,
        "node_mask": kept,
        "node_start": start,
        "node_end": end,
        "split": split,
        "last_start": last_start,
        "first_end": first_end,
        "layer": layer,
    }


def budget_size(candidate_mask: np.ndarray, min_kept_share: float) -> int:
    """How many top coarse candidates the budget adds: ⌈share × candidates⌉.

    The product is rounded to 9 decimals before the ceiling (0.15 × 100 counts 15, not 16).

    Raises:
        ValueError: the share is outside [0, 1].
    """
    if not 0.0 <= min_kept_share <= 1.0:
        raise ValueError(f"min_kept_share must be in [0, 1], got {min_kept_share}")
    return math.ceil(round(min_kept_share * int(np.asarray(candidate_mask, bool).sum()), 9))


def coarse_peak_mask(
    coarse_scores: tf.Tensor, candidate_mask: np.ndarray, count: int, iou_threshold: float
) -> tf.Tensor:
    """bool [M, L, L]: the ``count`` best distinct coarse moments of every query.

    Greedy NMS on the coarse scores of the candidates (``clear_tf.inference.nms``, exact
    on clip indices: a candidate is suppressed by a better kept one when their IoU is
    > ``iou_threshold``); fewer when fewer survive.
    """
    candidate_mask = np.asarray(candidate_mask, dtype=bool)
    num_clips, num_cells = candidate_mask.shape[0], candidate_mask.size
    num_queries = tf.shape(coarse_scores)[0]
    if count == 0:
        return tf.zeros(tf.shape(coarse_scores), tf.bool)
    cells = tf.range(num_cells)
    peaks, valid = greedy_nms(
        cells // num_clips,
        cells % num_clips + 1,
        tf.reshape(coarse_scores, [num_queries, num_cells]),
        tf.broadcast_to(tf.reshape(tf.constant(candidate_mask), [1, num_cells]), [num_queries, num_cells]),
        iou_threshold=iou_threshold,
        max_outputs=count,
    )
    queries = tf.broadcast_to(tf.range(num_queries)[:, tf.newaxis], tf.shape(peaks))
    chosen = tf.scatter_nd(
        tf.reshape(tf.stack([queries, peaks], axis=-1), [-1, 2]),
        tf.reshape(tf.cast(valid, tf.int32), [-1]),
        [num_queries, num_cells],
    )
    return tf.reshape(chosen > 0, tf.shape(coarse_scores))


def top_coarse_mask(coarse_scores: tf.Tensor, candidate_mask: np.ndarray, count: int) -> tf.Tensor:
    """bool [M, L, L]: the ``count`` candidates of highest coarse score of every query.

    Equal scores keep the lower row-major index first (``tf.math.top_k``'s order), so
    the set is the first ``count`` of a stable descending sort.
    """
    candidate_mask = np.asarray(candidate_mask, dtype=bool)
    num_cells = candidate_mask.size
    num_queries = tf.shape(coarse_scores)[0]
    if count == 0:
        return tf.zeros(tf.shape(coarse_scores), tf.bool)
    masked = tf.where(tf.constant(candidate_mask)[tf.newaxis], coarse_scores, float("-inf"))
    best = tf.math.top_k(tf.reshape(masked, [num_queries, num_cells]), k=count, sorted=True).indices
    queries = tf.broadcast_to(tf.range(num_queries)[:, tf.newaxis], tf.shape(best))
    chosen = tf.scatter_nd(
        tf.reshape(tf.stack([queries, best], axis=-1), [-1, 2]),
        tf.ones([num_queries * count], tf.int32),
        [num_queries, num_cells],
    )
    return tf.reshape(chosen > 0, tf.shape(coarse_scores))


def _root(num_queries, num_clips: int):
    """Every query at the root: start, end, split (-1), layer (1), searching (True)."""
    return (
        tf.zeros([num_queries], tf.int32),
        tf.fill([num_queries], num_clips - 1),
        tf.fill([num_queries], -1),
        tf.ones([num_queries], tf.int32),
        tf.ones([num_queries], tf.bool),
    )


def _step(start, end, split, layer, mid, go_left, go_right, straddle):
    """Applies one layer's decisions: descend left / right or stop on the straddling set."""
    return (
        tf.where(go_right, mid + 1, start),
        tf.where(go_left, mid, end),
        tf.where(straddle, mid, split),
        tf.where(go_left | go_right, layer + 1, layer),
    )


def _paper_search(coarse_scores, num_clips: int, depth: int, mu: float, rho: float, descend_when: str):
    """The η rule on the paper tree's anchors; returns start, end, split, layer [M]."""
    num_queries = tf.shape(coarse_scores)[0]

    def score_at(rows, cols):
        # Indices of stopped queries may leave the map; they are clamped and ignored.
        cells = tf.stack(
            [tf.clip_by_value(rows, 0, num_clips - 1), tf.clip_by_value(cols, 0, num_clips - 1)],
            axis=-1,
        )
        return tf.gather_nd(coarse_scores, cells, batch_dims=1)

    start, end, split, layer, searching = _root(num_queries, num_clips)
    for _ in range(depth - 1):
        searching &= end > start
        mid = end - 1
        x = score_at(start, end)
        y = score_at(start, mid)
        z = score_at(mid + 1, end)
        beaten = (tf.minimum(y, z) if descend_when == "both" else tf.maximum(y, z)) > x
        eta = (z - y) / tf.maximum(tf.abs(y), ETA_DENOMINATOR_FLOOR)
        go_right = searching & beaten & (eta > rho)
        go_left = searching & beaten & (eta <= mu) & ~go_right
        straddle = searching & beaten & ~go_right & ~go_left
        start, end, split, layer = _step(start, end, split, layer, mid, go_left, go_right, straddle)
        searching = go_left  # a right node is a leaf of the paper's tree
    return start, end, split, layer


def _block_of(start, end, split):
    """The block (last_start, first_end) of a node [start, end] or of its straddling set."""
    straddles = split >= 0
    return tf.where(straddles, split, end), tf.where(straddles, split + 1, start)


def _binary_search(coarse_scores, candidate_mask: np.ndarray, depth: int, refine_straddling: bool):
    """Follows the best coarse candidate down the binary tree.

    Returns start, end, split, last_start, first_end, layer [M] (see ``tree_search``).
    """
    num_clips = candidate_mask.shape[0]
    num_queries = tf.shape(coarse_scores)[0]
    masked = tf.where(tf.constant(candidate_mask)[tf.newaxis], coarse_scores, float("-inf"))
    best = tf.argmax(tf.reshape(masked, [num_queries, -1]), axis=1, output_type=tf.int32)
    best_start, best_end = best // num_clips, best % num_clips

    start, end, split, layer, searching = _root(num_queries, num_clips)
    last_start, first_end = end, start
    # Each step goes one layer deeper, except the one that enters a straddling set.
    for _ in range(2 * depth - 1 if refine_straddling else depth - 1):
        searching &= layer < depth
        in_block = split >= 0
        # A node: split it at mid, or stop on its straddling set.
        on_node = searching & ~in_block & (end > start)
        mid = (start + end) // 2
        straddle = on_node & (best_start <= mid) & (mid < best_end)
        go_left = on_node & ~straddle & (best_end <= mid)
        go_right = on_node & ~straddle & ~go_left
        # A straddling block: halve its start range and its end range (those longer than one).
        halve_starts = searching & in_block & (last_start > start)
        halve_ends = searching & in_block & (end > first_end)
        on_block = halve_starts | halve_ends
        start_mid = (start + last_start) // 2
        end_mid = (first_end + end) // 2
        early_start = best_start <= start_mid
        early_end = best_end <= end_mid

        start = tf.where(go_right, mid + 1, tf.where(halve_starts & ~early_start, start_mid + 1, start))
        end = tf.where(go_left, mid, tf.where(halve_ends & early_end, end_mid, end))
        # The block of the new node (a half is its own block; end is unchanged going right).
        last_start = tf.where(go_left | straddle, mid, tf.where(go_right, end, last_start))
        first_end = tf.where(go_right | straddle, mid + 1, first_end)
        last_start = tf.where(halve_starts & early_start, start_mid, last_start)
        first_end = tf.where(halve_ends & ~early_end, end_mid + 1, first_end)
        split = tf.where(straddle, mid, split)
        layer = tf.where(go_left | go_right | on_block, layer + 1, layer)
        searching = go_left | go_right
        if refine_straddling:
            searching |= straddle | on_block
    return start, end, split, last_start, first_end, layer


def _check_tree(tree: str, depth: int) -> None:
    if tree not in TREES:
        raise ValueError(f"unknown tree {tree!r}; expected one of {TREES}")
    if depth < 1:
        raise ValueError(f"tree depth must be >= 1, got {depth}")
