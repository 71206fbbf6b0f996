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

    >>> import numpy as np
    >>> queries = np.array([[[1.0, 2.0]]], "float32")  # [B=1, K=1, d=2]
    >>> position_map = np.full((1, 2, 2, 2), 3.0, "float32")  # [B, L=2, L, d]
    >>> fused = QueryMomentFusion()([queries, position_map])
    >>> tuple(fused.shape)  # [B, K, L, L, d]
    (1, 1, 2, 2, 2)
    >>> keras.ops.convert_to_numpy(fused)[0, 0, 0, 1]  # q ⊙ J[0, 1]
    array([3., 6.], dtype=float32)
    """

    def call(self, inputs):
        queries, position_map = inputs
        return queries[:, :, None, None, :] * position_map[:, None, :, :, :]

    def compute_output_shape(self, input_shape):
        query_shape, map_shape = input_shape
        return tuple(query_shape[:2]) + tuple(map_shape[1:])
