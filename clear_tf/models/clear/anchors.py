"""Targets of Γ₁ (Eq. 5): the IoU of each anchor of Eq. 2 with the ground truth, in TF ops."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from clear_tf import moments
from clear_tf.data.targets import temporal_iou


def anchor_iou(times: tf.Tensor, duration: tf.Tensor, num_clips: int, num_anchors: int) -> tf.Tensor:
    """IoU of each of the R anchors of Eq. 2 with each ground-truth moment.

    Args:
        times: float32 [..., 2], ground-truth (start, end) seconds.
        duration: float32, seconds, broadcastable to ``times[..., 0]``.
        num_clips: L.
        num_anchors: R (``moments.num_anchors(tree_depth)``).

    Returns:
        float32 [..., R]; entry r-1 belongs to the paper's anchor a_r.
    """
    positions = np.asarray(moments.anchor_positions(num_clips, num_anchors), np.float32)
    anchor_starts = tf.constant(positions[:, 0] / num_clips)
    anchor_ends = tf.constant((positions[:, 1] + 1.0) / num_clips)
    seconds_per_video = tf.convert_to_tensor(duration, tf.float32)[..., tf.newaxis]
    return temporal_iou(
        anchor_starts * seconds_per_video,
        anchor_ends * seconds_per_video,
        times[..., 0, tf.newaxis],
        times[..., 1, tf.newaxis],
    )
