"""The paper's fine head: a pointwise MLP from fused features to a logit."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="clear_tf")
class MLPFineHead(keras.layers.Layer):
    """Pointwise MLP: fused features [..., d] → logits [...] (the confidence map of Eq. 7).

    ``num_layers - 1`` Dense + ReLU layers of width ``hidden_dim`` (each followed by
    dropout), then a Dense layer with one output, the logit. Being pointwise, it scores
    whole maps [M, L, L, d] or only the kept candidates [M, n, d] of a pruned search.

    Args:
        hidden_dim: width of the hidden layers.
        num_layers: Dense layers in total (>= 1); the last one outputs the logit.
        dropout: dropout rate after every hidden layer.
        initial_logit: starting bias of the logit layer (0: Keras's default).
        **kwargs: base layer arguments.

    Example:

    >>> import numpy as np
    >>> head = MLPFineHead(hidden_dim=16)
    >>> tuple(head(np.zeros((2, 8, 8, 16), "float32")).shape)  # whole maps [M, L, L, d]
    (2, 8, 8)
    >>> tuple(head(np.zeros((5, 16), "float32")).shape)  # or only 5 kept candidates
    (5,)
    """

    def __init__(self, hidden_dim, num_layers=2, dropout=0.0, initial_logit=0.0, **kwargs):
        super().__init__(**kwargs)
        if num_layers < 1:
            raise ValueError(f"MLPFineHead num_layers must be >= 1, got {num_layers}")
        self.hidden_dim = hidden_dim
        self.num_layers = num_layers
        self.dropout = dropout
        self.initial_logit = initial_logit
        self.hidden_layers = [
            keras.layers.Dense(
                hidden_dim, activation="relu", dtype=self.dtype_policy, name=f"hidden_{index}"
            )
            for index in range(num_layers - 1)
        ]
        self.dropouts = [
            keras.layers.Dropout(dropout, dtype=self.dtype_policy, name=f"dropout_{index}")
            for index in range(num_layers - 1)
        ]
        self.logit_layer = keras.layers.Dense(
            1,
            bias_initializer=keras.initializers.Constant(initial_logit),
            dtype=self.dtype_policy,
            name="logit",
        )

    def build(self, input_shape):
        width = input_shape[-1]
        for layer in self.hidden_layers:
            layer.build((None, width))
            width = self.hidden_dim
        self.logit_layer.build((None, width))
        self.built = True

    def call(self, fused, training=None):
        x = fused
        for layer, dropout in zip(self.hidden_layers, self.dropouts):
            x = dropout(layer(x), training=training)
        return ops.squeeze(self.logit_layer(x), axis=-1)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1])

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "hidden_dim": self.hidden_dim,
                "num_layers": self.num_layers,
                "dropout": self.dropout,
                "initial_logit": self.initial_logit,
            }
        )
        return config
