"""SLTA's query encoder: frozen word vectors and a bidirectional LSTM over the words."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="clear_tf")
class WordEncoder(keras.layers.Layer):
    """Token ids [..., S] → word states [..., S, d] and the sentence vector [..., d].

    SLTA encodes the query word by word (GloVe vectors into an LSTM) so that the
    language-temporal attention can weight the words. Here the word vectors are the
    input embeddings of the ``--text_preset`` BERT (context-free, like GloVe; copied into
    ``embedding`` by ``SLTA.from_run_config`` and frozen unless ``trainable_embeddings``),
    layer-normalised, and a bidirectional LSTM of d / 2 units per direction gives the states h_1 … h_S
    (padding masked). The sentence vector is the mean of the states over the real
    tokens. Any leading shape ([M] or [B, K]) is flattened for the LSTM and restored.

    Args:
        vocabulary_size: rows of the word-vector table.
        word_dim: E, width of the word vectors.
        hidden_dim: d (even).
        trainable_embeddings: fine-tune the word vectors.
        **kwargs: base layer arguments.

    Example:

    >>> import numpy as np
    >>> encoder = WordEncoder(vocabulary_size=50, word_dim=6, hidden_dim=8)
    >>> ids = np.array([[2, 7, 8, 3], [2, 9, 3, 0]], "int32")  # [M=2, S=4]
    >>> words, sentence = encoder(ids, ids != 0)
    >>> tuple(words.shape), tuple(sentence.shape)  # [M, S, d]; [M, d]
    ((2, 4, 8), (2, 8))
    """

    def __init__(self, vocabulary_size, word_dim, hidden_dim, trainable_embeddings=False, **kwargs):
        super().__init__(**kwargs)
        if hidden_dim % 2:
            raise ValueError(f"WordEncoder hidden_dim must be even (two LSTM directions), got {hidden_dim}")
        self.vocabulary_size = vocabulary_size
        self.word_dim = word_dim
        self.hidden_dim = hidden_dim
        self.trainable_embeddings = trainable_embeddings
        self.embedding = keras.layers.Embedding(
            vocabulary_size, word_dim, trainable=trainable_embeddings, dtype=self.dtype_policy, name="embedding"
        )
        # BERT's input embeddings are small (per-dim std ~0.06): a layer normalisation
        # brings them to unit scale so the LSTM's gates respond from the first steps.
        self.normalize = keras.layers.LayerNormalization(dtype=self.dtype_policy, name="normalize")
        self.lstm = keras.layers.Bidirectional(
            keras.layers.LSTM(hidden_dim // 2, return_sequences=True, dtype=self.dtype_policy),
            dtype=self.dtype_policy,
            name="lstm",
        )

    def build(self, token_ids_shape, padding_mask_shape=None):
        self.embedding.build((None, None))
        self.normalize.build((None, None, self.word_dim))
        self.lstm.build((None, None, self.word_dim))
        self.built = True

    def call(self, token_ids, padding_mask):
        token_ids = ops.cast(token_ids, "int32")
        lead = ops.shape(token_ids)[:-1]
        length = ops.shape(token_ids)[-1]
        flat_ids = ops.reshape(token_ids, (-1, length))
        flat_mask = ops.cast(ops.reshape(padding_mask, (-1, length)), "bool")
        states = self.lstm(self.normalize(self.embedding(flat_ids)), mask=flat_mask)
        weights = ops.cast(flat_mask, states.dtype)[..., None]
        sentence = ops.sum(states * weights, axis=1) / ops.maximum(ops.sum(weights, axis=1), 1.0)
        states = states * weights
        words = ops.reshape(states, (*lead, length, self.hidden_dim))
        return words, ops.reshape(sentence, (*lead, self.hidden_dim))

    def compute_output_shape(self, token_ids_shape, padding_mask_shape=None):
        return (*token_ids_shape, self.hidden_dim), (*token_ids_shape[:-1], self.hidden_dim)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "vocabulary_size": self.vocabulary_size,
                "word_dim": self.word_dim,
                "hidden_dim": self.hidden_dim,
                "trainable_embeddings": self.trainable_embeddings,
            }
        )
        return config
