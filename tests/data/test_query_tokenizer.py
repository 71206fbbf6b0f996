"""Query tokenization: [CLS] tokens [SEP], 0-padding to S, padding mask on real tokens."""

import numpy as np
import pytest
import tensorflow as tf

from clear_tf.data.query_tokenizer import QueryTokenizer
from clear_tf.text_presets import load_tokenizer


@pytest.fixture(scope="module")
def vocabulary():
    tokenizer = load_tokenizer("default")
    return tokenizer.cls_token_id, tokenizer.sep_token_id, tokenizer.pad_token_id


def test_format_and_mask(vocabulary):
    cls_id, sep_id, pad_id = vocabulary
    token_ids, padding_mask = QueryTokenizer("default", sequence_length=8)(
        tf.constant(["a person cuts bread", "knife"])
    )
    token_ids, padding_mask = token_ids.numpy(), padding_mask.numpy()
    assert token_ids.dtype == np.int32 and padding_mask.dtype == bool
    assert token_ids.shape == padding_mask.shape == (2, 8)
    # keras-hub returns Python lists of word-piece ids when called eagerly.
    wordpieces = load_tokenizer("default")(tf.constant(["a person cuts bread", "knife"]))
    for row, pieces in enumerate(wordpieces):
        num_real = len(pieces) + 2
        assert token_ids[row, 0] == cls_id
        assert token_ids[row, num_real - 1] == sep_id
        np.testing.assert_array_equal(token_ids[row, 1 : num_real - 1], pieces)
        np.testing.assert_array_equal(token_ids[row, num_real:], pad_id)
        np.testing.assert_array_equal(padding_mask[row], np.arange(8) < num_real)


def test_long_query_is_truncated_keeping_sep(vocabulary):
    cls_id, sep_id, _ = vocabulary
    token_ids, padding_mask = QueryTokenizer("default", sequence_length=5)(
        tf.constant(["the person takes out a cutting board and a knife"])
    )
    assert token_ids.numpy()[0, 0] == cls_id and token_ids.numpy()[0, -1] == sep_id
    assert padding_mask.numpy().all()


def test_tf_data_matches_eager():
    tokenizer = QueryTokenizer("default", sequence_length=6)
    sentences = tf.constant(["person", "washes the knife"])
    token_ids, padding_mask = next(iter(tf.data.Dataset.from_tensors(sentences).map(tokenizer)))
    eager_ids, eager_mask = tokenizer(sentences)
    assert token_ids.shape == (2, 6)
    np.testing.assert_array_equal(token_ids.numpy(), eager_ids.numpy())
    np.testing.assert_array_equal(padding_mask.numpy(), eager_mask.numpy())
    assert padding_mask.numpy()[0].sum() == 3  # [CLS] person [SEP]


def test_too_short_sequence_length():
    with pytest.raises(ValueError, match="max_query_tokens"):
        QueryTokenizer("default", sequence_length=1)
