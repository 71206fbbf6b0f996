"""Plain NumPy reference of temporal NMS, one query at a time.

The vectorised TensorFlow version in ``nms`` is tested against it. (The tree search's
oracle is CLEAR's: ``clear_tf.models.clear.reference``.)
"""

from __future__ import annotations

import numpy as np

from clear_tf import moments


def reference_nms(
    starts: np.ndarray, ends: np.ndarray, scores: np.ndarray, iou_threshold: float, max_outputs: int
) -> list[int]:
    """Greedy temporal NMS: indices of the kept segments, best score first.

    A segment is suppressed when its IoU with an already kept one is greater than
    ``iou_threshold`` (the rule of ``tf.image.non_max_suppression``). Ties in score keep
    the earlier index first.
    """
    order = sorted(range(len(scores)), key=lambda index: (-scores[index], index))
    kept: list[int] = []
    for index in order:
        if len(kept) == max_outputs:
            break
        overlaps = [
            moments.temporal_iou(starts[index], ends[index], starts[other], ends[other])
            for other in kept
        ]
        if all(overlap <= iou_threshold for overlap in overlaps):
            kept.append(index)
    return kept
