"""Localize every query of every video, score the predictions and time the localization."""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import tensorflow as tf

from clear_tf import metrics as metrics_lib
from clear_tf.config import Config, model_class
from clear_tf.inference import make_localizer


@dataclasses.dataclass
class EvalResult:
    """The outcome of evaluating one inference method on one split.

    Attributes:
        metrics: ``"R@n,IoU=m"`` and ``"mIoU"`` in percent.
        predictions: one dict per query (video, sentence, ground truth, top-k moments).
        total_seconds: R_T, wall time of localization over the split (every video
            encoded once for all its queries; tracing excluded).
        scored_fraction: mean share of the candidates whose expensive score was computed.
        method: the model's inference method (e.g. "clear", "clear_f").
        options: the method's search options used (e.g. ``{"tree": "binary"}``).
        variant: the name of the method and options in file names
            (``MomentLocalizer.variant_name``, e.g. ``clear_binary``).
    """

    metrics: dict
    predictions: list
    total_seconds: float
    scored_fraction: float
    method: str
    options: dict = dataclasses.field(default_factory=dict)
    variant: str = ""

    @property
    def num_queries(self) -> int:
        return len(self.predictions)

    def summary(self) -> dict:
        """The JSON summary: metrics plus R_T (s), R_A (ms/query), scored share, counts."""
        return {
            **{name: round(float(value), 2) for name, value in self.metrics.items()},
            "R_T": round(self.total_seconds, 3),
            "R_A": round(1000.0 * self.total_seconds / max(self.num_queries, 1), 3),
            "scored_fraction": round(self.scored_fraction, 4),
            "num_queries": self.num_queries,
            "inference": self.method,
            **self.options,
        }


def evaluate_videos(model, videos, config: Config, *, inference: str | None = None, **options) -> EvalResult:
    """Runs the model's ``localize`` on every video and scores it (DESIGN §5).

    Args:
        model: a ``clear_tf.models.MomentLocalizer``.
        videos: an iterable of ``EvalVideo``.
        config: NMS threshold, top-k, n, m, strictness, and the model's search options.
        inference: the model's inference method (default ``config.inference_method``).
        **options: search options overriding the config's (CLEAR: ``tree``, ``mu``,
            ``rho``); options the method does not use are dropped from the result.
    """
    inference, options = resolve_method(model, config, inference, options)
    localize_video = make_localizer(
        model,
        method=inference,
        nms_threshold=config.inference.nms_threshold,
        top_k=config.inference.top_k,
        normalize_features=config.data.normalize_features,
        **options,
    )

    def localize(video):
        return localize_video(
            tf.constant(video.features, tf.float32),
            tf.constant(video.token_ids, tf.int32),
            tf.constant(video.padding_mask, tf.bool),
            tf.constant(video.duration, tf.float32),
        )

    return score_localized(model, videos, localize, config, inference, options)


def resolve_method(model, config: Config, inference: str | None, options: dict) -> tuple[str, dict]:
    """The inference method (default ``config.inference_method``) and the options it uses.

    The config's search options, overridden by ``options``, less those the method
    does not take.
    """
    inference = inference or config.inference_method
    options = {**type(model).search_options(config.model), **options}
    return inference, {name: value for name, value in options.items() if model.uses_option(inference, name)}


def score_localized(model, videos, localize, config: Config, inference: str, options: dict) -> EvalResult:
    """Scores ``localize(video)`` (``localize``'s outputs) over ``videos``; times it.

    The first call traces the graph and is left out of R_T.
    """
    predictions, fractions, total_seconds, traced = [], [], 0.0, False
    for video in videos:
        if not traced:
            localize(video)
            traced = True
        started = time.perf_counter()
        outputs = {name: value.numpy() for name, value in localize(video).items()}
        total_seconds += time.perf_counter() - started
        fractions.append(outputs["scored_fraction"])
        for q, sentence in enumerate(video.sentences):
            predictions.append(
                {
                    "video_id": video.video_id,
                    "duration": video.duration,
                    "query": sentence,
                    "ground_truth": [float(t) for t in video.times[q]],
                    "start": outputs["start"][q].tolist(),
                    "end": outputs["end"][q].tolist(),
                    "score": outputs["score"][q].tolist(),
                }
            )
    if not predictions:
        raise ValueError("no queries to evaluate: the split is empty")
    settings = config.inference
    top_k_times = np.stack(
        [np.stack([p["start"], p["end"]], axis=-1) for p in predictions]
    )  # [Q, k, 2]
    ground_truth = np.array([p["ground_truth"] for p in predictions])
    metrics = metrics_lib.evaluate_predictions(
        top_k_times,
        ground_truth,
        recall_at_n=settings.recall_at,
        iou_thresholds=settings.iou_thresholds,
        strict=settings.strict_iou,
    )
    return EvalResult(
        metrics=metrics,
        predictions=predictions,
        total_seconds=total_seconds,
        scored_fraction=float(np.mean(np.concatenate(fractions))),
        method=inference,
        options=options,
        variant=type(model).variant_name(inference, options),
    )


def protocol_description(config: Config) -> str:
    """One line saying how a number was produced (model and objective, splits, IoU comparison)."""
    comparison = "IoU > m" if config.inference.strict_iou else "IoU >= m"
    return (
        f"{model_class(config.model_name).describe_training(config)}; "
        f"trained on {'+'.join(config.data.train_splits)}, selected on {config.data.val_split}, "
        f"reported on {config.data.test_split}; {comparison}; NMS {config.inference.nms_threshold}"
    )


def format_table(rows: dict, baseline: dict | None = None, oracle: dict | None = None) -> str:
    """A Markdown table: one row per method (name → summary), the baseline last, then the
    oracle of a synthetic dataset that stores the generator's labels (``oracle.py``).

    Columns: every R@n,IoU=m and mIoU (percent), then R_A (ms per query) and the share
    of candidates the fine head scored (percent).
    """
    table = {}
    for name, summary in rows.items():
        row = {key: value for key, value in summary.items() if key.startswith("R@") or key == "mIoU"}
        row["R_A (ms)"] = summary["R_A"]
        row["scored %"] = 100.0 * summary["scored_fraction"]
        table[name] = row
    if baseline:
        table["query-blind prior"] = baseline
    if oracle:
        table["oracle (generator's labels)"] = oracle
    return metrics_lib.results_table(table)
