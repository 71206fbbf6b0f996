"""CDN's cross-modal dynamic convolution: a K×K kernel generated per sample from the query and the map."""

from __future__ import annotations

import math

import keras
import tensorflow as tf
from keras import ops


@keras.saving.register_keras_serializable(package="clear_tf")
class DynamicConv2D(keras.layers.Layer):
    """([N, H, W, C] maps, [N, Q] conditions) → [N, H, W, filters], each map with its own kernel.

    The kernel of sample n is a mixture of E expert kernels (CondConv, as in CDN's
    ``MoreEfficientCondConv2d``): a_n = dropout(softmax(W_e tanh(W_q c_n + W_x x̄_n))),
    with c_n the condition (the query feature) and x̄_n the map's mean over all cells,
    then W(n) = Σ_e a_n,e W_e and b(n) = Σ_e a_n,e b_e, and the output is the ordinary
    "same"-padded, stride-1 convolution of map n with W(n) plus b(n).
    ``generated_kernels`` returns W(n), b(n).

    The per-sample convolutions run as a ``tf.map_fn`` over the samples: the same
    FLOPs as one ordinary convolution, no E-fold cost, and (unlike a grouped
    convolution, whose gradient TensorFlow lacks on CPU) it trains on CPU and GPU.

    Args:
        filters: output channels.
        kernel_size: K (odd: "same" padding of (K-1)/2, as CDN's padding 2 for K = 5).
        num_experts: E (CDN's ``NUM_WORKER``, 8).
        dropout: dropout on the mixture weights (CDN: 0.1).
        **kwargs: base layer arguments.

    Example:

    >>> import numpy as np
    >>> layer = DynamicConv2D(filters=8, kernel_size=3, num_experts=4)
    >>> maps, queries = np.ones((2, 6, 6, 8), "float32"), np.random.rand(2, 5).astype("float32")
    >>> tuple(layer([maps, queries]).shape)
    (2, 6, 6, 8)
    >>> kernels, biases = layer.generated_kernels(maps, queries)  # one kernel per sample
    >>> tuple(kernels.shape), tuple(biases.shape)
    ((2, 3, 3, 8, 8), (2, 8))
    """

    def __init__(self, filters, kernel_size, num_experts=8, dropout=0.1, **kwargs):
        super().__init__(**kwargs)
        if kernel_size % 2 == 0:
            raise ValueError(f"DynamicConv2D needs an odd kernel_size for 'same' padding, got {kernel_size}")
        if num_experts < 1:
            raise ValueError(f"DynamicConv2D num_experts must be >= 1, got {num_experts}")
        self.filters = filters
        self.kernel_size = kernel_size
        self.num_experts = num_experts
        self.dropout = dropout
        self.gate_dropout = keras.layers.Dropout(dropout, dtype=self.dtype_policy, name="gate_dropout")

    def build(self, input_shape):
        map_shape, condition_shape = input_shape
        channels = map_shape[-1]
        dense = lambda units, name: keras.layers.Dense(units, dtype=self.dtype_policy, name=name)  # noqa: E731
        self.condition_gate = dense(channels, "condition_gate")
        self.map_gate = dense(channels, "map_gate")
        self.expert_logits = dense(self.num_experts, "expert_logits")
        self.condition_gate.build((None, condition_shape[-1]))
        self.map_gate.build((None, channels))
        self.expert_logits.build((None, channels))
        # Each expert is initialised like an ordinary K×K convolution (LeCun uniform on
        # its own fan-in; an initializer on the stacked shape would count E in the fan-in).
        limit = math.sqrt(3.0 / (self.kernel_size * self.kernel_size * channels))
        self.expert_kernels = self.add_weight(
            name="expert_kernels",
            shape=(self.num_experts, self.kernel_size, self.kernel_size, channels, self.filters),
            initializer=keras.initializers.RandomUniform(-limit, limit),
        )
        self.expert_biases = self.add_weight(
            name="expert_biases", shape=(self.num_experts, self.filters), initializer="zeros"
        )
        self.built = True

    def mixture_weights(self, maps, conditions, training=None):
        """a [N, E]: the softmax over the experts (after dropout when training)."""
        if not self.built:
            self.build((tuple(maps.shape), tuple(conditions.shape)))
        context = ops.mean(maps, axis=(1, 2))
        mix = ops.tanh(self.condition_gate(conditions) + self.map_gate(context))
        return self.gate_dropout(ops.softmax(self.expert_logits(mix), axis=-1), training=training)

    def generated_kernels(self, maps, conditions, training=None):
        """``(kernels [N, K, K, C, filters], biases [N, filters])`` of every sample."""
        weights = self.mixture_weights(maps, conditions, training)
        kernels = ops.einsum("ne,eijcf->nijcf", weights, ops.cast(self.expert_kernels, weights.dtype))
        biases = ops.matmul(weights, ops.cast(self.expert_biases, weights.dtype))
        return kernels, biases

    def call(self, inputs, training=None):
        maps, conditions = inputs
        kernels, biases = self.generated_kernels(maps, conditions, training)
        outputs = tf.map_fn(
            lambda pair: tf.nn.conv2d(pair[0][tf.newaxis], pair[1], strides=1, padding="SAME")[0],
            (maps, kernels),
            fn_output_signature=maps.dtype,
        )
        return outputs + biases[:, tf.newaxis, tf.newaxis, :]

    def compute_output_shape(self, input_shape):
        return (*input_shape[0][:-1], self.filters)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "filters": self.filters,
                "kernel_size": self.kernel_size,
                "num_experts": self.num_experts,
                "dropout": self.dropout,
            }
        )
        return config
