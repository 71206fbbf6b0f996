"""A tiny CNM on a made-up token vocabulary, and inputs for it (a module name no other test folder uses).

Token ids: 1 = [CLS], 2 = [SEP], 0 = padding, 3 … 39 words; the reconstruction
vocabulary is 3 … 30 (31 … 39 are read but never reconstructed), 3 and 4 are function words.
"""

from __future__ import annotations

import keras
import numpy as np

FEATURE_DIM, NUM_PRE_CLIPS, NUM_CLIPS, HIDDEN_DIM = 6, 16, 8, 8
TOKEN_VOCABULARY, WORD_DIM = 40, 5
VOCABULARY = list(range(3, 31))
FUNCTION_WORDS = [3, 4]


def tiny_cnm(seed: int = 0, **overrides):
    from clear_tf.models.cnm import CNM

    keras.utils.set_random_seed(seed)
    options = dict(
        feature_dim=FEATURE_DIM,
        token_vocabulary_size=TOKEN_VOCABULARY,
        word_dim=WORD_DIM,
        vocabulary=VOCABULARY,
        function_words=FUNCTION_WORDS,
        num_pre_clips=NUM_PRE_CLIPS,
        num_clips=NUM_CLIPS,
        hidden_dim=HIDDEN_DIM,
        num_heads=2,
        num_layers=1,
        word_vectors=np.random.default_rng(seed).normal(size=(TOKEN_VOCABULARY, WORD_DIM)).astype("float32"),
    )
    options.update(overrides)
    return CNM(**options)


def tokens(lengths, seq_len: int = 8, seed: int = 0):
    """token_ids, padding_mask int32 [len(lengths), S]: [CLS], n random words, [SEP], padding."""
    rng = np.random.default_rng(seed)
    ids = np.zeros((len(lengths), seq_len), np.int32)
    for row, n in enumerate(lengths):
        sentence = [1, *rng.integers(3, TOKEN_VOCABULARY, size=n), 2]
        ids[row, : len(sentence)] = sentence
    return ids, (ids != 0).astype(np.int32)


def batch(num_videos: int = 2, slots: int = 3, seq_len: int = 8, seed: int = 0):
    """A training batch x: features [B, N, D], token_ids / padding_mask [B, K, S]."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, seq_len - 1, size=num_videos * slots)
    ids, mask = tokens(lengths, seq_len, seed)
    return {
        "features": rng.normal(size=(num_videos, NUM_PRE_CLIPS, FEATURE_DIM)).astype("float32"),
        "token_ids": ids.reshape(num_videos, slots, seq_len),
        "padding_mask": mask.reshape(num_videos, slots, seq_len),
    }
