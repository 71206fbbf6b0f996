"""Coarse-to-fine inference: tree search (paper / binary), temporal NMS, localization."""

from clear_tf.inference.localize import (
    METHODS,
    coarse_score_map,
    localize,
    make_localizer,
)
from clear_tf.inference.nms import ranked_moments, temporal_nms
from clear_tf.inference.reference import (
    TREES,
    TreeNode,
    node_mask,
    reference_binary_search,
    reference_nms,
    reference_paper_search,
)
from clear_tf.inference.tree_search import (
    anchor_cells,
    check_anchors_are_candidates,
    default_depth,
    full_binary_depth,
    tree_search,
)

__all__ = [
    "METHODS",
    "TREES",
    "TreeNode",
    "anchor_cells",
    "check_anchors_are_candidates",
    "coarse_score_map",
    "default_depth",
    "full_binary_depth",
    "localize",
    "make_localizer",
    "node_mask",
    "ranked_moments",
    "reference_binary_search",
    "reference_nms",
    "reference_paper_search",
    "temporal_nms",
    "tree_search",
]
