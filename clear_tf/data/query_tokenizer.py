"""Turning query sentences into fixed-length BERT inputs inside ``tf.data``."""

from __future__ import annotations

import tensorflow as tf

from clear_tf import text_presets


class QueryTokenizer:
    """Tokenizes sentences to ``[CLS] tokens [SEP]`` + 0-padding of a fixed length.

    Uses the keras-hub ``BertTokenizer`` of the text encoder (so ids match its
    vocabulary) and ``keras_hub.layers.StartEndPacker``, which truncates long queries
    while keeping ``[SEP]`` as the last real token. Works eagerly and inside
    ``tf.data`` maps (TF Text ops).

    Args:
        preset: the ``--text_preset`` value (see ``clear_tf.text_presets``).
        sequence_length: S, tokens per query including ``[CLS]`` and ``[SEP]`` (>= 2).

    Example:

    >>> tokenizer = QueryTokenizer("default", sequence_length=8)
    >>> token_ids, padding_mask = tokenizer(tf.constant(["a person cuts bread"]))
    >>> token_ids.numpy()  # [CLS] a person cuts bread [SEP] + padding
    array([[ 101, 1037, 2711, 7659, 7852,  102,    0,    0]], dtype=int32)
    >>> padding_mask.numpy()
    array([[ True,  True,  True,  True,  True,  True, False, False]])
    """

    def __init__(self, preset: str, sequence_length: int):
        import keras_hub

        if sequence_length < 2:
            raise ValueError(
                f"max_query_tokens must leave room for [CLS] and [SEP], got {sequence_length}"
            )
        self.preset = preset
        self.sequence_length = sequence_length
        self.tokenizer = text_presets.load_tokenizer(preset)
        self.packer = keras_hub.layers.StartEndPacker(
            sequence_length=sequence_length,
            start_value=self.tokenizer.cls_token_id,
            end_value=self.tokenizer.sep_token_id,
            pad_value=self.tokenizer.pad_token_id,
            return_padding_mask=True,
        )

    def __call__(self, sentences: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        """Tokenizes string [Q] → (``token_ids`` int32 [Q, S], ``padding_mask`` bool [Q, S])."""
        token_ids, padding_mask = self.packer(self.tokenizer(sentences))
        return tf.cast(token_ids, tf.int32), tf.cast(padding_mask, tf.bool)

    def token_counts(self, sentences: tf.Tensor) -> tf.Tensor:
        """Tokens each sentence needs, ``[CLS]`` and ``[SEP]`` included, before any cut: int32 [Q].

        A sentence whose count exceeds ``sequence_length`` loses its last word pieces in
        ``__call__`` (``is_cut``).
        """
        pieces = self.tokenizer(tf.reshape(sentences, [-1]))
        if isinstance(pieces, tf.RaggedTensor):
            lengths = pieces.row_lengths()
        else:  # keras-hub hands eager callers Python lists of ids
            lengths = [len(ids) for ids in pieces]
        return tf.cast(lengths, tf.int32) + 2

    def is_cut(self, sentences: tf.Tensor) -> tf.Tensor:
        """bool [Q]: the sentences ``__call__`` shortens to ``sequence_length`` tokens."""
        return self.token_counts(sentences) > self.sequence_length
