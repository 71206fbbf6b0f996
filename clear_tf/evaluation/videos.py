"""Evaluation input: one record per video with all of its queries, preprocessed once."""

from __future__ import annotations

import dataclasses
import functools
from typing import Iterator

import numpy as np
import tensorflow as tf

from clear_tf import data as data_lib
from clear_tf.config import Config, model_class
from clear_tf.data.preprocess import preprocess_video
from clear_tf.data.query_tokenizer import QueryTokenizer


@dataclasses.dataclass
class EvalVideo:
    """A video and every query of it, ready for a model's ``localize``.

    Attributes:
        video_id: the dataset's id.
        features: float32 [N, D], resampled to ``num_pre_clips`` (and normalised if set);
            the model's ``video_inputs`` (SLTA: unit features and region features packed).
        duration: seconds.
        sentences: the Q query sentences.
        token_ids: int32 [Q, S].
        padding_mask: bool [Q, S].
        times: float32 [Q, 2], ground-truth (start, end) seconds.
    """

    video_id: str
    features: np.ndarray
    duration: float
    sentences: list
    token_ids: np.ndarray
    padding_mask: np.ndarray
    times: np.ndarray

    @property
    def num_queries(self) -> int:
        return len(self.sentences)


class EvalVideos:
    """A re-iterable collection of ``EvalVideo`` for one split (cached after the first pass).

    Args:
        examples: the split's TFDS examples (one per video).
        config: the run's config (resampling, normalisation, tokenizer).
    """

    def __init__(self, examples: tf.data.Dataset, config: Config):
        # The training pipeline's per-video step: the same checks, resampling and tokens.
        preprocess = functools.partial(
            preprocess_video,
            num_pre_clips=config.data.num_pre_clips,
            normalize_features=config.data.normalize_features,
            tokenizer=QueryTokenizer(config.model.text_preset, config.data.max_query_tokens),
        )
        dataset = examples.map(preprocess, num_parallel_calls=tf.data.AUTOTUNE)
        # The video input of the model: the features, or what the model packs them with
        # (``MomentLocalizer.video_inputs``: SLTA adds the region features).
        video_inputs = model_class(config.model_name).video_inputs
        dataset = dataset.map(
            lambda record: {
                **record,
                "features": video_inputs(record["features"], record.get("region_features"), config.model),
            }
        )
        if config.data.cache:
            dataset = dataset.cache()
        self._dataset = dataset.prefetch(tf.data.AUTOTUNE)

    def __iter__(self) -> Iterator[EvalVideo]:
        for record in self._dataset.as_numpy_iterator():
            yield EvalVideo(
                video_id=record["video_id"].decode(),
                features=record["features"],
                duration=float(record["duration"]),
                sentences=[s.decode() for s in record["sentence"]],
                token_ids=record["token_ids"],
                padding_mask=record["padding_mask"],
                times=record["times"].astype(np.float32),
            )


def prepare_videos(config: Config, split: str) -> EvalVideos:
    """The videos of ``split`` (a TFDS split name of ``config.data.dataset``)."""
    return EvalVideos(data_lib.load_split(config, split), config)
