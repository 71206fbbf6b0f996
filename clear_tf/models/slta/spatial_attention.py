"""SLTA's spatial attention: the regions of every unit weighted by the query."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="clear_tf")
class SpatialAttention(keras.layers.Layer):
    """Regions [B, N, O, d] and queries [B, K, d] → attended units [B, K, N, d] (or clips).

    SLTA's spatial attention: for query k and unit t, each region r_{t,o} gets the
    additive score e = w · tanh(W_r r_{t,o} + W_q q_k + b), the weights
    α_{t,·} = softmax_o(e) and the unit's attended feature Σ_o α_{t,o} r_{t,o}. With
    ``num_clips`` L set, the N attended units are averaged into L clips of N / L units
    each (the toolkit's clips). With a single region (O = 1) α is 1 and the unit
    passes through unchanged: the path SLTA takes without region features.

    Args:
        attention_dim: width a of the additive attention.
        num_clips: L to average the attended units into, or None to keep the N units.
        **kwargs: base layer arguments.

    Example:

    >>> import numpy as np
    >>> layer = SpatialAttention(attention_dim=4, num_clips=2)
    >>> regions = np.random.rand(1, 4, 3, 8).astype("float32")  # [B, N, O, d]
    >>> queries = np.random.rand(1, 2, 8).astype("float32")  # [B, K, d]
    >>> clips, weights = layer.attend(regions, queries)
    >>> tuple(clips.shape), tuple(weights.shape)  # [B, K, L, d]; [B, K, N, O]
    ((1, 2, 2, 8), (1, 2, 4, 3))
    >>> bool(np.allclose(np.asarray(weights).sum(axis=-1), 1.0))  # a softmax over the regions
    True
    """

    def __init__(self, attention_dim, num_clips=None, **kwargs):
        super().__init__(**kwargs)
        self.attention_dim = attention_dim
        self.num_clips = num_clips
        self.region_key = keras.layers.Dense(attention_dim, dtype=self.dtype_policy, name="region_key")
        self.query_key = keras.layers.Dense(
            attention_dim, use_bias=False, dtype=self.dtype_policy, name="query_key"
        )
        self.score = keras.layers.Dense(1, use_bias=False, dtype=self.dtype_policy, name="score")

    def build(self, regions_shape, queries_shape=None):
        num_units, width = regions_shape[1], regions_shape[-1]
        if self.num_clips is not None and (num_units is None or num_units % self.num_clips):
            raise ValueError(
                f"SpatialAttention: the number of units ({num_units}) must be a known multiple "
                f"of num_clips ({self.num_clips})"
            )
        self.region_key.build((None, width))
        self.query_key.build((None, width if queries_shape is None else queries_shape[-1]))
        self.score.build((None, self.attention_dim))
        self.built = True

    def attend(self, regions, queries):
        """``(features, weights)``: [B, K, L or N, d] and the region weights [B, K, N, O]."""
        if not self.built:
            self.build(tuple(regions.shape), tuple(queries.shape))
        keys = self.region_key(regions)[:, None]  # [B, 1, N, O, a]
        guide = self.query_key(queries)[:, :, None, None, :]  # [B, K, 1, 1, a]
        scores = ops.squeeze(self.score(ops.tanh(keys + guide)), -1)  # [B, K, N, O]
        if regions.shape[-2] == 1:  # one region: its weight is 1 (the softmax of one score)
            weights = ops.ones_like(scores)
        else:
            weights = ops.softmax(scores, axis=-1)
        attended = ops.einsum("bkno,bnod->bknd", weights, regions)
        if self.num_clips is not None:
            shape = ops.shape(attended)
            num_units, width = attended.shape[2], attended.shape[3]
            attended = ops.mean(
                ops.reshape(attended, (shape[0], shape[1], self.num_clips, num_units // self.num_clips, width)),
                axis=3,
            )
        return attended, weights

    def call(self, regions, queries):
        return self.attend(regions, queries)[0]

    def compute_output_shape(self, regions_shape, queries_shape):
        length = regions_shape[1] if self.num_clips is None else self.num_clips
        return (regions_shape[0], queries_shape[1], length, regions_shape[-1])

    def get_config(self):
        config = super().get_config()
        config.update({"attention_dim": self.attention_dim, "num_clips": self.num_clips})
        return config
