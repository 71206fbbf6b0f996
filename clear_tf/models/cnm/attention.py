"""Multi-head attention whose weights over the keys can be re-weighted by a mask (CNM's Gaussian).

The reference's attention (fairseq's ``MultiheadAttention`` with a ``gauss_weight``
argument): the softmax weights a[t, s] of every query t over the keys s are multiplied by
g[s] + 1e-10 and renormalised over s, so that a Gaussian g restricts what the layer reads
to one region of the video (the positive proposal), 1 - g to the rest (the easy negative),
and no g to the whole video (the hard negative).
"""

from __future__ import annotations

import keras
from keras import ops

PACKAGE = "clear_tf_cnm"
# Added to the scores of keys a query must not see (the reference fills -1e30 / -inf; a
# finite value keeps a row that sees no key defined: uniform weights instead of NaN).
MASKED_SCORE = -1e9
# The reference adds this to g before re-weighting, so a weight of 0 never zeroes a row.
WEIGHT_FLOOR = 1e-10


def causal_mask(num_queries, num_keys):
    """bool [T, S], True where key s <= query t (the reference's future mask)."""
    rows = ops.arange(num_queries)[:, None]
    columns = ops.arange(num_keys)[None, :]
    return columns <= rows


def attention_weights(scores, key_mask=None, causal=False, key_weights=None):
    """Softmax weights [B, H, T, S] from scores [B, H, T, S], as the reference computes them.

    Args:
        scores: scaled dot products qᵀk.
        key_mask: bool [B, S], True on keys that may be attended (padding is False).
        causal: also hide every key after the query's own position.
        key_weights: float [B, S], the re-weighting g (None: plain softmax).
    """
    visible = None
    if key_mask is not None:
        visible = ops.cast(key_mask, "bool")[:, None, None, :]
    if causal:
        future = causal_mask(ops.shape(scores)[-2], ops.shape(scores)[-1])[None, None]
        visible = future if visible is None else ops.logical_and(visible, future)
    if visible is not None:
        scores = ops.where(visible, scores, ops.cast(MASKED_SCORE, scores.dtype))
    weights = ops.softmax(scores, axis=-1)
    if key_weights is not None:
        weights = weights * (ops.cast(key_weights, weights.dtype)[:, None, None, :] + WEIGHT_FLOOR)
        total = ops.sum(weights, axis=-1, keepdims=True)
        weights = ops.divide_no_nan(weights, total)
    return weights


@keras.saving.register_keras_serializable(package=PACKAGE)
class GaussianAttention(keras.layers.Layer):
    """Multi-head attention (queries [B, T, d], keys/values [B, S, d] → [B, T, d]) with key re-weighting.

    q, k, v and output projections as in "Attention Is All You Need"; q is scaled by
    1/√(d/H) before the dot products. Weights are ``attention_weights``.

    Args:
        hidden_dim: d.
        num_heads: H (must divide d).
        **kwargs: base layer arguments.
    """

    def __init__(self, hidden_dim, num_heads, **kwargs):
        super().__init__(**kwargs)
        if hidden_dim % num_heads:
            raise ValueError(f"num_heads={num_heads} must divide hidden_dim={hidden_dim}")
        self.hidden_dim = hidden_dim
        self.num_heads = num_heads
        self.head_dim = hidden_dim // num_heads
        self.query_projection = keras.layers.Dense(hidden_dim, name="query", dtype=self.dtype_policy)
        self.key_projection = keras.layers.Dense(hidden_dim, name="key", dtype=self.dtype_policy)
        self.value_projection = keras.layers.Dense(hidden_dim, name="value", dtype=self.dtype_policy)
        self.output_projection = keras.layers.Dense(hidden_dim, name="output", dtype=self.dtype_policy)

    def build(self, input_shape=None):
        for layer in (self.query_projection, self.key_projection, self.value_projection, self.output_projection):
            layer.build((None, None, self.hidden_dim))
        self.built = True

    def _heads(self, x):
        batch, length = ops.shape(x)[0], ops.shape(x)[1]
        x = ops.reshape(x, (batch, length, self.num_heads, self.head_dim))
        return ops.transpose(x, (0, 2, 1, 3))

    def call(self, query, key_value, key_mask=None, key_weights=None, causal=False):
        """Attends ``query`` [B, T, d] over ``key_value`` [B, S, d].

        Args:
            key_mask: bool [B, S] (None: every key).
            key_weights: float [B, S], the Gaussian (or its complement) over the keys.
            causal: hide the keys after each query's position (needs T, S of one sequence).
        """
        q = self._heads(self.query_projection(query)) * (self.head_dim ** -0.5)
        k = self._heads(self.key_projection(key_value))
        v = self._heads(self.value_projection(key_value))
        scores = ops.einsum("bhtc,bhsc->bhts", q, k)
        weights = attention_weights(scores, key_mask, causal, key_weights)
        out = ops.einsum("bhts,bhsc->bhtc", weights, v)
        out = ops.transpose(out, (0, 2, 1, 3))
        out = ops.reshape(out, (ops.shape(out)[0], ops.shape(out)[1], self.hidden_dim))
        return self.output_projection(out)


    def get_config(self):
        config = super().get_config()
        config.update({"hidden_dim": self.hidden_dim, "num_heads": self.num_heads})
        return config
