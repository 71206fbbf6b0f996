"""2D-TAN's temporal adjacent network: the masked K×K convolutions over the fused map."""

from __future__ import annotations

import keras
from keras import ops

from clear_tf.models.tan2d.sparse_layout import masked_conv_weights, tan2d_candidates


def tan2d_paddings(num_layers: int, kernel_size: int) -> list[int]:
    """2D-TAN's paddings: all on the first layer (e.g. 16 for K5L8 and K9L4), none after.

    The first convolution pads ``num_layers·(K-1)/2`` zeros on every side and the
    others are "valid", so the map grows once and shrinks back to L×L by the last layer.

    >>> tan2d_paddings(8, 5), tan2d_paddings(4, 9)  # TACoS, ActivityNet
    ([16, 0, 0, 0, 0, 0, 0, 0], [16, 0, 0, 0])
    """
    total = num_layers * (kernel_size - 1)
    if total % 2:
        raise ValueError(
            f"2D-TAN's padding needs an even num_layers·(kernel_size-1), got "
            f"{num_layers} layers of kernel {kernel_size}"
        )
    return [total // 2] + [0] * (num_layers - 1)


@keras.saving.register_keras_serializable(package="clear_tf")
class MapConv(keras.layers.Layer):
    """Fused maps [..., L, L, C] → logits [..., L, L]: 2D-TAN's ``MapConv`` and ``pred_layer``.

    ``num_layers`` K×K ``Conv2D`` of width ``hidden_dim`` with ReLU, padded as
    ``tan2d_paddings`` says; after each one the output is multiplied by 2D-TAN's mask
    weight (``masked_conv_weights``): 1/n, n the number of valid cells of the previous
    layer's mask inside the window, 0 where there is none. The valid cells start as the
    sparse candidate set and grow with every layer (the map is larger than L×L in
    between, as in the original). A 1×1 convolution then gives one logit per cell (the
    model masks the cells outside the candidate set). Unlike ``ConvFineHead`` (fixed
    mask, "same" padding) this is the authors' masking. Leading axes beyond one batch
    axis (e.g. [B, K, ...]) are flattened for the convolutions and restored.

    Args:
        hidden_dim: channels of the hidden convolutions (2D-TAN: 512).
        num_layers: K×K convolutions before the logit layer (2D-TAN: 8 on TACoS, 4 on
            ActivityNet).
        kernel_size: K (2D-TAN: 5 on TACoS, 9 on ActivityNet).
        pooling_counts: the sparse candidate set the map holds (``sparse_layout``).
        **kwargs: base layer arguments.

    Example:

    >>> import numpy as np
    >>> head = MapConv(hidden_dim=8, num_layers=2, kernel_size=3, pooling_counts=[7])
    >>> tuple(head(np.zeros((2, 3, 8, 8, 8), "float32")).shape)  # [B, K, L, L, C] → [B, K, L, L]
    (2, 3, 8, 8)
    >>> head.paddings  # all the padding on the first layer, as 2D-TAN's [16, 0, ...]
    [2, 0]
    """

    def __init__(self, hidden_dim, num_layers=8, kernel_size=5, pooling_counts=(15, 8, 8, 8), **kwargs):
        super().__init__(**kwargs)
        if num_layers < 1:
            raise ValueError(f"MapConv num_layers must be >= 1, got {num_layers}")
        self.hidden_dim = hidden_dim
        self.num_layers = num_layers
        self.kernel_size = kernel_size
        self.pooling_counts = [int(c) for c in pooling_counts]
        self.paddings = tan2d_paddings(num_layers, kernel_size)
        self.convolutions = [
            keras.layers.Conv2D(
                hidden_dim, kernel_size, activation="relu", dtype=self.dtype_policy, name=f"conv_{index}"
            )
            for index in range(num_layers)
        ]
        self.logit_layer = keras.layers.Conv2D(1, 1, dtype=self.dtype_policy, name="logit")

    def build(self, input_shape):
        num_clips, width = input_shape[-2], input_shape[-1]
        mask = tan2d_candidates(num_clips, self.pooling_counts)
        self._mask_weights = []
        size = num_clips
        for layer, padding in zip(self.convolutions, self.paddings):
            mask, weight = masked_conv_weights(mask, self.kernel_size, padding)
            self._mask_weights.append(weight[:, :, None])
            size = size + 2 * padding - self.kernel_size + 1
            layer.build((None, None, None, width))
            width = self.hidden_dim
        if size != num_clips:
            raise AssertionError(f"MapConv ends on a {size}×{size} map, not {num_clips}×{num_clips}")
        self.logit_layer.build((None, None, None, width))
        self.built = True

    def hidden_maps(self, fused):
        """The last hidden map [N, L, L, hidden_dim] of fused maps [N, L, L, C] (2D-TAN's ``fused_h``)."""
        x = fused
        for layer, padding, weight in zip(self.convolutions, self.paddings, self._mask_weights):
            if padding:
                x = ops.pad(x, [[0, 0], [padding, padding], [padding, padding], [0, 0]])
            x = layer(x) * ops.cast(weight, x.dtype)
        return x

    def call(self, fused):
        num_clips, width = fused.shape[-2], fused.shape[-1]
        leading_shape = ops.shape(fused)[:-3]
        x = self.hidden_maps(ops.reshape(fused, (-1, num_clips, num_clips, width)))
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
                "pooling_counts": self.pooling_counts,
            }
        )
        return config
