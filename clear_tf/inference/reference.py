"""Plain NumPy reference of temporal NMS, one query at a time.

The vectorised TensorFlow version in ``nms`` is tested against it. (The tree search's
oracle is CLEAR's: ``clear_tf.models.clear.reference``.)
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from clear_tf.inference.nms import THRESHOLD_DENOMINATOR_LIMIT


def exact_iou(start_a: int, end_a: int, start_b: int, end_b: int) -> Fraction:
    """Eq. 4 on integer segments [start, end): |a ∩ b| / |a ∪ b| as an exact fraction."""
    inter = max(0, min(end_a, end_b) - max(start_a, start_b))
    union = max(end_a, end_b) - min(start_a, start_b)
    return Fraction(inter, union) if union > 0 else Fraction(0)


def reference_nms(
    clip_starts: np.ndarray,
    clip_ends: np.ndarray,
    scores: np.ndarray,
    iou_threshold: float,
    max_outputs: int,
) -> list[int]:
    """Greedy temporal NMS on integer segments: indices of the kept ones, best score first.

    A segment is suppressed when its IoU with an already kept one is greater than
    ``iou_threshold``, read as the fraction with denominator <= 1000 nearest to it
    (0.4 is 2/5); both are compared as exact fractions, so an overlap equal to the
    threshold never suppresses. Ties in score keep the earlier index first; segments
    with score -inf are never kept.
    """
    threshold = Fraction(iou_threshold).limit_denominator(THRESHOLD_DENOMINATOR_LIMIT)
    bounds = [(int(start), int(end)) for start, end in zip(clip_starts, clip_ends)]
    order = sorted(range(len(scores)), key=lambda index: (-scores[index], index))
    kept: list[int] = []
    for index in order:
        if len(kept) == max_outputs:
            break
        if scores[index] == -np.inf:
            continue
        if all(exact_iou(*bounds[index], *bounds[other]) <= threshold for other in kept):
            kept.append(index)
    return kept
