"""Grouping each video's queries into slots of K, and the per-batch targets.

An epoch visits every query exactly once: a video's Q queries are (optionally)
shuffled, cut into ⌈Q/K⌉ chunks of K, and each (video, chunk) becomes one element.
The last chunk is padded with slots whose ``query_index`` is -1 and ``query_mask`` 0.
"""

from __future__ import annotations

import tensorflow as tf

from clear_tf.data.targets import moment_iou_map


def query_chunks(num_queries: tf.Tensor, queries_per_video: int, shuffle_seed=None) -> tf.Tensor:
    """Query indices of a video arranged in chunks of K.

    Args:
        num_queries: scalar int, Q.
        queries_per_video: K.
        shuffle_seed: an int [2] seed for a stateless shuffle of the query order, or
            None to keep the order 0..Q-1.

    Returns:
        int32 [⌈Q/K⌉, K]: every index 0..Q-1 exactly once, then -1 padding.
    """
    order = tf.range(num_queries, dtype=tf.int32)
    if shuffle_seed is not None:
        order = tf.random.experimental.stateless_shuffle(order, seed=shuffle_seed)
    num_chunks = (num_queries + queries_per_video - 1) // queries_per_video
    padding = num_chunks * queries_per_video - num_queries
    order = tf.concat([order, -tf.ones([padding], tf.int32)], axis=0)
    return tf.reshape(order, [num_chunks, queries_per_video])


def gather_chunks(video: dict, chunks: tf.Tensor, padding_query: dict) -> dict:
    """The per-query fields of a video laid out in chunks.

    Args:
        video: a preprocessed video (``preprocess_video``).
        chunks: int32 [C, K] query indices, -1 for a padded slot (``query_chunks``).
        padding_query: the per-query fields to gather (``sentence``, ``token_ids``,
            ``padding_mask``, ``times``, and ``sentence_embedding`` when the pipeline
            computes sentence vectors), each with what a padded slot holds (for the
            tokens, the packing of an empty sentence, ``[CLS] [SEP]``, so that the text
            encoder never sees a row without real tokens).

    Returns:
        ``query_index`` [C, K], ``query_mask`` [C, K] float32 and every field of
        ``padding_query`` gathered to [C, K, ...].
    """
    is_real = chunks >= 0
    queries = {"query_index": chunks, "query_mask": tf.cast(is_real, tf.float32)}
    safe_index = tf.maximum(chunks, 0)
    for name in padding_query:
        values = tf.gather(video[name], safe_index)
        # [C, K] → [C, K, 1, ...] to select whole rows of token fields.
        mask = tf.reshape(is_real, tf.concat([tf.shape(chunks), [1] * (values.shape.rank - 2)], 0))
        queries[name] = tf.where(mask, values, padding_query[name])
    return queries


# The per-video fields every element carries (``region_features`` only when the dataset has them).
VIDEO_FIELDS = ("video_id", "features", "region_features", "duration")


def video_chunks(video: dict, queries_per_video: int, padding_query: dict, shuffle_seed=None) -> tf.data.Dataset:
    """The ⌈Q/K⌉ elements of one preprocessed video, as a dataset (for ``flat_map``).

    Each element is a pair ``(video_fields, query_fields)``: the video's
    ``video_id``, ``features`` (and ``region_features`` when present) and ``duration``, repeated by reference (no copy of the
    features per chunk), and one chunk of ``gather_chunks``. Keeping the pair (merged by
    ``merge_parts`` once per batch) avoids a function call per element.
    """
    chunks = query_chunks(tf.shape(video["times"])[0], queries_per_video, shuffle_seed)
    video_fields = {name: video[name] for name in VIDEO_FIELDS if name in video}
    return tf.data.Dataset.zip(
        tf.data.Dataset.from_tensors(video_fields).repeat(tf.shape(chunks, out_type=tf.int64)[0]),
        tf.data.Dataset.from_tensor_slices(gather_chunks(video, chunks, padding_query)),
    )


def merge_parts(video_fields: dict, query_fields: dict) -> dict:
    """One flat dict from the two parts of a (batched) element of ``video_chunks``."""
    return {**video_fields, **query_fields}


def add_targets(batch: dict, num_clips: int) -> dict:
    """Adds ``iou_map`` [B, K, L, L], the IoU of every cell with the ground truth (0 in padded slots).

    Model-specific targets are derived from it (and from ``times``) by each model's
    ``training_targets``.
    """
    iou_map = moment_iou_map(batch["times"], batch["duration"][:, tf.newaxis], num_clips)
    return {**batch, "iou_map": iou_map * batch["query_mask"][..., tf.newaxis, tf.newaxis]}
