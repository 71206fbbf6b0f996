"""2D-TAN's "Conv" moment features: stacked 1D convolutions laid out on the sparse map."""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from clear_tf.models.tan2d.sparse_layout import check_pooling_counts, conv_schedule, tan2d_candidates


@keras.saving.register_keras_serializable(package="clear_tf")
class SparsePropConv(keras.layers.Layer):
    """Clips [B, L, C] → moment features [B, L, L, C] by stacked 1D convolutions (2D-TAN Conv).

    The "Conv" variant of 2D-TAN's 2D temporal map: instead of max pooling over clips
    i..j, each sampled diagonal is the output of one more 1D convolution over the
    previous one, so that its receptive field spans exactly the moment's clips. Stride
    level 0 starts with a kernel-1 convolution (the one-clip moments) followed by
    ``pooling_counts[0]`` kernel-2 convolutions (one clip longer each); every further
    level starts with a kernel-3, stride-2 convolution (halving the positions, two
    clips longer) followed by ``pooling_counts[s] - 1`` kernel-2 convolutions (2^s clips
    longer each). As in the original there is no activation between them. Output t of
    a diagonal of stride σ and offset o is the moment (t·σ, t·σ + o); the other cells
    are zero. The cells are those of ``clear_tf.moments.sparse_mask`` (2D-TAN's
    sampling), which the same ``pooling_counts`` give.

    Args:
        hidden_dim: channels of every convolution.
        pooling_counts: diagonals per stride level (2D-TAN's ``NUM_SCALE_LAYERS`` minus
            one on the first level); every sampled moment must fit the map.
        **kwargs: base layer arguments.

    Example:

    >>> import numpy as np
    >>> layer = SparsePropConv(hidden_dim=8, pooling_counts=[7, 4])
    >>> maps = layer(np.ones((2, 16, 8), "float32"))  # clips [B, L, C] → [B, L, L, C]
    >>> tuple(maps.shape)
    (2, 16, 16, 8)
    >>> sampled = np.abs(np.asarray(maps)).sum(axis=(0, 3)) > 0  # the cells it fills
    >>> int(sampled.sum()), bool(sampled[0, 9]), bool(sampled[1, 10])  # offset 9: even starts only
    (110, True, False)
    """

    def __init__(self, hidden_dim, pooling_counts=(15, 8, 8, 8), **kwargs):
        super().__init__(**kwargs)
        self.hidden_dim = hidden_dim
        self.pooling_counts = [int(c) for c in pooling_counts]
        self.convolutions = [
            keras.layers.Conv1D(
                hidden_dim, kernel, strides=stride, dtype=self.dtype_policy, name=f"conv_{index}"
            )
            for index, (kernel, stride, _, _) in enumerate(conv_schedule(self.pooling_counts))
        ]

    def build(self, input_shape):
        num_clips, width = input_shape[1], input_shape[2]
        if num_clips is None:
            raise ValueError("SparsePropConv needs a static number of clips L (input axis 1)")
        check_pooling_counts(self.pooling_counts, num_clips)
        # Output t of every convolution, concatenated in order, goes to one cell; the
        # extra last row (zeros) fills the cells no diagonal samples.
        lengths, length = [], num_clips
        cells = []
        for layer, (kernel, conv_stride, stride, offset) in zip(
            self.convolutions, conv_schedule(self.pooling_counts)
        ):
            length = (length - kernel) // conv_stride + 1
            layer.build((None, None, width))
            width = self.hidden_dim
            lengths.append(length)
            cells.append([(t * stride, t * stride + offset) for t in range(length)])
        gather = np.full((num_clips, num_clips), sum(lengths), dtype=np.int32)
        position = 0
        for diagonal in cells:
            for i, j in diagonal:
                if j < num_clips:
                    gather[i, j] = position
                position += 1
        expected = tan2d_candidates(num_clips, self.pooling_counts)
        if not np.array_equal(gather < sum(lengths), expected):
            raise AssertionError("SparsePropConv's cells differ from the sparse sampling")
        self._gather_index = gather
        self.built = True

    def call(self, clips):
        x = clips
        diagonals = []
        for layer in self.convolutions:
            x = layer(x)
            diagonals.append(x)
        diagonals.append(ops.zeros_like(x[:, :1]))
        return ops.take(ops.concatenate(diagonals, axis=1), self._gather_index, axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[1], input_shape[1], self.hidden_dim)

    def get_config(self):
        config = super().get_config()
        config.update({"hidden_dim": self.hidden_dim, "pooling_counts": self.pooling_counts})
        return config
