"""Temporal non-maximum suppression in TensorFlow ops, exact on the clip grid.

Every candidate of a model's L×L map is a span of whole clips: cell (i, j) is the
segment [i, j + 1) in clip units. Its overlaps with other candidates are ratios of
integers, and grid-aligned candidates often overlap at exactly the threshold (two clips
out of five is 0.4). So the IoU is never formed in floating point: with the threshold
read as a fraction p / q (``threshold_fraction``), a segment b is suppressed by a kept
segment a when

    |a ∩ b| · q > p · |a ∪ b|        (IoU > threshold, in integers)

where |a ∩ b| = max(0, min(ends) − max(starts)) and |a ∪ b| = max(ends) − min(starts)
(Eq. 4's union, the usual one whenever a and b overlap). An overlap equal to the
threshold never suppresses.

The greedy NMS (best score first; a segment is kept unless a kept one suppresses it) is
run as ``top_k`` rounds over all queries at once: each round keeps the best remaining
candidate of every query (the lowest index among equal scores) and removes the ones it
suppresses.
"""

from __future__ import annotations

from fractions import Fraction

import tensorflow as tf

# The threshold is read as the nearest fraction whose denominator is at most this
# (0.4 → 2/5, 0.35 → 7/20): a float flag stands for the decimal its user wrote.
THRESHOLD_DENOMINATOR_LIMIT = 1000


def threshold_fraction(iou_threshold: float) -> tuple[int, int]:
    """The NMS threshold as (p, q), p / q in lowest terms with q <= 1000.

    Raises:
        ValueError: the threshold is negative.
    """
    if iou_threshold < 0:
        raise ValueError(f"the NMS threshold must be >= 0, got {iou_threshold}")
    fraction = Fraction(iou_threshold).limit_denominator(THRESHOLD_DENOMINATOR_LIMIT)
    return fraction.numerator, fraction.denominator


def suppresses(kept_start, kept_end, start, end, iou_threshold: float) -> tf.Tensor:
    """Whether a kept segment suppresses another: IoU > threshold, in integer arithmetic.

    Args:
        kept_start, kept_end: int segment bounds [start, end) in clip units (broadcast).
        start, end: int bounds of the other segments.
        iou_threshold: the NMS threshold (``threshold_fraction`` reads it).

    Returns:
        bool, the broadcast shape of the arguments.
    """
    numerator, denominator = threshold_fraction(iou_threshold)
    kept_start, kept_end, start, end = (
        tf.cast(value, tf.int64) for value in (kept_start, kept_end, start, end)
    )
    inter = tf.maximum(tf.minimum(kept_end, end) - tf.maximum(kept_start, start), 0)
    union = tf.maximum(kept_end, end) - tf.minimum(kept_start, start)
    return inter * denominator > numerator * union


def greedy_nms(
    clip_starts: tf.Tensor,
    clip_ends: tf.Tensor,
    scores: tf.Tensor,
    available: tf.Tensor,
    *,
    iou_threshold: float,
    max_outputs: int,
) -> tuple[tf.Tensor, tf.Tensor]:
    """Greedy temporal NMS for M lists of segments at once.

    Args:
        clip_starts: int [C] or [M, C] segment starts in clip units.
        clip_ends: int [C] or [M, C] segment ends (exclusive) in clip units.
        scores: float [M, C]; segments with score -inf are never selected.
        available: bool [M, C], which segments may be selected.
        iou_threshold: suppress a segment whose IoU with a kept one exceeds this.
        max_outputs: keep at most this many per list.

    Returns:
        ``(indices, valid)``: int32 [M, max_outputs] indices of the kept segments, best
        score first, and bool [M, max_outputs], False on the slots beyond the segments
        that survive (their index is 0).
    """
    scores = tf.convert_to_tensor(scores, tf.float32)
    num_lists, num_segments = tf.shape(scores)[0], tf.shape(scores)[1]
    clip_starts = tf.broadcast_to(tf.cast(clip_starts, tf.int64), tf.shape(scores))
    clip_ends = tf.broadcast_to(tf.cast(clip_ends, tf.int64), tf.shape(scores))
    remaining = tf.convert_to_tensor(available, tf.bool) & (scores > float("-inf"))
    positions = tf.broadcast_to(tf.range(num_segments)[tf.newaxis], tf.shape(scores))
    indices, valid = [], []
    for _ in range(max_outputs):
        any_left = tf.reduce_any(remaining, axis=1)
        best_score = tf.reduce_max(tf.where(remaining, scores, float("-inf")), axis=1, keepdims=True)
        # The lowest index among the best scores: the order of a stable sort.
        at_best = remaining & (scores >= best_score)
        best = tf.reduce_min(tf.where(at_best, positions, num_segments), axis=1)
        best = tf.where(any_left, best, 0)
        # The kept segment's bounds, read without a gather (an empty list has none).
        is_best = positions == best[:, tf.newaxis]
        kept_start = tf.reduce_sum(tf.where(is_best, clip_starts, 0), axis=1, keepdims=True)
        kept_end = tf.reduce_sum(tf.where(is_best, clip_ends, 0), axis=1, keepdims=True)
        remaining &= ~suppresses(kept_start, kept_end, clip_starts, clip_ends, iou_threshold)
        remaining &= ~is_best
        indices.append(best)
        valid.append(any_left)
    if not indices:
        return tf.zeros([num_lists, 0], tf.int32), tf.zeros([num_lists, 0], tf.bool)
    return tf.stack(indices, axis=1), tf.stack(valid, axis=1)


def temporal_nms(
    clip_starts: tf.Tensor,
    clip_ends: tf.Tensor,
    scores: tf.Tensor,
    *,
    iou_threshold: float,
    max_outputs: int,
) -> tf.Tensor:
    """Greedy temporal NMS over one list of segments on an integer grid.

    Args:
        clip_starts: int [n] segment starts in clip units.
        clip_ends: int [n] segment ends (exclusive) in clip units.
        scores: float [n]; segments with score -inf are never selected.
        iou_threshold: suppress a segment whose IoU with a kept one exceeds this
            (an IoU equal to it does not suppress; see the module docstring).
        max_outputs: keep at most this many.

    Returns:
        int32 [k <= max_outputs] indices of the kept segments, best score first.
    """
    scores = tf.convert_to_tensor(scores, tf.float32)[tf.newaxis]
    indices, valid = greedy_nms(
        clip_starts,
        clip_ends,
        scores,
        tf.ones_like(scores, tf.bool),
        iou_threshold=iou_threshold,
        max_outputs=max_outputs,
    )
    return tf.boolean_mask(indices[0], valid[0])


def ranked_moments(
    scores: tf.Tensor,
    kept: tf.Tensor,
    clip_starts: tf.Tensor,
    clip_ends: tf.Tensor,
    seconds_per_clip,
    *,
    iou_threshold: float,
    top_k: int,
) -> dict[str, tf.Tensor]:
    """Per query: rank the kept candidates by score, apply NMS, keep the top ``top_k``.

    Args:
        scores: float [M, C] candidate scores.
        kept: bool [M, C], which candidates may be returned.
        clip_starts: int [C] candidate starts in clips (cell (i, j): i), shared by all
            queries.
        clip_ends: int [C] candidate ends in clips, exclusive (cell (i, j): j + 1).
        seconds_per_clip: scalar, T / L: the returned times are clips × this.
        iou_threshold: NMS threshold (suppress when IoU > threshold, exactly).
        top_k: results per query.

    Returns:
        Dict of ``start``, ``end``, ``score`` float32 [M, top_k]. When fewer than
        ``top_k`` candidates survive, the empty slots hold start = end = 0 and score -inf.
    """
    scores = tf.convert_to_tensor(scores, tf.float32)
    selected, valid = greedy_nms(
        clip_starts, clip_ends, scores, kept, iou_threshold=iou_threshold, max_outputs=top_k
    )
    step = tf.cast(seconds_per_clip, tf.float32)

    def seconds(clips):
        return tf.where(valid, tf.cast(tf.gather(clips, selected), tf.float32) * step, 0.0)

    return {
        "start": seconds(clip_starts),
        "end": seconds(clip_ends),
        "score": tf.where(valid, tf.gather(scores, selected, batch_dims=1), float("-inf")),
    }
