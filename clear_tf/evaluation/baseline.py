"""The query-blind baseline printed beside every table: the best fixed moment prior."""

from __future__ import annotations

import numpy as np

from clear_tf import data as data_lib
from clear_tf import metrics as metrics_lib
from clear_tf.config import Config


def train_moments(config: Config) -> np.ndarray:
    """Every training ground truth as fractions of its video, [n, 2]."""
    normalized = []
    for example in data_lib.load_split(config, config.data.train_splits).as_numpy_iterator():
        queries = example["queries"]
        times = np.stack([queries["start"], queries["end"]], axis=-1)
        normalized.append(metrics_lib.normalized_moments(times, np.full(len(times), example["duration"])))
    return np.concatenate(normalized)


def prior_baseline_metrics(config: Config, videos, fitted_on=None) -> dict:
    """Fits ``MomentPriorBaseline`` on the training moments and scores it on ``videos``.

    The prior predicts the same top-k moments (scaled by the duration) for every query,
    so what it scores is what the dataset's moment statistics give without the query.

    Args:
        config: the run's config (protocol, training split).
        videos: prepared videos scored.
        fitted_on: prepared videos whose moments the prior is fitted on instead of the
            training split's (early stopping fits it on val itself: no training
            timestamp is read, which a weakly supervised run must not do).
    """
    settings = config.inference
    if fitted_on is None:
        moments = train_moments(config)
    else:
        moments = np.concatenate(
            [metrics_lib.normalized_moments(v.times, np.full(v.num_queries, v.duration)) for v in fitted_on]
        )
    prior = metrics_lib.MomentPriorBaseline(
        num_bins=config.data.num_clips,
        top_k=settings.top_k,
        iou_threshold=0.5,
        nms_threshold=settings.nms_threshold,
        strict=settings.strict_iou,
    ).fit(moments)
    durations, ground_truth = [], []
    for video in videos:
        durations.extend([video.duration] * video.num_queries)
        ground_truth.append(video.times)
    predictions = prior.predict(np.asarray(durations))
    return metrics_lib.evaluate_predictions(
        predictions,
        np.concatenate(ground_truth),
        recall_at_n=settings.recall_at,
        iou_thresholds=settings.iou_thresholds,
        strict=settings.strict_iou,
    )
