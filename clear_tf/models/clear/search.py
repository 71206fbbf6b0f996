"""CLEAR's candidate scoring for its three inference methods, in TensorFlow ops only.

Methods (DESIGN §5):

* ``"clear_f"``: the fine head scores every candidate (no pruning; the MLP head skips
  the non-candidate cells, i > j or outside a sparse map).
* ``"clear_c"``: candidates are ranked by the coarse score cᵀq/d; the fine head never runs.
* ``"clear"``: the tree search of ``tree_search`` picks a node per query; the fine head
  scores only the candidates of that node. With the pointwise MLP head only the kept
  (query, i, j) cells are fused and evaluated, the real compute saving. The conv head
  needs each cell's neighbours, so it is run on the full map and then masked: it gets the
  accuracy behaviour of the search but no compute saving (``scored_fraction`` is then 1).
  With a budget (``min_kept_share``, ``coarse_peaks``, ``tree_search``) the kept set is
  the node plus the candidates of highest coarse score up to that share and the best
  distinct coarse moments.

Scores are the fine probabilities sigmoid(logit) (coarse scores for ``clear_c``); with the
clip evidence the logit is ``fine_mlp_weight`` × the head's + the evidence at
``evidence_threshold`` (``FINE_SCORE_OPTIONS``, picked on val by ``threshold_search``).
Depth: the paper's tree uses the model's P, the binary tree searches down to one-clip
nodes (``tree_search.default_depth`` says why).
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from clear_tf.models.clear.config import TREES
from clear_tf.models.clear.tree_search import default_depth, tree_search

METHODS = ("clear", "clear_f", "clear_c")
# The options of the fine score that methods clear and clear_f take (score_candidates).
FINE_SCORE_OPTIONS = ("evidence_threshold", "fine_mlp_weight")


def score_candidates(
    model,
    moment_map: tf.Tensor,
    queries: tf.Tensor,
    *,
    method: str,
    tree: str = "binary",
    depth: int | None = None,
    mu: float = -0.1,
    rho: float = 0.1,
    descend_when: str = "both",
    min_kept_share: float = 0.0,
    coarse_peaks: int = 0,
    coarse_peak_iou: float = 0.4,
    refine_straddling: bool = False,
    evidence_threshold: float | None = None,
    fine_mlp_weight: float = 1.0,
):
    """Scores, kept cells and scored share for M queries on one video's J [L, L, d].

    Args:
        model: the CLEAR model (``fine_head``, ``fine_head_type``, ``hidden_dim``,
            ``tree_depth``, ``candidate_mask``).
        moment_map: J [L, L, d] of the video.
        queries: q [M, d].
        method: "clear", "clear_f" or "clear_c".
        tree: "paper" or "binary" (method "clear" only).
        depth: tree layers, root included; None: ``default_depth``.
        mu: η <= μ descends to the left child (paper tree).
        rho: η > ρ selects the right child (paper tree).
        descend_when: Algorithm 1's line 8 (paper tree): "both" or "either".
        min_kept_share: the search's budget: the node is topped up with the
            ⌈share × candidates⌉ candidates of highest coarse score (method "clear").
        coarse_peaks: the search's budget: the node also keeps this many distinct coarse
            moments (greedy NMS on coarse scores at ``coarse_peak_iou``).
        coarse_peak_iou: NMS threshold of ``coarse_peaks``.
        refine_straddling: the binary tree searches on inside a straddling set.
        evidence_threshold: the clip evidence's τ (None: the learned one).
        fine_mlp_weight: weight of the MLP's logit beside the clip evidence.

    Returns:
        ``(scores [M, L, L], kept bool [M, L, L], scored_fraction [M])``.
    """
    if method not in METHODS:
        raise ValueError(f"unknown inference method {method!r}; expected one of {METHODS}")
    if tree not in TREES:
        raise ValueError(f"unknown tree {tree!r}; expected one of {TREES}")
    candidate_mask = np.asarray(model.candidate_mask, dtype=bool)
    num_clips = candidate_mask.shape[0]
    valid = model.valid_candidates(tf.shape(queries)[0])
    if method == "clear_c":
        scores = coarse_score_map(moment_map, queries, model.hidden_dim)
        return scores, valid, tf.zeros([tf.shape(queries)[0]], tf.float32)
    if method == "clear_f":
        kept = valid
    else:
        kept = tree_search(
            coarse_score_map(moment_map, queries, model.hidden_dim),
            candidate_mask,
            tree=tree,
            depth=default_depth(tree, num_clips, int(model.tree_depth)) if depth is None else depth,
            mu=mu,
            rho=rho,
            descend_when=descend_when,
            min_kept_share=min_kept_share,
            coarse_peaks=coarse_peaks,
            coarse_peak_iou=coarse_peak_iou,
            refine_straddling=refine_straddling,
        )["mask"]
    fine_score = {"evidence_threshold": evidence_threshold, "fine_mlp_weight": fine_mlp_weight}
    if model.fine_head_type == "mlp":
        # For clear_f too: the head then skips the cells outside the candidate set.
        scores = tf.sigmoid(pruned_fine_logits(model, moment_map, queries, kept, **fine_score))
        scored = tf.reduce_sum(tf.cast(kept, tf.float32), axis=[1, 2]) / float(candidate_mask.sum())
    else:
        scores = tf.sigmoid(full_fine_logits(model, moment_map, queries, **fine_score))
        scored = tf.ones([tf.shape(queries)[0]], tf.float32)
    return scores, kept, scored


def coarse_score_map(moment_map: tf.Tensor, queries: tf.Tensor, hidden_dim: int) -> tf.Tensor:
    """cᵀq / d for every cell: [L, L, d] × [M, d] → [M, L, L] (0 at non-candidates)."""
    return tf.einsum("ijd,md->mij", moment_map, queries) / float(hidden_dim)


def full_fine_logits(
    model, moment_map: tf.Tensor, queries: tf.Tensor, evidence_threshold=None, fine_mlp_weight=1.0
) -> tf.Tensor:
    """Fine logits [M, L, L] of every cell: the head on q ⊙ J (Eq. 6) for all queries.

    With the clip evidence, ``fine_mlp_weight`` × the head's logit + the evidence at
    ``evidence_threshold`` (None: the learned τ); 1 and None are the trained logit.
    """
    fused = queries[:, tf.newaxis, tf.newaxis, :] * moment_map[tf.newaxis]
    logits = tf.cast(model.fine_head(fused, training=False), tf.float32)
    if model.clip_evidence is not None:
        logits = fine_mlp_weight * logits + clip_evidence_map(model, moment_map, queries, evidence_threshold)
    return logits


def one_clip_scores(moment_map: tf.Tensor, queries: tf.Tensor, hidden_dim: int) -> tf.Tensor:
    """The coarse scores cₜₜᵀq / d of the one-clip cells: [M, L]."""
    clips = tf.transpose(tf.linalg.diag_part(tf.transpose(moment_map, [2, 0, 1])))  # J[t, t] [L, d]
    return tf.einsum("td,md->mt", clips, queries) / float(hidden_dim)


def clip_evidence_map(model, moment_map: tf.Tensor, queries: tf.Tensor, threshold=None) -> tf.Tensor:
    """``model.clip_evidence`` [M, L, L] from the one-clip cells' coarse scores alone (τ: ``threshold``,
    None for the learned one)."""
    clip_scores = one_clip_scores(moment_map, queries, model.hidden_dim)
    return tf.cast(model.clip_evidence(clip_scores, threshold=threshold), tf.float32)


def pruned_fine_logits(
    model, moment_map: tf.Tensor, queries: tf.Tensor, kept: tf.Tensor, evidence_threshold=None, fine_mlp_weight=1.0
) -> tf.Tensor:
    """Fine logits [M, L, L] computed only at the kept cells (-inf elsewhere).

    Only for the pointwise MLP head: q ⊙ J is formed for the kept (query, i, j) triples
    alone, [n_kept, d], and the head runs on that list. ``evidence_threshold`` and
    ``fine_mlp_weight`` as in ``full_fine_logits``.
    """
    cells = tf.where(kept)  # [n_kept, 3]: query, i, j
    fused = tf.gather(queries, cells[:, 0]) * tf.gather_nd(moment_map, cells[:, 1:])
    logits = tf.reshape(tf.cast(model.fine_head(fused, training=False), tf.float32), [-1])
    if model.clip_evidence is not None:
        # O(M·L·d + M·L²): the saving of scoring only the kept cells stays.
        evidence = clip_evidence_map(model, moment_map, queries, evidence_threshold)
        logits = fine_mlp_weight * logits + tf.gather_nd(evidence, cells)
    everywhere = tf.fill(tf.shape(kept), float("-inf"))
    return tf.tensor_scatter_nd_update(everywhere, cells, logits)
