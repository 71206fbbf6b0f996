"""Temporal non-maximum suppression in TensorFlow ops.

``tf.image.non_max_suppression`` is reused on boxes ``[0, start, 1, end]``: every box has
height 1, so its 2D intersection and union are the 1D ones and the 2D IoU equals the
temporal IoU (overlapping segments have the same union under Eq. 4's "earliest start to
latest end" and the usual |a| + |b| - |a ∩ b|; disjoint ones have IoU 0 under both). A
segment is suppressed when its IoU with a kept one is *greater* than the threshold.
"""

from __future__ import annotations

import tensorflow as tf


def temporal_nms(
    starts: tf.Tensor,
    ends: tf.Tensor,
    scores: tf.Tensor,
    *,
    iou_threshold: float,
    max_outputs: int,
) -> tf.Tensor:
    """Greedy temporal NMS over one list of segments.

    Args:
        starts: float [n] segment starts.
        ends: float [n] segment ends.
        scores: float [n]; segments with score -inf are never selected.
        iou_threshold: suppress a segment whose IoU with a kept one exceeds this.
        max_outputs: keep at most this many.

    Returns:
        int32 [k <= max_outputs] indices of the kept segments, best score first.
    """
    boxes = tf.stack([tf.zeros_like(starts), starts, tf.ones_like(starts), ends], axis=-1)
    return tf.image.non_max_suppression(
        boxes, scores, max_output_size=max_outputs, iou_threshold=iou_threshold
    )


def ranked_moments(
    scores: tf.Tensor,
    kept: tf.Tensor,
    starts: tf.Tensor,
    ends: tf.Tensor,
    *,
    iou_threshold: float,
    top_k: int,
) -> dict[str, tf.Tensor]:
    """Per query: rank the kept candidates by score, apply NMS, keep the top ``top_k``.

    Args:
        scores: float [M, C] candidate scores.
        kept: bool [M, C], which candidates may be returned.
        starts: float [C] candidate starts (seconds), shared by all queries.
        ends: float [C] candidate ends (seconds).
        iou_threshold: NMS threshold.
        top_k: results per query.

    Returns:
        Dict of ``start``, ``end``, ``score`` float32 [M, top_k]. When fewer than
        ``top_k`` candidates survive, the empty slots hold start = end = 0 and score -inf.
    """

    def rank_one_query(query):
        query_scores, query_kept = query
        candidates = tf.where(query_kept)[:, 0]
        candidate_scores = tf.gather(query_scores, candidates)
        selected = tf.gather(
            candidates,
            temporal_nms(
                tf.gather(starts, candidates),
                tf.gather(ends, candidates),
                candidate_scores,
                iou_threshold=iou_threshold,
                max_outputs=top_k,
            ),
        )
        padding = [[0, top_k - tf.shape(selected)[0]]]
        return (
            tf.pad(tf.gather(starts, selected), padding),
            tf.pad(tf.gather(ends, selected), padding),
            tf.pad(tf.gather(query_scores, selected), padding, constant_values=float("-inf")),
        )

    spec = tf.TensorSpec([top_k], tf.float32)
    start, end, score = tf.map_fn(
        rank_one_query, (scores, kept), fn_output_signature=(spec, spec, spec)
    )
    return {"start": start, "end": end, "score": score}
