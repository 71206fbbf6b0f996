"""The word side of CNM: frozen word-piece vectors, positions, masking and the words to reconstruct.

Words are the BERT tokenizer's word pieces (the ids the data pipeline already gives,
``[CLS] w₁ … w_l [SEP]`` then padding). Their features are the frozen input embeddings
of the ``--text_preset`` BERT (context-free, the reference's GloVe vectors), with the
``[CLS]`` slot replaced by a learned start vector, as the reference replaces its first
slot. The contextual BERT outputs would not do: each carries its neighbours, so a masked
word (or the next word, which the causal decoder predicts) could be read off the text
alone, and the video would have nothing to add.

Reconstruction (semantic completion) predicts, from position i of the masked query, the
word piece at i + 1 among ``vocabulary`` (the most frequent word pieces of the training
sentences; the reference keeps the most frequent words). The input is ``[CLS] w₁ …
w_{l-1}``, the targets ``w₁ … w_l``; a piece outside the vocabulary is read but never
masked nor scored (the reference drops such words from the sentence).
"""

from __future__ import annotations

import math

import keras
import numpy as np
from keras import ops

from clear_tf.models.cnm.attention import PACKAGE

CONTENT_WEIGHT = 2.0
FUNCTION_WEIGHT = 1.0


def real_word_mask(padding_mask):
    """bool [B, S]: the word pieces w₁ … w_l, i.e. the real tokens but [CLS] (first) and [SEP] (last)."""
    padding_mask = ops.cast(padding_mask, "int32")
    length = ops.sum(padding_mask, axis=-1, keepdims=True)
    positions = ops.arange(ops.shape(padding_mask)[-1])[None, :]
    return ops.logical_and(positions >= 1, positions <= length - 2)


def vocabulary_tables(vocabulary, function_words, token_vocabulary_size: int):
    """NumPy lookup tables over the tokenizer's ids.

    Returns:
        ``classes`` int32 [token_vocabulary_size]: the reconstruction class of every
        word piece (its rank in ``vocabulary``), -1 outside the vocabulary;
        ``log_weights`` float32 [token_vocabulary_size]: the masking log-weight, 2 for
        content words and 1 for ``function_words`` (the reference's POS rule: nouns,
        verbs, adjectives and adverbs 2, other words 1; weights are softmaxed).
    """
    classes = np.full([token_vocabulary_size], -1, np.int32)
    classes[np.asarray(vocabulary, np.int64)] = np.arange(len(vocabulary), dtype=np.int32)
    log_weights = np.full([token_vocabulary_size], CONTENT_WEIGHT, np.float32)
    if len(function_words):
        log_weights[np.asarray(function_words, np.int64)] = FUNCTION_WEIGHT
    return classes, log_weights


def sinusoidal_positions(length, dim: int):
    """The reference's (fairseq's) sinusoidal embeddings [length, dim]; row 0 (the padding index) is 0."""
    half = dim // 2
    scale = math.log(10000.0) / max(half - 1, 1)
    frequencies = ops.exp(ops.arange(half, dtype="float32") * -scale)
    angles = ops.cast(ops.arange(length), "float32")[:, None] * frequencies[None, :]
    table = ops.concatenate([ops.sin(angles), ops.cos(angles)], axis=-1)
    if dim % 2:
        table = ops.concatenate([table, ops.zeros((length, 1))], axis=-1)
    first = ops.cast(ops.arange(length) > 0, "float32")[:, None]
    return table * first


@keras.saving.register_keras_serializable(package=PACKAGE)
class SinusoidalPositions(keras.layers.Layer):
    """x [B, T, d] + the sinusoidal embedding of positions 0 … T-1 (``sinusoidal_positions``)."""

    def call(self, x):
        return x + ops.cast(sinusoidal_positions(ops.shape(x)[1], x.shape[-1]), x.dtype)[None]


@keras.saving.register_keras_serializable(package=PACKAGE)
class WordEmbedding(keras.layers.Layer):
    """Token ids [B, S] → word vectors [B, S, E]: the BERT input embedding table, [CLS] → a start vector.

    Args:
        token_vocabulary_size: the tokenizer's vocabulary size (rows of the table).
        word_dim: E, the width of BERT's embedding table.
        table_trainable: fine-tune the table (``--text_trainable``; frozen by default).
        **kwargs: base layer arguments.
    """

    def __init__(self, token_vocabulary_size, word_dim, table_trainable=False, **kwargs):
        super().__init__(**kwargs)
        self.token_vocabulary_size = int(token_vocabulary_size)
        self.word_dim = int(word_dim)
        self.table_trainable = bool(table_trainable)

    def build(self, input_shape=None):
        self.table = self.add_weight(
            shape=(self.token_vocabulary_size, self.word_dim),
            initializer="zeros",
            trainable=self.table_trainable,
            name="table",
        )
        self.start_vector = self.add_weight(shape=(self.word_dim,), initializer="zeros", name="start_vector")
        self.built = True

    def call(self, token_ids):
        vectors = ops.take(self.table, ops.cast(token_ids, "int32"), axis=0)
        if not self.table_trainable:
            vectors = ops.stop_gradient(vectors)
        first = ops.cast(ops.arange(ops.shape(vectors)[1]) == 0, vectors.dtype)[None, :, None]
        return vectors * (1.0 - first) + first * ops.cast(self.start_vector, vectors.dtype)


    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "token_vocabulary_size": self.token_vocabulary_size,
                "word_dim": self.word_dim,
                "table_trainable": self.table_trainable,
            }
        )
        return config


@keras.saving.register_keras_serializable(package=PACKAGE)
class MaskVector(keras.layers.Layer):
    """The learned mask vector [E] (the reference's ``mask_vec``) as [B, 1, E], for words [B, S, E]."""

    def __init__(self, word_dim, **kwargs):
        super().__init__(**kwargs)
        self.word_dim = int(word_dim)

    def build(self, input_shape=None):
        self.vector = self.add_weight(shape=(self.word_dim,), initializer="zeros", name="vector")
        self.built = True

    def call(self, words):
        return ops.broadcast_to(ops.cast(self.vector, words.dtype)[None, None, :], (ops.shape(words)[0], 1, self.word_dim))


    def get_config(self):
        config = super().get_config()
        config["word_dim"] = self.word_dim
        return config


class _VocabularyLayer(keras.layers.Layer):
    """A layer holding the reconstruction vocabulary's lookup tables (``vocabulary_tables``)."""

    def __init__(self, vocabulary, function_words, token_vocabulary_size, **kwargs):
        super().__init__(**kwargs)
        self.vocabulary = [int(i) for i in vocabulary]
        self.function_words = [int(i) for i in function_words]
        self.token_vocabulary_size = int(token_vocabulary_size)
        self._classes, self._log_weights = vocabulary_tables(
            self.vocabulary, self.function_words, self.token_vocabulary_size
        )

    def classes(self, token_ids):
        """int32 [B, S]: the reconstruction class of every token, -1 outside the vocabulary."""
        return ops.take(ops.convert_to_tensor(self._classes), ops.cast(token_ids, "int32"), axis=0)

    def log_weights(self, token_ids):
        return ops.take(ops.convert_to_tensor(self._log_weights), ops.cast(token_ids, "int32"), axis=0)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "vocabulary": list(self.vocabulary),
                "function_words": list(self.function_words),
                "token_vocabulary_size": self.token_vocabulary_size,
            }
        )
        return config


def masked_word_count(num_words, words_per_mask: int):
    """max(⌊n / words_per_mask⌋, 1) words to mask, 0 when there is none (the reference: max(l // 3, 1))."""
    num_words = ops.cast(num_words, "int32")
    return ops.where(num_words > 0, ops.maximum(num_words // words_per_mask, 1), 0)


def choose_masked(keys, maskable, counts):
    """bool [B, S]: in each row, the ``counts`` maskable positions with the largest keys."""
    keys = ops.where(maskable, keys, ops.cast(-np.inf, keys.dtype))
    ranked = ops.flip(ops.sort(keys, axis=-1), axis=-1)  # descending
    kth = ops.take_along_axis(ranked, ops.maximum(counts - 1, 0)[:, None], axis=-1)
    return ops.logical_and(ops.logical_and(maskable, keys >= kth), (counts > 0)[:, None])


@keras.saving.register_keras_serializable(package=PACKAGE)
class WordMasking(_VocabularyLayer):
    """Masks max(⌊n/3⌋, 1) of the n maskable words of each query (semantic completion's input).

    Inputs ``[words [B, S, d], mask_token [B, 1, d], token_ids [B, S], padding_mask [B, S]]``;
    returns the words with the chosen positions replaced by the projected mask vector, and
    those positions (float32 [B, S], 1 where masked). The
    maskable words are the real word pieces inside the vocabulary. In training they are
    drawn without replacement with probabilities ∝ exp(log-weight) (content words 2,
    function words 1, as the reference) by the Gumbel top-k trick; outside training the
    choice is deterministic (highest weight, earliest first).

    Args:
        vocabulary, function_words, token_vocabulary_size: see ``vocabulary_tables``.
        words_per_mask: one word in this many is masked.
        seed: seed of the draws (None: from Keras's global seed).
        **kwargs: base layer arguments.
    """

    def __init__(self, vocabulary, function_words, token_vocabulary_size, words_per_mask=3, seed=None, **kwargs):
        super().__init__(vocabulary, function_words, token_vocabulary_size, **kwargs)
        self.words_per_mask = int(words_per_mask)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def masked_positions(self, token_ids, padding_mask, training=None):
        """bool [B, S]: the positions to mask."""
        maskable = ops.logical_and(real_word_mask(padding_mask), self.classes(token_ids) >= 0)
        counts = masked_word_count(ops.sum(ops.cast(maskable, "int32"), axis=-1), self.words_per_mask)
        keys = self.log_weights(token_ids)
        if training:
            uniform = keras.random.uniform(ops.shape(keys), minval=1e-9, maxval=1.0, seed=self.seed_generator)
            keys = keys - ops.log(-ops.log(uniform))  # + Gumbel noise
        else:
            keys = keys - 1e-3 * ops.cast(ops.arange(ops.shape(keys)[-1]), keys.dtype)[None, :]
        return choose_masked(keys, maskable, counts)

    def call(self, inputs, training=None):
        words, mask_token, token_ids, padding_mask = inputs
        masked = self.masked_positions(token_ids, padding_mask, training)
        return ops.where(masked[..., None], ops.cast(mask_token, words.dtype), words), ops.cast(masked, "float32")


    def get_config(self):
        config = super().get_config()
        config.update({"words_per_mask": self.words_per_mask, "seed": self.seed})
        return config


@keras.saving.register_keras_serializable(package=PACKAGE)
class MaskedTargets(keras.layers.Layer):
    """``[target_mask, masked]`` → the target mask restricted to the masked words, [B, S-1].

    Position i predicts token i + 1, so it is scored when token i + 1 was masked
    (``--reconstruct=masked``; the reference scores every word).
    """

    def call(self, inputs):
        target_mask, masked = inputs
        return target_mask * masked[:, 1:]


@keras.saving.register_keras_serializable(package=PACKAGE)
class ReconstructionTargets(_VocabularyLayer):
    """``[token_ids, padding_mask]`` [B, S] → what position i of the decoder predicts, [B, S-1] each:

    ``targets`` int32 (the class of token i + 1; 0 where not scored), ``target_mask``
    float32 (1 where token i + 1 is a word inside the vocabulary) and ``input_mask``
    bool (position i is read: token i + 1 is a word, so the input is [CLS] w₁ … w_{l-1}).
    """

    def call(self, inputs):
        token_ids, padding_mask = inputs
        next_tokens = token_ids[:, 1:]
        next_is_word = real_word_mask(padding_mask)[:, 1:]
        classes = self.classes(next_tokens)
        scored = ops.logical_and(next_is_word, classes >= 0)
        return ops.where(scored, classes, 0), ops.cast(scored, "float32"), next_is_word

