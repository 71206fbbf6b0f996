"""Bi-TCN: non-causal dilated temporal convolutions over the video units (Eq. 1)."""

from __future__ import annotations

import keras


@keras.saving.register_keras_serializable(package="clear_tf")
class BiTCN(keras.layers.Layer):
    """A stack of residual blocks of non-causal dilated ``Conv1D`` (Eq. 1).

    Block r applies a ``Conv1D`` with kernel ``kernel_size``, dilation 2^r and
    symmetric "same" padding, so every unit sees as many units before it as after it
    (pre- and post-context) and the sequence length is unchanged. Each block computes
    ``residual(x) + dropout(relu(conv(x)))``, where ``residual`` is the identity, or a
    1×1 ``Conv1D`` where the block changes the number of channels.

    Args:
        channels: output channels of each block, e.g. ``[2048, 1024, 512, 256]``.
        kernel_size: kernel of every dilated convolution (odd, so the padding is
            symmetric).
        dropout: dropout rate after every convolution.
        **kwargs: base layer arguments (``name``, ``dtype``, ...).

    Example:

    >>> import numpy as np
    >>> tcn = BiTCN(channels=[32, 16], kernel_size=3, dropout=0.1)
    >>> tuple(tcn(np.zeros((2, 20, 8), "float32")).shape)  # the length is kept
    (2, 20, 16)
    >>> [block.dilation_rate for block in tcn.convolutions]
    [(1,), (2,)]
    """

    def __init__(self, channels, kernel_size=3, dropout=0.3, **kwargs):
        super().__init__(**kwargs)
        if not channels:
            raise ValueError("BiTCN needs at least one block: channels is empty")
        if kernel_size < 1 or kernel_size % 2 == 0:
            raise ValueError(
                f"BiTCN kernel_size must be odd so that the padding is symmetric, got {kernel_size}"
            )
        self.channels = [int(c) for c in channels]
        self.kernel_size = kernel_size
        self.dropout = dropout
        self.convolutions = [
            keras.layers.Conv1D(
                filters,
                kernel_size,
                dilation_rate=2**block,
                padding="same",
                activation="relu",
                dtype=self.dtype_policy,
                name=f"block_{block}_conv",
            )
            for block, filters in enumerate(self.channels)
        ]
        self.dropouts = [
            keras.layers.Dropout(dropout, dtype=self.dtype_policy, name=f"block_{block}_dropout")
            for block in range(len(self.channels))
        ]
        # Filled in build(): a 1×1 projection where a block changes the width, else None.
        self.projections = []

    def build(self, input_shape):
        in_channels = input_shape[-1]
        self.projections = []
        for block, (conv, filters) in enumerate(zip(self.convolutions, self.channels)):
            conv.build((None, None, in_channels))
            if filters != in_channels:
                projection = keras.layers.Conv1D(
                    filters, 1, dtype=self.dtype_policy, name=f"block_{block}_projection"
                )
                projection.build((None, None, in_channels))
            else:
                projection = None
            self.projections.append(projection)
            in_channels = filters
        self.built = True

    def call(self, units, training=None):
        x = units
        for conv, dropout, projection in zip(self.convolutions, self.dropouts, self.projections):
            residual = x if projection is None else projection(x)
            x = residual + dropout(conv(x), training=training)
        return x

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.channels[-1],)

    def get_config(self):
        config = super().get_config()
        config.update(
            {"channels": self.channels, "kernel_size": self.kernel_size, "dropout": self.dropout}
        )
        return config
