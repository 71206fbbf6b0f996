"""The transformer decoders of CNM (the reference's ``DualTransformer``: two decoders, shared by
the mask generator and the mask-conditioned reconstructor).

A decoder layer is post-norm: causal self-attention, then (when a source is given)
attention over the source, then a 2d-wide ReLU feed-forward; each sub-layer adds its
dropped-out output to its input and applies LayerNorm. Every self-attention is causal,
as in the reference (its decoders always use the future mask), for frames as for words.

The same two decoders serve both steps of CNM:

* mask generation: the word decoder reads the query alone; the video decoder reads the
  frames and attends to the words; its last state gives the Gaussian;
* reconstruction: the video decoder reads the sampled frames alone, its self-attention
  re-weighted by the Gaussian g (or 1 - g, or nothing); the word decoder reads the masked
  query and attends to those frames, re-weighted the same way.
"""

from __future__ import annotations

import keras

from clear_tf.models.cnm.attention import PACKAGE, GaussianAttention

LAYER_NORM_EPSILON = 1e-5  # PyTorch's default, the reference's


@keras.saving.register_keras_serializable(package=PACKAGE)
class DecoderLayer(keras.layers.Layer):
    """One post-norm decoder layer: [B, T, d] → [B, T, d].

    Args:
        hidden_dim: d.
        num_heads: heads of both attentions.
        dropout: dropout on each sub-layer's output.
        **kwargs: base layer arguments.
    """

    def __init__(self, hidden_dim, num_heads, dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        self.hidden_dim = hidden_dim
        self.num_heads = num_heads
        self.dropout = dropout
        policy = self.dtype_policy
        self.self_attention = GaussianAttention(hidden_dim, num_heads, name="self_attention", dtype=policy)
        self.self_norm = keras.layers.LayerNormalization(epsilon=LAYER_NORM_EPSILON, name="self_norm", dtype=policy)
        self.source_attention = GaussianAttention(hidden_dim, num_heads, name="source_attention", dtype=policy)
        self.source_norm = keras.layers.LayerNormalization(
            epsilon=LAYER_NORM_EPSILON, name="source_norm", dtype=policy
        )
        self.feed_forward_in = keras.layers.Dense(
            2 * hidden_dim, activation="relu", name="feed_forward_in", dtype=policy
        )
        self.feed_forward_out = keras.layers.Dense(hidden_dim, name="feed_forward_out", dtype=policy)
        self.final_norm = keras.layers.LayerNormalization(epsilon=LAYER_NORM_EPSILON, name="final_norm", dtype=policy)
        self.drop = keras.layers.Dropout(dropout, dtype=policy)

    def build(self, input_shape=None):
        shape = (None, None, self.hidden_dim)
        self.self_attention.build()
        self.source_attention.build()
        for norm in (self.self_norm, self.source_norm, self.final_norm):
            norm.build(shape)
        self.feed_forward_in.build(shape)
        self.feed_forward_out.build((None, None, 2 * self.hidden_dim))
        self.built = True

    def call(self, x, x_mask=None, source=None, source_mask=None, self_weights=None, source_weights=None,
             training=None):
        """One layer on ``x`` [B, T, d].

        Args:
            x_mask: bool [B, T], the real positions of ``x`` (None: all).
            source: [B, S, d] to attend to (None: no source attention, as the reference
                when a decoder runs alone).
            source_mask: bool [B, S].
            self_weights: float [B, T], re-weighting of the self-attention's keys.
            source_weights: float [B, S], re-weighting of the source attention's keys.
        """
        attended = self.self_attention(x, x, key_mask=x_mask, key_weights=self_weights, causal=True)
        x = self.self_norm(x + self.drop(attended, training=training))
        if source is not None:
            attended = self.source_attention(x, source, key_mask=source_mask, key_weights=source_weights)
            x = self.source_norm(x + self.drop(attended, training=training))
        transformed = self.feed_forward_out(self.feed_forward_in(x))
        return self.final_norm(x + self.drop(transformed, training=training))


    def get_config(self):
        config = super().get_config()
        config.update({"hidden_dim": self.hidden_dim, "num_heads": self.num_heads, "dropout": self.dropout})
        return config


@keras.saving.register_keras_serializable(package=PACKAGE)
class TransformerDecoder(keras.layers.Layer):
    """A stack of ``DecoderLayer`` (the reference's ``TransformerDecoder``); every layer gets the
    same mask, source and re-weighting.

    Args:
        num_layers: layers in the stack.
        hidden_dim, num_heads, dropout: as in ``DecoderLayer``.
        **kwargs: base layer arguments.

    Example: ``TransformerDecoder(2, hidden_dim=8, num_heads=2)(frames, source=words,
    source_mask=word_mask)`` maps frames [B, T, 8] attending to words [B, S, 8] to [B, T, 8].
    """

    def __init__(self, num_layers, hidden_dim, num_heads, dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        self.num_layers = num_layers
        self.hidden_dim = hidden_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.decoder_layers = [
            DecoderLayer(hidden_dim, num_heads, dropout, name=f"layer_{index}", dtype=self.dtype_policy)
            for index in range(num_layers)
        ]

    def build(self, input_shape=None):
        for layer in self.decoder_layers:
            layer.build()
        self.built = True

    def call(self, x, x_mask=None, source=None, source_mask=None, self_weights=None, source_weights=None,
             training=None):
        for layer in self.decoder_layers:
            x = layer(
                x,
                x_mask=x_mask,
                source=source,
                source_mask=source_mask,
                self_weights=self_weights,
                source_weights=source_weights,
                training=training,
            )
        return x


    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_layers": self.num_layers,
                "hidden_dim": self.hidden_dim,
                "num_heads": self.num_heads,
                "dropout": self.dropout,
            }
        )
        return config
