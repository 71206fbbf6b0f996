"""Evaluation protocol of DESIGN §5: localize every query, score R@n,IoU=m and mIoU, time it."""

from clear_tf.evaluation.evaluator import EvalResult, evaluate_videos, format_table, protocol_description
from clear_tf.evaluation.videos import EvalVideo, prepare_videos
from clear_tf.evaluation.baseline import prior_baseline_metrics
from clear_tf.evaluation.oracle import oracle_metrics
from clear_tf.evaluation.tuning import split_evaluator, tune_on_split

__all__ = [
    "EvalResult",
    "EvalVideo",
    "evaluate_videos",
    "format_table",
    "oracle_metrics",
    "prepare_videos",
    "prior_baseline_metrics",
    "protocol_description",
    "split_evaluator",
    "tune_on_split",
]
