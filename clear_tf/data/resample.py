"""Resampling a video's unit features to a fixed number of units (the 2D-TAN rule)."""

from __future__ import annotations

import tensorflow as tf


def resampling_ranges(num_input_units: tf.Tensor, num_output_units: int) -> tuple[tf.Tensor, tf.Tensor]:
    """The evenly spaced input ranges averaged into each output unit.

    Output unit i averages the input units ``[round(i·T/N), round((i+1)·T/N))``.
    Rounding is half-to-even (as ``numpy.round`` and ``torch.round``); the ratios are
    formed in float64, where every ``i·T/N`` that is exactly half-way is represented
    exactly, so the rounding never depends on float32 error.

    Args:
        num_input_units: scalar int, T (>= 1).
        num_output_units: N.

    Returns:
        ``(starts, ends)``, int32 [N] each, with ``starts[0] = 0``, ``ends[N-1] = T``
        and ``ends[i] = starts[i+1]``. A range is empty where ``starts == ends``
        (only when T < 2N); such outputs copy the single input unit at ``starts``
        (clamped to T-1).
    """
    boundaries = tf.range(num_output_units + 1, dtype=tf.float64) * (
        tf.cast(num_input_units, tf.float64) / num_output_units
    )
    boundaries = tf.cast(tf.round(boundaries), tf.int32)
    return boundaries[:-1], boundaries[1:]


def resample_features(features: tf.Tensor, num_output_units: int) -> tf.Tensor:
    """Average-pools [T, D] unit features to [N, D] over evenly spaced ranges.

    Every input unit belongs to exactly one non-empty range (the ranges tile [0, T)),
    so a single sorted segment mean computes all the averages exactly, without the
    cancellation a cumulative-sum difference would suffer on long float32 videos.
    Outputs whose range is empty (videos shorter than N) repeat one input unit.

    Args:
        features: float [T, D], T >= 1.
        num_output_units: N.

    Returns:
        float [N, D] with the dtype of ``features``.
    """
    num_input_units = tf.shape(features)[0]
    starts, ends = resampling_ranges(num_input_units, num_output_units)
    # Unit t lies in the first range whose end exceeds t.
    segment_ids = tf.searchsorted(ends, tf.range(num_input_units), side="right")
    averages = tf.math.segment_mean(features, segment_ids)
    # segment_mean stops at the last non-empty range; pad so row i belongs to range i.
    averages = tf.pad(averages, [[0, num_output_units - tf.shape(averages)[0]], [0, 0]])
    single_units = tf.gather(features, tf.minimum(starts, num_input_units - 1))
    resampled = tf.where((ends > starts)[:, tf.newaxis], averages, single_units)
    return tf.ensure_shape(resampled, [num_output_units, features.shape[-1]])


def l2_normalize_units(features: tf.Tensor) -> tf.Tensor:
    """Scales every unit (row) of [N, D] features to unit L2 norm (zero rows stay zero)."""
    return tf.math.l2_normalize(features, axis=-1)
