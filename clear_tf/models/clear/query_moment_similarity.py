"""Coarse alignment scores: dot products between queries and moment representations."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="clear_tf")
class QueryMomentSimilarity(keras.layers.Layer):
    """(q [B, K, d], moments [B, *cells, d]) → qᵀc [B, K, *cells], optionally divided by d.

    With the anchors A [B, R, d] and no scaling this is Aᵀq, trained towards d·IoU by
    Γ₁ (Eq. 5); with the whole map J [B, L, L, d] and ``scale_by_dim=True`` it is the
    coarse score cᵀq / d ≈ IoU used by the tree search and the CLEAR-C ablation.

    Args:
        scale_by_dim: divide the dot products by d.
        **kwargs: base layer arguments.

    Example:

    >>> import numpy as np
    >>> queries = np.array([[[1.0, 2.0]]], "float32")  # [B=1, K=1, d=2]
    >>> anchors = np.array([[[3.0, 1.0], [0.0, 1.0]]], "float32")  # [B, R=2, d]
    >>> keras.ops.convert_to_numpy(QueryMomentSimilarity()([queries, anchors]))
    array([[[5., 2.]]], dtype=float32)
    >>> keras.ops.convert_to_numpy(QueryMomentSimilarity(scale_by_dim=True)([queries, anchors]))
    array([[[2.5, 1. ]]], dtype=float32)
    """

    def __init__(self, scale_by_dim=False, **kwargs):
        super().__init__(**kwargs)
        self.scale_by_dim = scale_by_dim

    def call(self, inputs):
        queries, moment_features = inputs
        hidden_dim = queries.shape[-1]
        batch = ops.shape(moment_features)[0]
        cell_shape = tuple(moment_features.shape[1:-1])
        flat_moments = ops.reshape(moment_features, (batch, -1, hidden_dim))
        scores = ops.einsum("bkd,bnd->bkn", queries, flat_moments)
        if self.scale_by_dim:
            scores = scores / hidden_dim
        return ops.reshape(scores, (batch, ops.shape(queries)[1]) + cell_shape)

    def compute_output_shape(self, input_shape):
        query_shape, moment_shape = input_shape
        return tuple(query_shape[:2]) + tuple(moment_shape[1:-1])

    def get_config(self):
        config = super().get_config()
        config.update({"scale_by_dim": self.scale_by_dim})
        return config
