"""2D-TAN-style fine head: a masked K×K Conv2D stack over the fused maps."""

from __future__ import annotations

import keras
from keras import ops

from clear_tf.layers.candidate_cells import candidate_cells


@keras.saving.register_keras_serializable(package="clear_tf")
class ConvFineHead(keras.layers.Layer):
    """Fused maps [..., L, L, d] → logits [..., L, L] through masked 2D convolutions.

    ``num_layers - 1`` ``Conv2D`` (kernel ``kernel_size``, "same" padding, ReLU) of
    width ``hidden_dim``, each followed by a multiplication with the candidate mask so
    that non-candidate cells never leak into their neighbours' receptive fields (the
    authors' code, after 2D-TAN), then a 1×1 ``Conv2D`` giving one logit per cell.
    Leading axes beyond one batch axis (e.g. [B, K, ...]) are flattened for the
    convolutions and restored on the output.

    Args:
        hidden_dim: channels of the hidden convolutions.
        num_layers: convolutions in total (>= 1); the last one is the 1×1 logit layer.
        kernel_size: K of the hidden K×K convolutions.
        dropout: dropout rate after every hidden convolution.
        sparse: candidate set of ``candidate_cells``: the 2D-TAN sparse sampling.
        pooling_counts: diagonals per stride level of the sparse sampling.
        num_anchors: R; anchor cells are candidates in sparse mode too.
        initial_logit: starting bias of the 1×1 logit convolution (0: Keras's default).
        **kwargs: base layer arguments.

    Example:

    >>> import numpy as np
    >>> head = ConvFineHead(hidden_dim=16, kernel_size=3)
    >>> tuple(head(np.zeros((2, 8, 8, 16), "float32")).shape)  # fused maps [M, L, L, d] → logits
    (2, 8, 8)
    """

    def __init__(
        self,
        hidden_dim,
        num_layers=2,
        kernel_size=5,
        dropout=0.0,
        sparse=False,
        pooling_counts=(15, 8, 8, 8),
        num_anchors=0,
        initial_logit=0.0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if num_layers < 1:
            raise ValueError(f"ConvFineHead num_layers must be >= 1, got {num_layers}")
        self.hidden_dim = hidden_dim
        self.num_layers = num_layers
        self.kernel_size = kernel_size
        self.dropout = dropout
        self.sparse = sparse
        self.pooling_counts = [int(c) for c in pooling_counts]
        self.num_anchors = num_anchors
        self.initial_logit = initial_logit
        self.hidden_layers = [
            keras.layers.Conv2D(
                hidden_dim,
                kernel_size,
                padding="same",
                activation="relu",
                dtype=self.dtype_policy,
                name=f"conv_{index}",
            )
            for index in range(num_layers - 1)
        ]
        self.dropouts = [
            keras.layers.Dropout(dropout, dtype=self.dtype_policy, name=f"dropout_{index}")
            for index in range(num_layers - 1)
        ]
        self.logit_layer = keras.layers.Conv2D(
            1,
            1,
            bias_initializer=keras.initializers.Constant(initial_logit),
            dtype=self.dtype_policy,
            name="logit",
        )

    def build(self, input_shape):
        num_clips, width = input_shape[-2], input_shape[-1]
        mask = candidate_cells(num_clips, self.sparse, self.pooling_counts, self.num_anchors)
        self._mask = mask[:, :, None].astype("float32")
        for layer in self.hidden_layers:
            layer.build((None, num_clips, num_clips, width))
            width = self.hidden_dim
        self.logit_layer.build((None, num_clips, num_clips, width))
        self.built = True

    def call(self, fused, training=None):
        num_clips, width = fused.shape[-2], fused.shape[-1]
        leading_shape = ops.shape(fused)[:-3]
        x = ops.reshape(fused, (-1, num_clips, num_clips, width))
        mask = ops.cast(self._mask, x.dtype)
        for layer, dropout in zip(self.hidden_layers, self.dropouts):
            x = dropout(layer(x), training=training) * mask
        logits = ops.squeeze(self.logit_layer(x), axis=-1)
        return ops.reshape(logits, (*leading_shape, num_clips, num_clips))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1])

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "hidden_dim": self.hidden_dim,
                "num_layers": self.num_layers,
                "kernel_size": self.kernel_size,
                "dropout": self.dropout,
                "sparse": self.sparse,
                "pooling_counts": self.pooling_counts,
                "num_anchors": self.num_anchors,
                "initial_logit": self.initial_logit,
            }
        )
        return config
