"""Scoring one split under many search options, each video and query encoded once."""

from __future__ import annotations

import functools
from typing import Callable

import tensorflow as tf

from clear_tf.config import Config
from clear_tf.evaluation.evaluator import EvalResult, resolve_method, score_localized
from clear_tf.evaluation.videos import EvalVideo, prepare_videos
from clear_tf.inference import prepare_features


def split_evaluator(model, videos, config: Config) -> Callable[..., EvalResult]:
    """``evaluate(method, **options)`` → the ``EvalResult`` of ``evaluate_videos`` on ``videos``.

    What ``tune_search_options`` calls once per point of its grid (CLEAR: 25 pairs
    (μ, ρ)). The encoders do not depend on the search options, so every video and its
    queries are encoded once, on the first call, and each call runs only
    ``rank_moments`` (the search, the scoring of what it keeps, NMS). The text encoder
    is most of ``localize``'s cost on a split with many queries per video. The
    results are those of ``evaluate_videos`` with the same options, up to float
    rounding between graphs; R_T here excludes the encoders.

    Args:
        model: a ``clear_tf.models.MomentLocalizer``.
        videos: an iterable of ``EvalVideo``.
        config: as for ``evaluate_videos``.
    """
    encode = tf.function(
        lambda features, token_ids, padding_mask: (
            model.encode_video(prepare_features(features, model.num_pre_clips, config.data.normalize_features)),
            model.encode_queries(token_ids, padding_mask),
        ),
        reduce_retracing=True,
    )
    split: list[EvalVideo] = []
    encodings: dict[str, tuple] = {}  # video_id → (video representation, queries)

    def evaluate(method: str | None = None, **options) -> EvalResult:
        if not split:
            for video in videos:
                encodings[video.video_id] = encode(
                    tf.constant(video.features, tf.float32),
                    tf.constant(video.token_ids, tf.int32),
                    tf.constant(video.padding_mask, tf.bool),
                )
                split.append(video)
        inference, used = resolve_method(model, config, method, options)
        rank = tf.function(
            functools.partial(
                model.rank_moments,
                method=inference,
                nms_threshold=config.inference.nms_threshold,
                top_k=config.inference.top_k,
                **used,
            ),
            reduce_retracing=True,
        )

        def localize(video):
            representation, queries = encodings[video.video_id]
            return rank(representation, queries, tf.constant(video.duration, tf.float32))

        return score_localized(model, split, localize, config, inference, used)

    return evaluate


def tune_on_split(model, config: Config) -> dict:
    """The search options ``model`` picks on ``--val_split`` (``tune_search_options``)."""
    evaluate = split_evaluator(model, prepare_videos(config, config.data.val_split), config)
    return dict(model.tune_search_options(config, evaluate))
