"""SLTA's cross-modal fusion and candidate scoring."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="clear_tf")
class CrossModalFusion(keras.layers.Layer):
    """Visual and language features of every candidate [..., d] → one alignment logit [...].

    SLTA fuses the moment's visual feature v and its attended language feature l the
    way TALL does: both are projected and L2-normalised, then the element-wise product
    v ⊙ l, the sum v + l and a fully connected layer of the concatenation [v; l] are
    concatenated and a two-layer MLP (ReLU) gives the alignment score of the
    candidate. The paper's head also regresses two boundary offsets of its sliding
    windows; SLTA here scores every cell of the moment map, whose boundaries are the
    clips', and has no offsets (see ``SLTA``).

    Args:
        hidden_dim: d of the projections and of the MLP.
        dropout: dropout before the last layer.
        **kwargs: base layer arguments.

    Example:

    >>> import numpy as np
    >>> fusion = CrossModalFusion(hidden_dim=8)
    >>> visual = np.random.rand(2, 3, 3, 8).astype("float32")
    >>> logits = fusion(visual, visual)
    >>> tuple(logits.shape)
    (2, 3, 3)
    """

    def __init__(self, hidden_dim, dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        self.hidden_dim = hidden_dim
        self.dropout = dropout
        dense = lambda units, name, activation=None: keras.layers.Dense(  # noqa: E731
            units, activation=activation, dtype=self.dtype_policy, name=name
        )
        self.visual_projection = dense(hidden_dim, "visual_projection")
        self.language_projection = dense(hidden_dim, "language_projection")
        self.concat_projection = dense(hidden_dim, "concat_projection")
        self.hidden = dense(hidden_dim, "hidden", "relu")
        self.dropout_layer = keras.layers.Dropout(dropout, dtype=self.dtype_policy)
        self.logit = dense(1, "logit")

    def build(self, visual_shape, language_shape=None):
        width = visual_shape[-1]
        language_width = width if language_shape is None else language_shape[-1]
        self.visual_projection.build((None, width))
        self.language_projection.build((None, language_width))
        self.concat_projection.build((None, 2 * self.hidden_dim))
        self.hidden.build((None, 3 * self.hidden_dim))
        self.logit.build((None, self.hidden_dim))
        self.built = True

    def call(self, visual, language, training=None):
        v = self._normalize(self.visual_projection(visual))
        l = self._normalize(self.language_projection(language))  # noqa: E741
        fused = ops.concatenate(
            [v * l, v + l, self.concat_projection(ops.concatenate([v, l], axis=-1))], axis=-1
        )
        hidden = self.dropout_layer(self.hidden(fused), training=training)
        return ops.squeeze(self.logit(hidden), axis=-1)

    @staticmethod
    def _normalize(x):
        return x / ops.sqrt(ops.maximum(ops.sum(x * x, axis=-1, keepdims=True), 1e-12))

    def compute_output_shape(self, visual_shape, language_shape=None):
        return tuple(visual_shape[:-1])

    def get_config(self):
        config = super().get_config()
        config.update({"hidden_dim": self.hidden_dim, "dropout": self.dropout})
        return config
