"""CDN's map head: residual masked convolutions, the first ones generated from the query."""

from __future__ import annotations

import keras
from keras import ops

from clear_tf.models.cdn.dynamic_conv import DynamicConv2D
from clear_tf.models.tan2d.sparse_layout import masked_conv_weights, tan2d_candidates


@keras.saving.register_keras_serializable(package="clear_tf")
class DynamicMapConv(keras.layers.Layer):
    """(fused maps [..., L, L, C], queries [..., Q]) → logits [..., L, L] (CDN's ``DynamicMapResConv`` + ``pred_layer``).

    ``num_layers`` residual blocks: x ← BN(x); y = conv(x), a ``DynamicConv2D``
    conditioned on the query for the first ``dynamic_layers`` blocks and an ordinary
    K×K ``Conv2D`` after; x ← ReLU(y + x) · w, with w 2D-TAN's mask weight
    (``masked_conv_weights``, "same" padding, so the valid cells grow from the sparse
    candidates by (K-1)/2 per block). A last BN, then a 1×1 convolution gives one
    logit per cell. Leading axes beyond one batch axis are flattened and restored; the
    queries carry the same leading axes as the maps.

    Args:
        hidden_dim: channels of the map (the residuals need input = output width).
        num_layers: residual blocks (CDN: 8).
        kernel_size: K, odd (CDN: 5).
        dynamic_layers: how many of the first blocks use a dynamic kernel (CDN's
            ``COND_NUM``, 4).
        num_experts: expert kernels of each dynamic block (CDN's ``NUM_WORKER``, 8).
        expert_dropout: dropout on the mixture weights (CDN: 0.1).
        pooling_counts: the sparse candidate set (``clear_tf.models.tan2d.sparse_layout``).
        **kwargs: base layer arguments.

    Example:

    >>> import numpy as np
    >>> head = DynamicMapConv(hidden_dim=8, num_layers=2, kernel_size=3, dynamic_layers=1,
    ...                       num_experts=2, pooling_counts=[7])
    >>> fused, queries = np.zeros((2, 3, 8, 8, 8), "float32"), np.zeros((2, 3, 5), "float32")
    >>> tuple(head([fused, queries]).shape)  # [B, K, L, L, d], [B, K, Q] → [B, K, L, L]
    (2, 3, 8, 8)
    """

    def __init__(
        self,
        hidden_dim,
        num_layers=8,
        kernel_size=5,
        dynamic_layers=4,
        num_experts=8,
        expert_dropout=0.1,
        pooling_counts=(15, 8, 8, 8),
        **kwargs,
    ):
        super().__init__(**kwargs)
        if not 0 <= dynamic_layers <= num_layers:
            raise ValueError(f"dynamic_layers must be in [0, {num_layers}], got {dynamic_layers}")
        if kernel_size % 2 == 0:
            raise ValueError(f"DynamicMapConv needs an odd kernel_size, got {kernel_size}")
        self.hidden_dim = hidden_dim
        self.num_layers = num_layers
        self.kernel_size = kernel_size
        self.dynamic_layers = dynamic_layers
        self.num_experts = num_experts
        self.expert_dropout = expert_dropout
        self.pooling_counts = [int(c) for c in pooling_counts]
        # PyTorch's BatchNorm2d defaults (momentum 0.1 of the new batch, eps 1e-5).
        self.norms = [
            keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-5, dtype=self.dtype_policy, name=f"norm_{index}")
            for index in range(num_layers + 1)
        ]
        self.convolutions = [
            DynamicConv2D(
                hidden_dim, kernel_size, num_experts, expert_dropout, dtype=self.dtype_policy, name=f"dynamic_conv_{index}"
            )
            if index < dynamic_layers
            else keras.layers.Conv2D(
                hidden_dim, kernel_size, padding="same", dtype=self.dtype_policy, name=f"conv_{index}"
            )
            for index in range(num_layers)
        ]
        self.logit_layer = keras.layers.Conv2D(1, 1, dtype=self.dtype_policy, name="logit")

    def build(self, input_shape):
        map_shape, query_shape = input_shape
        num_clips, width = map_shape[-2], map_shape[-1]
        if width != self.hidden_dim:
            raise ValueError(f"DynamicMapConv's residuals need {self.hidden_dim} input channels, got {width}")
        mask = tan2d_candidates(num_clips, self.pooling_counts)
        self._mask_weights = []
        for _ in range(self.num_layers):
            mask, weight = masked_conv_weights(mask, self.kernel_size, (self.kernel_size - 1) // 2)
            self._mask_weights.append(weight[:, :, None])
        cell_shape = (None, num_clips, num_clips, width)
        for norm in self.norms:
            norm.build(cell_shape)
        for index, layer in enumerate(self.convolutions):
            if index < self.dynamic_layers:
                layer.build((cell_shape, (None, query_shape[-1])))
            else:
                layer.build(cell_shape)
        self.logit_layer.build(cell_shape)
        self.built = True

    def hidden_maps(self, fused, queries, training=None):
        """The last normalised hidden map [N, L, L, d] of maps [N, L, L, d] and queries [N, Q]."""
        x = fused
        for index, (norm, layer, weight) in enumerate(zip(self.norms, self.convolutions, self._mask_weights)):
            x = norm(x, training=training)
            if index < self.dynamic_layers:
                y = layer([x, queries], training=training)
            else:
                y = layer(x)
            x = ops.relu(y + x) * ops.cast(weight, x.dtype)
        return self.norms[-1](x, training=training)

    def call(self, inputs, training=None):
        fused, queries = inputs
        num_clips, width = fused.shape[-2], fused.shape[-1]
        leading_shape = ops.shape(fused)[:-3]
        x = ops.reshape(fused, (-1, num_clips, num_clips, width))
        flat_queries = ops.reshape(queries, (-1, queries.shape[-1]))
        logits = ops.squeeze(self.logit_layer(self.hidden_maps(x, flat_queries, training)), axis=-1)
        return ops.reshape(logits, (*leading_shape, num_clips, num_clips))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0][:-1])

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "hidden_dim": self.hidden_dim,
                "num_layers": self.num_layers,
                "kernel_size": self.kernel_size,
                "dynamic_layers": self.dynamic_layers,
                "num_experts": self.num_experts,
                "expert_dropout": self.expert_dropout,
                "pooling_counts": self.pooling_counts,
            }
        )
        return config
