"""Evaluation metrics in NumPy: R@n,IoU=m, mIoU, the results table, the prior baseline."""

from clear_tf.metrics.moment_prior_baseline import MomentPriorBaseline, normalized_moments
from clear_tf.metrics.recall import (
    evaluate_predictions,
    mean_iou,
    metric_name,
    prediction_iou,
    recall_at,
)
from clear_tf.metrics.table import results_table

__all__ = [
    "MomentPriorBaseline",
    "evaluate_predictions",
    "mean_iou",
    "metric_name",
    "normalized_moments",
    "prediction_iou",
    "recall_at",
    "results_table",
]
