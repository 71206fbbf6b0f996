"""The reconstruction vocabulary: the most frequent word pieces of the training sentences.

The reference reconstructs words among the most frequent ones of its GloVe vocabulary
(8000 for ActivityNet, 1111 for Charades-STA). Here the words are the BERT tokenizer's
word pieces, whose vocabulary (30522 for MiniLM) is mostly unused by any one dataset, so
the classifier scores only the ``size`` most frequent pieces of the training sentences
(the synthetic benchmark uses about a hundred). Only the sentences are read: no
timestamp.

The reference masks nouns, verbs, adjectives and adverbs with weight 2 and other words
with weight 1 (NLTK part-of-speech tags). Without a tagger, ``FUNCTION_WORDS`` (the
closed classes the tagger gives weight 1: determiners, pronouns, prepositions,
conjunctions, modals) and punctuation get 1, every other piece 2.
"""

from __future__ import annotations

import collections

import numpy as np

FUNCTION_WORDS = frozenset(
    """
    a an the this that these those some any each every no another all both either neither
    i me my mine you your yours he him his she her hers it its we us our ours they them their theirs
    himself herself itself themselves myself yourself ourselves someone somebody something
    who whom whose which what
    of in on at to from by with without into onto over under up down out off about above below
    after before behind between through during across along around near toward towards against
    upon within beside besides until than as like via per
    and or but nor so yet
    can could will would shall should may might must
    """.split()
)


def is_function_piece(token: str) -> bool:
    """Whether a word piece gets the low masking weight: a function word or punctuation."""
    return token.lower() in FUNCTION_WORDS or not any(character.isalnum() for character in token)


def is_special_piece(token: str) -> bool:
    """BERT's special tokens ([PAD], [UNK], [CLS], [SEP], [MASK], [unused…]) are never reconstructed."""
    return token.startswith("[") and token.endswith("]")


def most_frequent(counts: collections.Counter, size: int) -> list[int]:
    """The ``size`` most frequent ids, most frequent first, ties by id."""
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [token_id for token_id, _ in ranked[:size]]


def count_word_pieces(token_ids: np.ndarray, padding_mask: np.ndarray, counts: collections.Counter) -> None:
    """Adds the word pieces w₁ … w_l of each row ([CLS] and [SEP] excluded) to ``counts``."""
    lengths = padding_mask.sum(axis=-1)
    for row, length in zip(token_ids, lengths):
        counts.update(int(i) for i in row[1 : max(int(length) - 1, 1)])


def training_vocabulary(config, size: int) -> tuple[list[int], list[int]]:
    """(vocabulary, function_words): token ids to reconstruct and those of them with the low weight.

    Reads the sentences of ``config.data.train_splits`` and tokenizes them as the pipeline
    does (``--text_preset``, ``--max_query_tokens``).
    """
    from clear_tf import data as data_lib
    from clear_tf.data.query_tokenizer import QueryTokenizer

    tokenizer = QueryTokenizer(config.model.text_preset, config.data.max_query_tokens)
    sentences = (
        data_lib.load_split(config, config.data.train_splits)
        .map(lambda example: example["queries"]["sentence"])
        .unbatch()
        .batch(1024)
    )
    counts: collections.Counter = collections.Counter()
    for batch in sentences:
        token_ids, padding_mask = tokenizer(batch)
        count_word_pieces(token_ids.numpy(), padding_mask.numpy(), counts)
    return vocabulary_from_counts(counts, tokenizer.tokenizer, size)


def vocabulary_from_counts(counts: collections.Counter, tokenizer, size: int) -> tuple[list[int], list[int]]:
    """The vocabulary and its function words from word-piece counts (special tokens dropped)."""
    counts = collections.Counter(
        {token_id: n for token_id, n in counts.items() if not is_special_piece(tokenizer.id_to_token(token_id))}
    )
    vocabulary = most_frequent(counts, size)
    if not vocabulary:
        raise ValueError("the training sentences hold no word piece to reconstruct")
    function_words = [i for i in vocabulary if is_function_piece(tokenizer.id_to_token(i))]
    return vocabulary, function_words
