"""Plain NumPy reference of the coarse-to-fine tree search (Algorithm 1) and the clip evidence.

One query at a time, written to be read against Algorithm 1 of the paper and the
reading fixed in DESIGN §5; the vectorised TensorFlow version in ``tree_search`` is
tested against it.

A node of either tree is a span of clips ``[start, end]`` (0-based, inclusive) and holds
the candidates (i, j) with ``start <= i <= j <= end``. A search ends either on a whole
node (``split = -1``) or on the candidates of a node that straddle its split point
``split`` (``i <= split < j``): the node minus its two children.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from clear_tf import moments
from clear_tf.models.clear.clip_evidence import VARIANCE_EPSILON
from clear_tf.models.clear.tree_search import ETA_DENOMINATOR_FLOOR



@dataclass(frozen=True)
class TreeNode:
    """Where a search stopped: a node span, its straddling split (or -1), its layer and
    the block of starts × ends it keeps.

    Attributes:
        start: first clip of the node's span (the block's first start).
        end: last clip of the node's span (the block's last end).
        split: -1 when the whole node is kept; otherwise the last clip of the left child,
            and only the candidates with ``i <= split < j`` are kept.
        layer: 1-based tree layer of the node (the root is layer 1).
        last_start: the block's last start; by default ``end`` (a whole node) or
            ``split`` (its straddling set). Smaller after ``refine_straddling``.
        first_end: the block's first end; by default ``start`` or ``split + 1``.
            Larger after ``refine_straddling``.
    """

    start: int
    end: int
    split: int
    layer: int
    last_start: int | None = None
    first_end: int | None = None

    def __post_init__(self):
        if self.last_start is None:
            object.__setattr__(self, "last_start", self.end if self.split < 0 else self.split)
        if self.first_end is None:
            object.__setattr__(self, "first_end", self.start if self.split < 0 else self.split + 1)


def decide(x: float, y: float, z: float, mu: float, rho: float, descend_when: str = "both") -> str:
    """The decision of one step of the search (Algorithm 1, lines 8–18, on similarities).

    Args:
        x: coarse score of the current node's anchor.
        y: coarse score of the left child's anchor.
        z: coarse score of the right child's anchor.
        mu: η <= μ descends to the left child.
        rho: η > ρ selects the right child.
        descend_when: "both": go on only when both children score above the node (the
            printed ``Max(y, z) < x`` on distances, min(y, z) > x on similarities);
            "either": when one of them does (max(y, z) > x).

    Returns:
        "stop" (keep the current node), "right", "left" or "straddle".
    """
    x, y, z = np.float32(x), np.float32(y), np.float32(z)
    beaten = min(y, z) > x if descend_when == "both" else max(y, z) > x
    if not beaten:
        return "stop"
    eta = (z - y) / max(abs(y), np.float32(ETA_DENOMINATOR_FLOOR))
    if eta > np.float32(rho):
        return "right"
    if eta <= np.float32(mu):
        return "left"
    return "straddle"


def reference_paper_search(
    coarse_scores: np.ndarray, tree_depth: int, mu: float, rho: float, descend_when: str = "both"
) -> TreeNode:
    """Algorithm 1 on the paper's tree for one query.

    Layer 1 is the root (anchor a_1, all candidates). Layer p >= 2 has a left node
    holding the candidates that end at or before anchor a_{2p-2}'s end and a right node
    holding the single clip of anchor a_{2p-1}. The search only descends left; it stops
    on a right node, on a straddling set, when the children do not beat the current node
    (``decide``), or at layer ``tree_depth``.

    Args:
        coarse_scores: [L, L] coarse scores cᵀq/d of one query.
        tree_depth: P, the number of layers (R = 2P - 1 anchors).
        mu: left threshold on η.
        rho: right threshold on η.
        descend_when: "both" or "either" (see ``decide``).

    Returns:
        The ``TreeNode`` where the search stopped.
    """
    num_clips = coarse_scores.shape[0]
    # anchors[r - 1] is the paper's a_r.
    anchors = moments.anchor_positions(num_clips, moments.num_anchors(tree_depth))
    layer = 1
    current = anchors[0]
    while layer < tree_depth:
        left = anchors[2 * layer - 1]  # a_{2(p+1)-2} for the next layer p + 1
        right = anchors[2 * layer]  # a_{2(p+1)-1}
        decision = decide(
            coarse_scores[current], coarse_scores[left], coarse_scores[right], mu, rho, descend_when
        )
        if decision == "stop":
            break
        if decision == "right":
            return TreeNode(right[0], right[1], -1, layer + 1)
        if decision == "straddle":
            # Current minus both children: candidates ending on the right child's clip.
            return TreeNode(current[0], current[1], left[1], layer)
        current = left
        layer += 1
    return TreeNode(current[0], current[1], -1, layer)


def reference_binary_search(
    coarse_scores: np.ndarray, depth: int, candidate_mask: np.ndarray, refine_straddling: bool = False
) -> TreeNode:
    """The binary tree's search for one query: enter the part holding the best coarse score.

    A node [start, end] has three disjoint parts: the halves [start, mid] and
    [mid + 1, end] (mid = (start + end) // 2) and the candidates that straddle mid. The
    search finds the candidate with the highest coarse score (the first in row-major
    order on ties) and follows it: into the half that contains it, or it stops on the
    straddling set when the candidate crosses mid. It also stops on a one-clip node or
    at layer ``depth``. Why not the η rule on span anchors: see ``tree_search``.

    With ``refine_straddling`` the straddling set, the block of starts [start, mid] ×
    ends [mid + 1, end], is searched on: each further layer halves the start range
    (at (first + last) // 2) and the end range alike, keeping the halves that hold the
    best candidate, until the block is one cell or the layer is ``depth``.

    Args:
        coarse_scores: [L, L] coarse scores of one query.
        depth: the deepest layer the search may reach (the root is layer 1).
        candidate_mask: boolean [L, L] candidate set; other cells are never chosen.
        refine_straddling: go on below a straddling set.

    Returns:
        The ``TreeNode`` where the search stopped.
    """
    num_clips = coarse_scores.shape[0]
    masked = np.where(candidate_mask, coarse_scores, -np.inf)
    best_start, best_end = np.unravel_index(int(np.argmax(masked)), masked.shape)
    start, end, layer = 0, num_clips - 1, 1
    while layer < depth and start < end:
        mid = (start + end) // 2
        if best_start <= mid < best_end:
            if not refine_straddling:
                return TreeNode(start, end, mid, layer)
            return _refine_block(start, mid, mid + 1, end, mid, layer, depth, best_start, best_end)
        if best_end <= mid:
            end = mid
        else:
            start = mid + 1
        layer += 1
    return TreeNode(start, end, -1, layer)


def _refine_block(first_start, last_start, first_end, last_end, split, layer, depth, best_start, best_end):
    """Halves a straddling block's start and end ranges towards the best cell."""
    def halve(first, last, best):
        if last == first:
            return first, last
        middle = (first + last) // 2
        return (first, middle) if best <= middle else (middle + 1, last)

    while layer < depth and (last_start > first_start or last_end > first_end):
        first_start, last_start = halve(first_start, last_start, best_start)
        first_end, last_end = halve(first_end, last_end, best_end)
        layer += 1
    return TreeNode(first_start, last_end, split, layer, last_start=last_start, first_end=first_end)


def node_mask(node: TreeNode, candidate_mask: np.ndarray) -> np.ndarray:
    """Boolean [L, L] mask of the candidates kept by ``node`` (within ``candidate_mask``)."""
    kept = np.zeros_like(candidate_mask, dtype=bool)
    for i in range(node.start, node.last_start + 1):
        for j in range(max(i, node.first_end), node.end + 1):
            kept[i, j] = True
    return kept & candidate_mask


def reference_top_coarse(coarse_scores: np.ndarray, candidate_mask: np.ndarray, min_kept_share: float) -> np.ndarray:
    """The search's budget for one query: boolean [L, L] of the ⌈share × C⌉ best candidates.

    C is the number of candidates (share × C is rounded to 9 decimals before the ceiling,
    so that 0.15 × 100 counts 15). Candidates are ranked by coarse score, highest first,
    equal scores in row-major order (a stable sort), and the first ⌈share × C⌉ are kept.
    """
    # Rounded first, so that 0.15 × 100 counts 15 and not 16.
    count = int(np.ceil(round(min_kept_share * int(candidate_mask.sum()), 9)))
    cells = [tuple(cell) for cell in np.argwhere(candidate_mask)]  # row-major order
    ranked = sorted(range(len(cells)), key=lambda index: -float(coarse_scores[cells[index]]))
    kept = np.zeros_like(candidate_mask, dtype=bool)
    for index in ranked[:count]:
        kept[cells[index]] = True
    return kept


def reference_coarse_peaks(
    coarse_scores: np.ndarray, candidate_mask: np.ndarray, count: int, iou_threshold: float
) -> np.ndarray:
    """The search's coarse peaks for one query: boolean [L, L] of the ``count`` best
    distinct coarse moments (greedy NMS on the coarse scores of the candidates, on clip
    spans [i, j + 1), ties in row-major order; ``clear_tf.inference.reference``)."""
    from clear_tf.inference.reference import reference_nms

    cells = np.argwhere(candidate_mask)  # row-major order
    picked = reference_nms(
        cells[:, 0], cells[:, 1] + 1, coarse_scores[candidate_mask], iou_threshold, count
    )
    kept = np.zeros_like(candidate_mask, dtype=bool)
    for index in picked:
        kept[tuple(cells[index])] = True
    return kept


def reference_clip_evidence(clip_scores: np.ndarray, scale: float, threshold: float) -> np.ndarray:
    """``ClipEvidence`` by loops, in float64: clip scores [M, L] → [M, L, L].

    Cell (i, j) with i <= j is scale · Σ_{t=i..j} (z_t − threshold), z the clip scores
    standardised over each query's L clips; cells with i > j are 0 (masked downstream).
    """
    scores = np.asarray(clip_scores, np.float64)
    centred = scores - scores.mean(axis=-1, keepdims=True)
    standardised = centred / np.sqrt((centred**2).mean(axis=-1, keepdims=True) + VARIANCE_EPSILON)
    num_queries, num_clips = scores.shape
    evidence = np.zeros((num_queries, num_clips, num_clips))
    for i in range(num_clips):
        for j in range(i, num_clips):
            evidence[:, i, j] = scale * (standardised[:, i : j + 1] - threshold).sum(axis=-1)
    return evidence
