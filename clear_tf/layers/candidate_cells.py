"""The candidate set of the moment map shared by the layers, the model and the losses."""

from __future__ import annotations

import numpy as np

from clear_tf import moments


def candidate_cells(
    num_clips: int,
    sparse: bool = False,
    pooling_counts: tuple[int, ...] = (),
    num_anchors: int = 0,
) -> np.ndarray:
    """Boolean [L, L] mask of the candidate moments the model scores.

    Dense: every cell with i <= j. Sparse: the 2D-TAN sampling of
    ``moments.sparse_mask`` plus the cells of the first ``num_anchors`` anchors of Eq. 2,
    because the coarse alignment and the tree search need a representation at every
    anchor and the sparse grid does not always contain them (e.g. (0, L-2)).

    Args:
        num_clips: L.
        sparse: use the 2D-TAN sampling instead of every valid cell.
        pooling_counts: diagonals per stride level of the sparse sampling.
        num_anchors: R; their cells are always candidates.

    Returns:
        np.bool_ array [L, L].
    """
    if not sparse:
        return moments.valid_mask(num_clips)
    mask = moments.sparse_mask(num_clips, tuple(pooling_counts))
    if num_anchors:
        for i, j in moments.anchor_positions(num_clips, num_anchors):
            mask[i, j] = True
    return mask
