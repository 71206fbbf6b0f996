"""SLTA's language-temporal attention: the query's words weighted by each candidate moment."""

from __future__ import annotations

import math

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="clear_tf")
class LanguageTemporalAttention(keras.layers.Layer):
    """Moments [B, K, L, L, d], words [B, K, S, d] → a language feature per moment [B, K, L, L, d].

    SLTA's language-temporal attention (after Liu et al.'s ROLE): which words matter
    depends on the moment they are compared with, so every candidate (i, j) weights the
    words by its own visual feature v_ij: β_ij = softmax_s(⟨W_v v_ij, W_w h_s⟩ / √a) over
    the real tokens, and l_ij = Σ_s β_ij,s h_s. The moments already carry temporal
    context (the clips went through a temporal convolution before the moment map).
    The score is a scaled dot product where the paper uses an additive (tanh) one: the
    additive form needs an [L, L, S, a] tensor per query, which at L = 128 does not fit.

    Args:
        attention_dim: a, width of the projected moments and words.
        **kwargs: base layer arguments.

    Example:

    >>> import numpy as np
    >>> layer = LanguageTemporalAttention(attention_dim=4)
    >>> moments = np.random.rand(1, 2, 3, 3, 8).astype("float32")  # [B, K, L, L, d]
    >>> words = np.random.rand(1, 2, 5, 8).astype("float32")  # [B, K, S, d]
    >>> mask = np.array([[[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]]], "int32")  # [B, K, S]
    >>> language, weights = layer.attend(moments, words, mask)
    >>> tuple(language.shape), tuple(weights.shape)  # [B, K, L, L, d]; [B, K, L, L, S]
    ((1, 2, 3, 3, 8), (1, 2, 3, 3, 5))
    >>> float(np.asarray(weights)[0, 0, ..., 3:].max())  # padding gets no weight
    0.0
    """

    def __init__(self, attention_dim, **kwargs):
        super().__init__(**kwargs)
        self.attention_dim = attention_dim
        self.moment_key = keras.layers.Dense(attention_dim, dtype=self.dtype_policy, name="moment_key")
        self.word_key = keras.layers.Dense(attention_dim, use_bias=False, dtype=self.dtype_policy, name="word_key")

    def build(self, moments_shape, words_shape=None, padding_mask_shape=None):
        self.moment_key.build((None, moments_shape[-1]))
        self.word_key.build((None, moments_shape[-1] if words_shape is None else words_shape[-1]))
        self.built = True

    def attend(self, moments, words, padding_mask):
        """``(language [B, K, L, L, d], weights [B, K, L, L, S])``."""
        if not self.built:
            self.build(tuple(moments.shape), tuple(words.shape))
        scores = ops.einsum("bkija,bksa->bkijs", self.moment_key(moments), self.word_key(words))
        scores = scores / math.sqrt(self.attention_dim)
        real = ops.cast(padding_mask, "bool")[:, :, None, None, :]
        scores = ops.where(real, scores, ops.full_like(scores, -1e9))
        weights = ops.softmax(scores, axis=-1) * ops.cast(real, scores.dtype)
        return ops.einsum("bkijs,bksd->bkijd", weights, words), weights

    def call(self, moments, words, padding_mask):
        return self.attend(moments, words, padding_mask)[0]

    def compute_output_shape(self, moments_shape, words_shape, padding_mask_shape):
        return (*moments_shape[:-1], words_shape[-1])

    def get_config(self):
        config = super().get_config()
        config.update({"attention_dim": self.attention_dim})
        return config
