"""Geometry of candidate moments: the L×L map, the anchors of Eq. 2 and temporal IoU.

Conventions used everywhere in clear-tf (data pipeline, model, inference, export):

* A video of duration T seconds is pooled to L clips. Clip indices are 0-based.
* Candidate (i, j) with 0 <= i <= j < L spans the seconds [i·T/L, (j+1)·T/L].
  It lives at row i, column j of every L×L map; cells with i > j are invalid.
* The paper's anchors (Eq. 2) are 1-based; ``anchor_positions`` returns them 0-based:
  a_1 = (0, L-1) (the whole video), even r: (0, L-1-r/2), odd r > 1:
  (L-⌊r/2⌋, L-⌊r/2⌋). A tree of depth P has R = 2P-1 anchors (P = ⌈R/2⌉).
"""

from __future__ import annotations

import numpy as np


def num_anchors(tree_depth: int) -> int:
    """R anchors for a semantic tree of ``tree_depth`` layers (P = ⌈R/2⌉, R odd)."""
    if tree_depth < 1:
        raise ValueError(f"tree_depth must be >= 1, got {tree_depth}")
    return 2 * tree_depth - 1


def anchor_positions(num_clips: int, num_anchors_: int) -> list[tuple[int, int]]:
    """0-based (start, end) clip indices of the R anchors of Eq. 2.

    Args:
        num_clips: L, the side of the moment map.
        num_anchors_: R, the number of anchors (1 <= R and every anchor inside the map).

    Returns:
        A list of R (i, j) pairs; entry r-1 is the paper's a_r.
    """
    if num_anchors_ < 1:
        raise ValueError(f"need at least one anchor, got {num_anchors_}")
    positions = []
    for r in range(1, num_anchors_ + 1):
        if r == 1:
            positions.append((0, num_clips - 1))
        elif r % 2 == 0:
            positions.append((0, num_clips - 1 - r // 2))
        else:
            unit = num_clips - r // 2
            positions.append((unit, unit))
    for i, j in positions:
        if not 0 <= i <= j < num_clips:
            raise ValueError(
                f"{num_anchors_} anchors do not fit a map of {num_clips} clips "
                f"(anchor ({i}, {j})); use a shallower tree or more clips"
            )
    return positions


def valid_mask(num_clips: int) -> np.ndarray:
    """Boolean [L, L] mask of the L(L+1)/2 candidates with i <= j."""
    return np.triu(np.ones((num_clips, num_clips), dtype=bool))


def sparse_mask(num_clips: int, pooling_counts: tuple[int, ...]) -> np.ndarray:
    """2D-TAN-style sparse sampling of the moment map.

    Short moments are kept densely and long ones on a coarser grid: the main diagonal is
    always kept; then ``pooling_counts[0]`` diagonals at offsets 1, 2, ... every clip,
    then ``pooling_counts[1]`` further diagonals with stride 2 in both offset and start,
    then stride 4, and so on (e.g. TACoS (15, 8, 8, 8) with L = 128).

    Args:
        num_clips: L.
        pooling_counts: how many diagonals each stride level adds.

    Returns:
        Boolean [L, L] mask, a subset of ``valid_mask(L)``.
    """
    mask = np.eye(num_clips, dtype=bool)
    stride, offset = 1, 0
    for count in pooling_counts:
        for _ in range(count):
            offset += stride
            starts = np.arange(0, num_clips - offset, stride)
            mask[starts, starts + offset] = True
        stride *= 2
    return mask


def candidate_times(num_clips: int, duration: float) -> tuple[np.ndarray, np.ndarray]:
    """Start and end seconds of every cell of the L×L map ([L, L] each)."""
    step = duration / num_clips
    starts = np.arange(num_clips, dtype=np.float64)[:, None] * step
    ends = (np.arange(num_clips, dtype=np.float64)[None, :] + 1.0) * step
    return np.broadcast_to(starts, (num_clips, num_clips)), np.broadcast_to(
        ends, (num_clips, num_clips)
    )


def temporal_iou(
    start_a: np.ndarray, end_a: np.ndarray, start_b: np.ndarray, end_b: np.ndarray
) -> np.ndarray:
    """Eq. 4, broadcast over its arguments: |a ∩ b| / |a ∪ b| (0 when disjoint).

    The union is the span from the earliest start to the latest end, as in the paper;
    for overlapping segments it equals the usual union.
    """
    inter = np.minimum(end_a, end_b) - np.maximum(start_a, start_b)
    union = np.maximum(end_a, end_b) - np.minimum(start_a, start_b)
    with np.errstate(invalid="ignore", divide="ignore"):
        iou = np.where(union > 0, np.clip(inter, 0.0, None) / union, 0.0)
    return iou
