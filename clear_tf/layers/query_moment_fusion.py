"""Fine-grained fusion of Eq. 6: every query times every cell of the position map."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="clear_tf")
class QueryMomentFusion(keras.layers.Layer):
    """(q [B, K, d], J [B, L, L, d]) → F [B, K, L, L, d] with F[b, k, i, j] = q[b, k] ⊙ J[b, i, j].

    Invalid cells of J are zero, so they stay zero in F.

    Args:
        **kwargs: base layer arguments.

    Example:
    >>> QueryMomentFusion()([np.ones((2, 3, 4)), np.ones((2, 8, 8, 4))]).shape
    (2, 3, 8, 8, 4)
    """

    def call(self, inputs):
        queries, position_map = inputs
        return queries[:, :, None, None, :] * position_map[:, None, :, :, :]

    def compute_output_shape(self, input_shape):
        query_shape, map_shape = input_shape
        return tuple(query_shape[:2]) + tuple(map_shape[1:])
