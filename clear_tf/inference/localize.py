"""Moment localization for one video and many queries, in TensorFlow ops only.

``localize`` is what evaluation, the Python API and the exported SavedModel signatures
run: no ``py_function`` and no TF Text ops, so stock TF Serving can load a graph that
calls it, and it traces once for any number of units N and queries M (see
``make_localizer``). The video is encoded once and shared by all queries.

Methods (DESIGN §5):

* ``"clear_f"``: the fine head scores every candidate (no pruning; the MLP head skips
  the non-candidate cells, i > j or outside a sparse map).
* ``"clear_c"``: candidates are ranked by the coarse score cᵀq/d; the fine head never runs.
* ``"clear"``: the tree search of ``tree_search`` picks a node per query; the fine head
  scores only the candidates of that node. With the pointwise MLP head only the kept
  (query, i, j) cells are fused and evaluated, the real compute saving. The conv head
  needs each cell's neighbours, so it is run on the full map and then masked: it gets the
  accuracy behaviour of the search but no compute saving (``scored_fraction`` is then 1).

Scores are the fine probabilities sigmoid(logit) (coarse scores for ``clear_c``).

Depth: the paper's tree uses the model's P, the binary tree searches down to one-clip
nodes (``tree_search.default_depth`` says why).
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from clear_tf.data.resample import l2_normalize_units, resample_features
from clear_tf.inference.nms import ranked_moments
from clear_tf.inference.reference import TREES
from clear_tf.inference.tree_search import default_depth, tree_search

METHODS = ("clear", "clear_f", "clear_c")


def localize(
    model,
    features,
    token_ids,
    padding_mask,
    duration,
    *,
    method: str = "clear",
    tree: str = "binary",
    depth: int | None = None,
    mu: float = -0.1,
    rho: float = 0.1,
    nms_threshold: float = 0.4,
    top_k: int = 5,
    normalize_features: bool = False,
) -> dict[str, tf.Tensor]:
    """Top-k moments of one video for each of M queries.

    Args:
        model: a CLEAR model (``video_encoder``, ``query_encoder``, ``fine_head``,
            ``num_clips``, ``hidden_dim``, ``tree_depth``, ``candidate_mask``,
            ``fine_head_type``).
        features: float [N, D] unit features of the video, any N >= 1; resampled to the
            video encoder's input length when that length is fixed.
        token_ids: int32 [M, S] tokenized queries.
        padding_mask: bool [M, S], True on real tokens.
        duration: scalar, the video's duration in seconds.
        method: "clear", "clear_f" or "clear_c".
        tree: "paper" or "binary" (method "clear" only).
        depth: tree layers, root included; None: the model's P (``tree_depth``) for the
            paper tree, down to one-clip nodes for the binary tree (``default_depth``).
        mu: η <= μ descends to the left child (paper tree).
        rho: η > ρ selects the right child (paper tree).
        nms_threshold: temporal NMS IoU threshold.
        top_k: moments returned per query.
        normalize_features: L2-normalise every unit after resampling (must match the
            ``normalize_features`` the model was trained with).

    Returns:
        Dict of ``start``, ``end`` (seconds) and ``score``, float32 [M, top_k], best
        first; slots beyond the moments that survive pruning and NMS hold start = end = 0
        and score -inf. ``scored_fraction`` float32 [M]: the share of the model's
        candidates whose fine score was computed.
    """
    if method not in METHODS:
        raise ValueError(f"unknown inference method {method!r}; expected one of {METHODS}")
    if tree not in TREES:
        raise ValueError(f"unknown tree {tree!r}; expected one of {TREES}")
    num_clips = int(model.num_clips)
    candidate_mask = np.asarray(model.candidate_mask, dtype=bool)
    if candidate_mask.shape != (num_clips, num_clips):
        raise ValueError(
            f"model.candidate_mask has shape {candidate_mask.shape}, "
            f"expected ({num_clips}, {num_clips})"
        )

    moment_map = encode_video(model, features, normalize_features)  # [L, L, d]
    queries = tf.cast(
        model.query_encoder({"token_ids": token_ids, "padding_mask": padding_mask}, training=False),
        tf.float32,
    )  # [M, d]
    num_queries = tf.shape(queries)[0]
    valid = tf.broadcast_to(tf.constant(candidate_mask), [num_queries, num_clips, num_clips])

    if method == "clear_c":
        kept = valid
        scores = coarse_score_map(moment_map, queries, model.hidden_dim)
        scored = tf.zeros([num_queries], tf.float32)
    else:
        if method == "clear_f":
            kept = valid
        else:
            kept = tree_search(
                coarse_score_map(moment_map, queries, model.hidden_dim),
                candidate_mask,
                tree=tree,
                depth=default_depth(tree, num_clips, int(model.tree_depth))
                if depth is None
                else depth,
                mu=mu,
                rho=rho,
            )["mask"]
        if model.fine_head_type == "mlp":
            # For clear_f too: the head then skips the cells outside the candidate set.
            scores = tf.sigmoid(pruned_fine_logits(model, moment_map, queries, kept))
            scored = tf.reduce_sum(tf.cast(kept, tf.float32), axis=[1, 2]) / float(
                candidate_mask.sum()
            )
        else:
            scores = tf.sigmoid(full_fine_logits(model, moment_map, queries))
            scored = tf.ones([num_queries], tf.float32)

    starts, ends = candidate_seconds(num_clips, duration)
    flat = [num_queries, num_clips * num_clips]
    results = ranked_moments(
        tf.reshape(scores, flat),
        tf.reshape(kept, flat),
        tf.reshape(starts, [-1]),
        tf.reshape(ends, [-1]),
        iou_threshold=nms_threshold,
        top_k=top_k,
    )
    results["scored_fraction"] = scored
    return results


def encode_video(model, features, normalize_features: bool) -> tf.Tensor:
    """J [L, L, d] of one video: resample (if the encoder has a fixed length), encode."""
    features = tf.convert_to_tensor(features, tf.float32)
    encoder_length = model.video_encoder.inputs[0].shape[1]
    if encoder_length is not None:
        features = resample_features(features, encoder_length)
    if normalize_features:
        features = l2_normalize_units(features)
    return tf.cast(model.video_encoder(features[tf.newaxis], training=False)[0], tf.float32)


def coarse_score_map(moment_map: tf.Tensor, queries: tf.Tensor, hidden_dim: int) -> tf.Tensor:
    """cᵀq / d for every cell: [L, L, d] × [M, d] → [M, L, L] (0 at non-candidates)."""
    return tf.einsum("ijd,md->mij", moment_map, queries) / float(hidden_dim)


def full_fine_logits(model, moment_map: tf.Tensor, queries: tf.Tensor) -> tf.Tensor:
    """Fine logits [M, L, L] of every cell: the head on q ⊙ J (Eq. 6) for all queries."""
    fused = queries[:, tf.newaxis, tf.newaxis, :] * moment_map[tf.newaxis]
    return tf.cast(model.fine_head(fused, training=False), tf.float32)


def pruned_fine_logits(
    model, moment_map: tf.Tensor, queries: tf.Tensor, kept: tf.Tensor
) -> tf.Tensor:
    """Fine logits [M, L, L] computed only at the kept cells (-inf elsewhere).

    Only for the pointwise MLP head: q ⊙ J is formed for the kept (query, i, j) triples
    alone, [n_kept, d], and the head runs on that list.
    """
    cells = tf.where(kept)  # [n_kept, 3]: query, i, j
    fused = tf.gather(queries, cells[:, 0]) * tf.gather_nd(moment_map, cells[:, 1:])
    logits = tf.cast(model.fine_head(fused, training=False), tf.float32)
    everywhere = tf.fill(tf.shape(kept), float("-inf"))
    return tf.tensor_scatter_nd_update(everywhere, cells, tf.reshape(logits, [-1]))


def candidate_seconds(num_clips: int, duration) -> tuple[tf.Tensor, tf.Tensor]:
    """Start and end seconds [L, L] of every cell: [i·T/L, (j+1)·T/L]."""
    step = tf.cast(duration, tf.float32) / num_clips
    clips = tf.range(num_clips, dtype=tf.float32)
    starts = tf.broadcast_to(clips[:, tf.newaxis] * step, [num_clips, num_clips])
    ends = tf.broadcast_to((clips[tf.newaxis, :] + 1.0) * step, [num_clips, num_clips])
    return starts, ends


def make_localizer(model, **options) -> tf.function:
    """``localize`` for ``model`` as a ``tf.function`` traced once for every N and M.

    Args:
        model: a CLEAR model.
        **options: keyword arguments of ``localize`` (method, tree, mu, ...).

    Returns:
        A ``tf.function`` taking features float32 [N, D], token_ids int32 [M, S],
        padding_mask bool [M, S] and a scalar float32 duration.
    """
    feature_dim = model.video_encoder.inputs[0].shape[-1]

    @tf.function(
        input_signature=[
            tf.TensorSpec([None, feature_dim], tf.float32, name="features"),
            tf.TensorSpec([None, None], tf.int32, name="token_ids"),
            tf.TensorSpec([None, None], tf.bool, name="padding_mask"),
            tf.TensorSpec([], tf.float32, name="duration"),
        ]
    )
    def localize_video(features, token_ids, padding_mask, duration):
        return localize(model, features, token_ids, padding_mask, duration, **options)

    return localize_video
