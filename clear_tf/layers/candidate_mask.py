"""Sets the cells outside the candidate set of an [L, L] map to a constant."""

from __future__ import annotations

import keras
from keras import ops

from clear_tf.layers.candidate_cells import candidate_cells


@keras.saving.register_keras_serializable(package="clear_tf")
class CandidateMask(keras.layers.Layer):
    """Keeps the candidate cells of [..., L, L] (or [..., L, L, C]) maps, fills the rest.

    Used after the moment MLP (a Dense layer maps the zeros of invalid cells to
    ``relu(bias)``, so they are zeroed again) and on the fine logits (invalid cells
    get -1e4, so their sigmoid is 0 and they never win a ranking).

    Args:
        fill_value: value written to the cells that are not candidates.
        channels_last: the input has a feature axis after the two map axes.
        sparse: candidate set of ``candidate_cells``: the 2D-TAN sparse sampling.
        pooling_counts: diagonals per stride level of the sparse sampling.
        num_anchors: R; anchor cells are candidates in sparse mode too.
        **kwargs: base layer arguments.

    Example:

    >>> import numpy as np
    >>> masked = CandidateMask(fill_value=-1e4, channels_last=False)(np.zeros((1, 3, 3), "float32"))
    >>> keras.ops.convert_to_numpy(masked)[0]  # i > j is not a moment
    array([[     0.,      0.,      0.],
           [-10000.,      0.,      0.],
           [-10000., -10000.,      0.]], dtype=float32)
    """

    def __init__(
        self,
        fill_value=0.0,
        channels_last=True,
        sparse=False,
        pooling_counts=(15, 8, 8, 8),
        num_anchors=0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.fill_value = fill_value
        self.channels_last = channels_last
        self.sparse = sparse
        self.pooling_counts = [int(c) for c in pooling_counts]
        self.num_anchors = num_anchors

    def build(self, input_shape):
        num_clips = input_shape[-2] if self.channels_last else input_shape[-1]
        mask = candidate_cells(num_clips, self.sparse, self.pooling_counts, self.num_anchors)
        self._mask = mask[:, :, None] if self.channels_last else mask
        self.built = True

    def call(self, maps):
        mask = ops.convert_to_tensor(self._mask)
        return ops.where(mask, maps, ops.cast(self.fill_value, maps.dtype))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "fill_value": self.fill_value,
                "channels_last": self.channels_last,
                "sparse": self.sparse,
                "pooling_counts": self.pooling_counts,
                "num_anchors": self.num_anchors,
            }
        )
        return config
