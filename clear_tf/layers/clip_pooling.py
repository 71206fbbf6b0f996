"""Pooling of N video units into L clips."""

from __future__ import annotations

import keras
from keras import ops

POOLING_TYPES = ("average", "max")


@keras.saving.register_keras_serializable(package="clear_tf")
class ClipPooling(keras.layers.Layer):
    """Pools [B, N, C] unit features into [B, L, C] clips of N / L consecutive units.

    Args:
        num_clips: L; the number of units N (static) must be a multiple of it.
        pooling: "average" (the 2D-TAN rule) or "max".
        **kwargs: base layer arguments.

    Example:

    >>> import numpy as np
    >>> units = np.arange(8, dtype="float32").reshape(1, 8, 1)  # [B=1, N=8, C=1]
    >>> keras.ops.convert_to_numpy(ClipPooling(num_clips=4)(units))[0, :, 0]
    array([0.5, 2.5, 4.5, 6.5], dtype=float32)
    >>> keras.ops.convert_to_numpy(ClipPooling(num_clips=4, pooling="max")(units))[0, :, 0]
    array([1., 3., 5., 7.], dtype=float32)
    """

    def __init__(self, num_clips, pooling="average", **kwargs):
        super().__init__(**kwargs)
        if pooling not in POOLING_TYPES:
            raise ValueError(f"ClipPooling pooling must be one of {POOLING_TYPES}, got {pooling!r}")
        if num_clips < 1:
            raise ValueError(f"ClipPooling num_clips must be >= 1, got {num_clips}")
        self.num_clips = num_clips
        self.pooling = pooling

    def build(self, input_shape):
        num_units = input_shape[1]
        if num_units is None or num_units % self.num_clips:
            raise ValueError(
                f"ClipPooling: the number of units ({num_units}, num_pre_clips) must be a "
                f"known multiple of num_clips ({self.num_clips})"
            )
        self.built = True

    def call(self, units):
        num_units, channels = units.shape[1], units.shape[2]
        grouped = ops.reshape(units, (-1, self.num_clips, num_units // self.num_clips, channels))
        if self.pooling == "average":
            return ops.mean(grouped, axis=2)
        return ops.max(grouped, axis=2)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.num_clips, input_shape[2])

    def get_config(self):
        config = super().get_config()
        config.update({"num_clips": self.num_clips, "pooling": self.pooling})
        return config
