"""R@n,IoU=m and mIoU over ranked predictions (NumPy).

Predictions are [Q, k, 2] (start, end) seconds, best first, one row per query; ground
truth is [Q, 2]. An empty prediction slot (end <= start, as ``localize`` pads with
start = end = 0) never counts as a hit, even for a non-strict IoU >= 0.
"""

from __future__ import annotations

import numpy as np

from clear_tf import moments


def prediction_iou(predictions, ground_truth) -> np.ndarray:
    """IoU (Eq. 4) of every prediction with its query's ground truth: [Q, k].

    Empty slots (end <= start) get IoU -1 so that no threshold makes them a hit.
    """
    predictions, ground_truth = _checked(predictions, ground_truth)
    iou = moments.temporal_iou(
        predictions[..., 0], predictions[..., 1], ground_truth[:, None, 0], ground_truth[:, None, 1]
    )
    return np.where(predictions[..., 1] > predictions[..., 0], iou, -1.0)


def recall_at(predictions, ground_truth, n: int, m: float, strict: bool = True) -> float:
    """R@n,IoU=m: the fraction of queries with a hit among their top ``n`` predictions.

    Args:
        predictions: [Q, k, 2] ranked (start, end) per query, k >= n.
        ground_truth: [Q, 2] (start, end) per query.
        n: how many top predictions may hit.
        m: IoU threshold.
        strict: a hit needs IoU > m (the default); False accepts IoU >= m.

    Returns:
        A fraction in [0, 1].
    """
    iou = prediction_iou(predictions, ground_truth)
    if not 1 <= n <= iou.shape[1]:
        raise ValueError(f"R@{n} needs 1 <= n <= predictions per query ({iou.shape[1]})")
    if not 0.0 <= m <= 1.0:
        raise ValueError(f"IoU threshold m must be in [0, 1], got {m}")
    top = iou[:, :n]
    hits = (top > m) if strict else (top >= m)
    return float(np.mean(np.any(hits, axis=1)))


def mean_iou(predictions, ground_truth) -> float:
    """mIoU: the mean IoU of every query's top-1 prediction (an empty slot counts 0)."""
    return float(np.mean(np.maximum(prediction_iou(predictions, ground_truth)[:, 0], 0.0)))


def metric_name(n: int, m: float) -> str:
    """The key of R@n,IoU=m in result dicts, e.g. ``"R@1,IoU=0.5"``."""
    return f"R@{n},IoU={m:g}"


def evaluate_predictions(
    predictions,
    ground_truth,
    recall_at_n=(1, 5),
    iou_thresholds=(0.1, 0.3, 0.5, 0.7),
    strict: bool = True,
) -> dict[str, float]:
    """Every R@n,IoU=m of the protocol and mIoU, in percent.

    Args:
        predictions: [Q, k, 2] ranked (start, end) per query.
        ground_truth: [Q, 2].
        recall_at_n: the n values.
        iou_thresholds: the m values.
        strict: IoU > m (True) or IoU >= m.

    Returns:
        Ordered dict: ``"R@n,IoU=m"`` for n in ``recall_at_n`` then m in
        ``iou_thresholds``, then ``"mIoU"``; all in percent.
    """
    results = {}
    for n in recall_at_n:
        for m in iou_thresholds:
            results[metric_name(n, m)] = 100.0 * recall_at(predictions, ground_truth, n, m, strict)
    results["mIoU"] = 100.0 * mean_iou(predictions, ground_truth)
    return results


def _checked(predictions, ground_truth) -> tuple[np.ndarray, np.ndarray]:
    predictions = np.asarray(predictions, dtype=np.float64)
    ground_truth = np.asarray(ground_truth, dtype=np.float64)
    if predictions.ndim != 3 or predictions.shape[-1] != 2:
        raise ValueError(
            f"predictions must be [Q, k, 2] (start, end), got shape {predictions.shape}"
        )
    if ground_truth.shape != (predictions.shape[0], 2):
        raise ValueError(
            f"ground_truth must be [Q, 2] with Q = {predictions.shape[0]} as in predictions, "
            f"got shape {ground_truth.shape}"
        )
    if predictions.shape[0] == 0:
        raise ValueError("no queries to evaluate (Q = 0)")
    if not np.all(ground_truth[:, 1] > ground_truth[:, 0]):
        bad = int(np.argmax(ground_truth[:, 1] <= ground_truth[:, 0]))
        raise ValueError(f"ground_truth row {bad} has end <= start: {ground_truth[bad].tolist()}")
    return predictions, ground_truth
