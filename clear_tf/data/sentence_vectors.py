"""Frozen BERT sentence vectors, computed once per query inside the input pipeline."""

from __future__ import annotations

import tensorflow as tf

from clear_tf import text_presets
from clear_tf.layers.sentence_encoder import pool_sentence


class SentenceVectors:
    """Turns tokenized queries into the sentence vectors of a frozen text encoder.

    The paper feeds pre-extracted BERT features to the query projection (Eq. 3). With
    the default frozen encoder, the pipeline computes each query's vector once (per
    video, before ``cache()``), and training runs ``CLEAR.sentence_vector_model()``,
    which skips BERT in every step. The backbone is loaded from the same preset as the
    model's, and pooled with the same ``pool_sentence``, so the vectors equal what the
    model's own ``query_encoder`` computes before its projection.

    Args:
        preset: the ``--text_preset`` value.
        pooling: "mean" or "cls" (``--text_pooling``).

    Example:

    The default preset's real all-MiniLM-L6-v2 (E = 384), so this one loads BERT:

    >>> from clear_tf.data.query_tokenizer import QueryTokenizer
    >>> queries = tf.constant(["a person cuts bread", "the person washes a plate"])
    >>> token_ids, padding_mask = QueryTokenizer("default", sequence_length=12)(queries)
    >>> vectors = SentenceVectors("default", "mean")
    >>> tuple(vectors(token_ids, padding_mask).shape)  # [Q, E]
    (2, 384)
    """

    def __init__(self, preset: str, pooling: str):
        self.preset = preset
        self.pooling = pooling
        self.backbone = text_presets.load_backbone(preset)
        self.backbone.trainable = False

    @property
    def dim(self) -> int:
        return self.backbone.hidden_dim

    def __call__(self, token_ids: tf.Tensor, padding_mask: tf.Tensor) -> tf.Tensor:
        """int32 [Q, S] ids and bool [Q, S] mask → float32 [Q, E]."""
        token_ids = tf.convert_to_tensor(token_ids, tf.int32)
        mask = tf.cast(padding_mask, tf.int32)
        tokens = self.backbone(
            {"token_ids": token_ids, "segment_ids": tf.zeros_like(token_ids), "padding_mask": mask},
            training=False,
        )["sequence_output"]
        return tf.cast(pool_sentence(tokens, mask, self.pooling), tf.float32)
