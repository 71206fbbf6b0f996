"""Geometry and input preparation every model's ``localize`` shares, in TF ops."""

from __future__ import annotations

import tensorflow as tf

from clear_tf.data.resample import l2_normalize_units, resample_features


def prepare_features(features, num_pre_clips: int, normalize_features: bool) -> tf.Tensor:
    """Unit features [N', D] of one video as the model takes them: [N, D], N = ``num_pre_clips``.

    Resampled with the training pipeline's averaging rule, then L2-normalised per unit
    when the model was trained on normalised features.
    """
    features = resample_features(tf.convert_to_tensor(features, tf.float32), num_pre_clips)
    if normalize_features:
        features = l2_normalize_units(features)
    return features


def candidate_seconds(num_clips: int, duration) -> tuple[tf.Tensor, tf.Tensor]:
    """Start and end seconds [L, L] of every cell: [i·T/L, (j+1)·T/L]."""
    step = tf.cast(duration, tf.float32) / num_clips
    clips = tf.range(num_clips, dtype=tf.float32)
    starts = tf.broadcast_to(clips[:, tf.newaxis] * step, [num_clips, num_clips])
    ends = tf.broadcast_to((clips[tf.newaxis, :] + 1.0) * step, [num_clips, num_clips])
    return starts, ends
