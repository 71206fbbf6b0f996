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


def region_checks(example: dict) -> list[tf.Operation]:
    """Assertions on the optional ``region_features`` [T, O, D_r] of one example.

    Checked: as many units as ``features`` (one set of regions per unit), at least one
    region, finite values. Each failure names the video and the field.
    """
    video_id = example["video_id"]
    regions = example["region_features"]
    shape = tf.shape(regions)
    return [
        _check(tf.equal(shape[0], tf.shape(example["features"])[0]), video_id,
               "region_features has ", tf.strings.as_string(shape[0]), " units but features has ",
               tf.strings.as_string(tf.shape(example["features"])[0]),
               " (expected one set of regions per unit)"),
        _check(shape[1] > 0, video_id, "region_features has no regions (O = 0)"),
        _check(tf.reduce_all(tf.math.is_finite(regions)), video_id,
               "region_features contain NaN or Inf"),
    ]


def resample_regions(regions: tf.Tensor, num_pre_clips: int) -> tf.Tensor:
    """[T, O, D_r] → [N, O, D_r] with the features' averaging rule (region slot by slot)."""
    num_regions, region_dim = regions.shape[1], regions.shape[2]
    flat = tf.reshape(regions, [tf.shape(regions)[0], num_regions * region_dim])
    return tf.reshape(resample_features(flat, num_pre_clips), [num_pre_clips, num_regions, region_dim])


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
        ``token_ids`` int32 [Q, S], ``padding_mask`` bool [Q, S], ``times`` float32 [Q, 2];
        with ``region_features`` [T, O, D_r] in the example (optional), also
        ``region_features`` [N, O, D_r], resampled like the features (not normalised).
    """
    with tf.control_dependencies(validation_checks(example)):
        features = tf.identity(tf.cast(example["features"], tf.float32))
    features = resample_features(features, num_pre_clips)
    if normalize_features:
        features = l2_normalize_units(features)
    extra = {}
    if "region_features" in example:
        with tf.control_dependencies(region_checks(example)):
            regions = tf.identity(tf.cast(example["region_features"], tf.float32))
        extra["region_features"] = resample_regions(regions, num_pre_clips)
    queries = example["queries"]
    token_ids, padding_mask = tokenizer(queries["sentence"])
    return {
        **extra,
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
