"""Training targets in TF ops: IoU of every candidate moment with the ground truth (the
L×L map of DESIGN §4), which every model's targets start from.

Geometry follows ``clear_tf.moments``: candidate (i, j), i <= j, spans
``[i·T/L, (j+1)·T/L]``; IoU is Eq. 4 (``moments.temporal_iou``), here in TF so that it
runs inside ``tf.data`` on whole batches.
"""

from __future__ import annotations

import tensorflow as tf

from clear_tf import moments


def temporal_iou(start_a, end_a, start_b, end_b) -> tf.Tensor:
    """Eq. 4 in TF ops, broadcast over its arguments (0 when the union is empty).

    The same formula as ``clear_tf.moments.temporal_iou``: the intersection clipped at 0
    over the span from the earliest start to the latest end.
    """
    intersection = tf.maximum(tf.minimum(end_a, end_b) - tf.maximum(start_a, start_b), 0.0)
    union = tf.maximum(end_a, end_b) - tf.minimum(start_a, start_b)
    return tf.math.divide_no_nan(intersection, union)


def moment_iou_map(times: tf.Tensor, duration: tf.Tensor, num_clips: int) -> tf.Tensor:
    """IoU of every candidate (i, j) with each ground-truth moment.

    Args:
        times: float32 [..., 2], ground-truth (start, end) seconds.
        duration: float32, seconds, broadcastable to ``times[..., 0]``.
        num_clips: L.

    Returns:
        float32 [..., L, L]; 0 at the invalid cells i > j.
    """
    clip_edges = tf.range(num_clips + 1, dtype=tf.float32) / num_clips
    seconds_per_video = tf.convert_to_tensor(duration, tf.float32)[..., tf.newaxis, tf.newaxis]
    cell_starts = clip_edges[:-1, tf.newaxis] * seconds_per_video  # row i
    cell_ends = clip_edges[tf.newaxis, 1:] * seconds_per_video  # column j
    gt_start = times[..., 0, tf.newaxis, tf.newaxis]
    gt_end = times[..., 1, tf.newaxis, tf.newaxis]
    iou = temporal_iou(cell_starts, cell_ends, gt_start, gt_end)
    return iou * tf.constant(moments.valid_mask(num_clips), tf.float32)
