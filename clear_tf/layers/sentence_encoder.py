"""QRN: a keras-hub BERT backbone, sentence pooling and the projection of Eq. 3."""

from __future__ import annotations

import keras
from keras import ops

SENTENCE_POOLINGS = ("mean", "cls")


def pool_sentence(tokens, padding_mask, pooling: str):
    """One vector per sentence from BERT's sequence output [..., S, E] → [..., E].

    "mean" averages the tokens where ``padding_mask`` is true (what all-MiniLM-L6-v2
    was trained for), "cls" takes the first token. Shared by ``SentenceEncoder`` and
    the input pipeline's precomputed sentence vectors, so both give the same numbers.
    """
    if pooling == "mean":
        weights = ops.cast(padding_mask, tokens.dtype)[..., None]
        return ops.sum(tokens * weights, axis=-2) / ops.maximum(ops.sum(weights, axis=-2), 1.0)
    if pooling == "cls":
        return tokens[..., 0, :]
    raise ValueError(f"sentence pooling must be one of {SENTENCE_POOLINGS}, got {pooling!r}")


@keras.saving.register_keras_serializable(package="clear_tf")
class SentenceEncoder(keras.layers.Layer):
    """Query representation network: token ids → q = ReLU(W · BERT(query) + b) (Eq. 3).

    The BERT sequence output is pooled into one sentence vector, by the mean over the
    real tokens (what all-MiniLM-L6-v2 was trained for) or by the [CLS] token, then
    projected to ``hidden_dim`` by a Dense layer: ReLU by default (CLEAR's Eq. 3),
    another ``activation`` for other models (None: 2D-TAN's linear projection). Inputs
    may carry any number of leading axes, e.g. [B, K, S] query slots per video: they are
    flattened to [B·K, S] for BERT and restored on the output, [B, K, hidden_dim].

    By default the backbone is frozen (the paper uses pre-trained BERT features): its
    weights are not trainable, it always runs in inference mode (no dropout) and no
    gradient flows back into it.

    Args:
        backbone: a ``keras_hub.models.BertBackbone`` (e.g. from
            ``clear_tf.text_presets.load_backbone``).
        hidden_dim: d, the size of the query representation.
        pooling: "mean" (over tokens where ``padding_mask`` is true) or "cls".
        backbone_trainable: fine-tune BERT together with the rest of the model.
        activation: activation of the projection (a Keras activation name, or None).
        **kwargs: base layer arguments.

    Example:

    A tiny random BERT stands in for ``clear_tf.text_presets.load_backbone()`` here.

    >>> import numpy as np
    >>> import keras_hub
    >>> backbone = keras_hub.models.BertBackbone(
    ...     vocabulary_size=100, num_layers=1, num_heads=2, hidden_dim=8, intermediate_dim=16
    ... )
    >>> encoder = SentenceEncoder(backbone, hidden_dim=4)
    >>> ids = np.array([[[2, 7, 8, 3], [2, 9, 3, 0]]], "int32")  # [B=1, K=2, S=4], 0 = padding
    >>> q = encoder({"token_ids": ids, "padding_mask": ids != 0})
    >>> tuple(q.shape)  # [B, K, hidden_dim]
    (1, 2, 4)
    >>> backbone.trainable  # frozen unless backbone_trainable=True
    False
    """

    def __init__(
        self, backbone, hidden_dim, pooling="mean", backbone_trainable=False, activation="relu", **kwargs
    ):
        super().__init__(**kwargs)
        if pooling not in SENTENCE_POOLINGS:
            raise ValueError(
                f"SentenceEncoder pooling must be one of {SENTENCE_POOLINGS}, got {pooling!r}"
            )
        self.backbone = backbone
        self.hidden_dim = hidden_dim
        self.pooling = pooling
        self.backbone_trainable = backbone_trainable
        self.backbone.trainable = backbone_trainable
        self.activation = activation
        self.projection = keras.layers.Dense(
            hidden_dim, activation=activation, dtype=self.dtype_policy, name="query_projection"
        )

    def build(self, input_shape):
        self.projection.build((None, self.backbone.hidden_dim))
        self.built = True

    def call(self, inputs, training=None):
        token_ids = ops.cast(inputs["token_ids"], "int32")
        padding_mask = ops.cast(inputs["padding_mask"], "int32")
        shape = ops.shape(token_ids)
        leading_shape, num_tokens = shape[:-1], shape[-1]
        token_ids = ops.reshape(token_ids, (-1, num_tokens))
        padding_mask = ops.reshape(padding_mask, (-1, num_tokens))
        outputs = self.backbone(
            {
                "token_ids": token_ids,
                "segment_ids": ops.zeros_like(token_ids),
                "padding_mask": padding_mask,
            },
            training=training if self.backbone_trainable else False,
        )
        tokens = outputs["sequence_output"]
        if not self.backbone_trainable:
            # A frozen encoder is a fixed feature extractor: no gradient path into BERT.
            tokens = ops.stop_gradient(tokens)
        query = self.projection(pool_sentence(tokens, padding_mask, self.pooling))
        return ops.reshape(query, (*leading_shape, self.hidden_dim))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape["token_ids"][:-1]) + (self.hidden_dim,)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "backbone": keras.layers.serialize(self.backbone),
                "hidden_dim": self.hidden_dim,
                "pooling": self.pooling,
                "backbone_trainable": self.backbone_trainable,
                "activation": self.activation,
            }
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["backbone"] = keras.layers.deserialize(config["backbone"])
        return cls(**config)
