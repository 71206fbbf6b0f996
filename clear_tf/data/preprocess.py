"""Per-video preprocessing: validate one TFDS example, resample its features, tokenize
its queries. The result is what ``build_dataset`` caches, so this runs once per video.
"""

from __future__ import annotations

import tensorflow as tf

from clear_tf.data.query_tokenizer import QueryTokenizer
from clear_tf.data.resample import l2_normalize_units, resample_features


def _check(condition: tf.Tensor, video_id: tf.Tensor, *problem: tf.Tensor | str) -> tf.Operation:
    """An assertion whose message names the video: ``video <id>: <problem>``."""
    message = tf.strings.join(["video ", video_id, ": ", *problem])
    return tf.debugging.Assert(condition, [message], summarize=1)


def validation_checks(example: dict) -> list[tf.Operation]:
    """Assertions on one TFDS example; each failure names the video and the field.

    Checked: at least one feature unit, finite features, a positive finite duration, at
    least one query, no empty or whitespace-only sentence, ``0 <= start < end <=
    duration`` for every query (the builders clip and skip before writing, so anything
    else is a corrupt dataset).
    """
    video_id = example["video_id"]
    features = example["features"]
    duration = example["duration"]
    queries = example["queries"]
    starts, ends = queries["start"], queries["end"]

    def first(bad: tf.Tensor) -> tf.Tensor:
        # A trailing True keeps argmax defined for Q = 0; the index is shown only when
        # some entry is bad, and then it is that first bad one.
        flags = tf.concat([tf.cast(bad, tf.int32), [1]], axis=0)
        return tf.strings.as_string(tf.argmax(flags, output_type=tf.int32))

    blank = tf.equal(tf.strings.strip(queries["sentence"]), "")
    bad_times = ~((starts >= 0.0) & (starts < ends) & (ends <= duration))
    return [
        _check(tf.shape(features)[0] > 0, video_id, "features has no units (shape [",
               tf.strings.reduce_join(tf.strings.as_string(tf.shape(features)), separator=", "),
               "])"),
        _check(tf.reduce_all(tf.math.is_finite(features)), video_id,
               "features contain NaN or Inf"),
        _check((duration > 0.0) & tf.math.is_finite(duration), video_id,
               "duration must be positive, got ", tf.strings.as_string(duration)),
        _check(tf.size(starts) > 0, video_id, "queries is empty"),
        _check(~tf.reduce_any(blank), video_id, "the sentence of query ", first(blank),
               " is empty"),
        _check(~tf.reduce_any(bad_times), video_id, "query ", first(bad_times),
               " does not satisfy 0 <= start < end <= duration"),
    ]


def preprocess_video(
    example: dict,
    *,
    num_pre_clips: int,
    normalize_features: bool,
    tokenizer: QueryTokenizer,
) -> dict:
    """Validates, resamples and tokenizes one per-video TFDS example.

    Args:
        example: ``video_id`` string, ``features`` float32 [T, D], ``duration`` float32,
            ``queries`` {``sentence`` string [Q], ``start`` / ``end`` float32 [Q]}.
        num_pre_clips: N, units after resampling.
        normalize_features: L2-normalise every resampled unit.
        tokenizer: turns the Q sentences into ``[CLS] … [SEP]`` ids of length S.

    Returns:
        ``video_id``, ``features`` [N, D], ``duration``, ``sentence`` [Q],
        ``token_ids`` int32 [Q, S], ``padding_mask`` bool [Q, S], ``times`` float32 [Q, 2].
    """
    with tf.control_dependencies(validation_checks(example)):
        features = tf.identity(tf.cast(example["features"], tf.float32))
    features = resample_features(features, num_pre_clips)
    if normalize_features:
        features = l2_normalize_units(features)
    queries = example["queries"]
    token_ids, padding_mask = tokenizer(queries["sentence"])
    return {
        "video_id": example["video_id"],
        "features": features,
        "duration": tf.cast(example["duration"], tf.float32),
        "sentence": queries["sentence"],
        "token_ids": token_ids,
        "padding_mask": padding_mask,
        "times": tf.stack(
            [tf.cast(queries["start"], tf.float32), tf.cast(queries["end"], tf.float32)], axis=-1
        ),
    }
