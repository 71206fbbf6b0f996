"""CNM's layers against NumPy and hand-computed values; config round trips."""

import collections

import keras
import numpy as np
import pytest
import tensorflow as tf

from clear_tf.models.cnm.attention import GaussianAttention, attention_weights
from clear_tf.models.cnm.decoder import DecoderLayer, TransformerDecoder
from clear_tf.models.cnm.gaussian import (
    GaussianHead,
    GaussianMask,
    gaussian_segment,
    gaussian_weights,
    proposal_indices,
    segment_score_map,
)
from clear_tf.models.cnm.losses import SlotTriples
from clear_tf.models.cnm.slots import DropLast, FlattenSlots, ProposalBatch, ProposalFrames, RepeatForSlots
from clear_tf.models.cnm.vocabulary import count_word_pieces, most_frequent, vocabulary_from_counts
from clear_tf.models.cnm.words import (
    ReconstructionTargets,
    WordEmbedding,
    WordMasking,
    real_word_mask,
    sinusoidal_positions,
)


def _softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _round_trip(layer, *args, **kwargs):
    """A copy of ``layer`` from its config with its weights; both outputs on the same inputs."""
    original = layer(*args, **kwargs)
    copy = type(layer).from_config(layer.get_config())
    copy(*args, **kwargs)
    copy.set_weights(layer.get_weights())
    return original, copy(*args, **kwargs)


# === Attention ===


def test_attention_weights_match_numpy_with_mask_causality_and_gaussian():
    rng = np.random.default_rng(0)
    scores = rng.normal(size=(2, 2, 4, 4)).astype("float32")
    key_mask = np.array([[1, 1, 1, 0], [1, 1, 1, 1]], bool)
    key_weights = rng.uniform(size=(2, 4)).astype("float32")
    got = attention_weights(scores, key_mask, causal=True, key_weights=key_weights).numpy()

    visible = key_mask[:, None, None, :] & np.tril(np.ones((4, 4), bool))[None, None]
    expected = _softmax(np.where(visible, scores, -1e9))
    expected = expected * (key_weights[:, None, None, :] + 1e-10)
    expected /= expected.sum(-1, keepdims=True)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-7)
    # Hidden keys get no weight; a Gaussian that is 0 off one key leaves only that key.
    assert np.all(got[0, :, :, 3] < 1e-6) and np.all(got[:, :, 0, 1:] < 1e-6)
    one_hot = np.zeros((2, 4), "float32")
    one_hot[:, 2] = 1.0
    focused = attention_weights(scores, key_weights=one_hot).numpy()
    np.testing.assert_allclose(focused[..., 2], 1.0, atol=1e-6)
    # Weights of 1 (how the hard negative is batched with the others) change nothing.
    np.testing.assert_allclose(
        attention_weights(scores, key_mask, True, np.ones((2, 4), "float32")).numpy(),
        attention_weights(scores, key_mask, True).numpy(),
        rtol=1e-6,
        atol=1e-7,
    )


def test_gaussian_attention_matches_numpy_and_round_trips():
    rng = np.random.default_rng(1)
    layer = GaussianAttention(8, 2)
    query = rng.normal(size=(2, 3, 8)).astype("float32")
    source = rng.normal(size=(2, 5, 8)).astype("float32")
    key_weights = rng.uniform(size=(2, 5)).astype("float32")
    got, copied = _round_trip(layer, query, source, key_weights=key_weights)
    np.testing.assert_array_equal(got.numpy(), copied.numpy())

    def dense(sub, x):
        kernel, bias = sub.get_weights()
        return x @ kernel + bias

    heads = lambda x: x.reshape(2, -1, 2, 4).transpose(0, 2, 1, 3)  # noqa: E731
    q = heads(dense(layer.query_projection, query)) / 2.0  # 1/√(d/H) = 1/2
    k, v = heads(dense(layer.key_projection, source)), heads(dense(layer.value_projection, source))
    weights = _softmax(q @ k.transpose(0, 1, 3, 2)) * (key_weights[:, None, None, :] + 1e-10)
    weights /= weights.sum(-1, keepdims=True)
    out = (weights @ v).transpose(0, 2, 1, 3).reshape(2, 3, 8)
    np.testing.assert_allclose(got.numpy(), dense(layer.output_projection, out), rtol=1e-4, atol=1e-5)


# === Decoders ===


def test_decoder_layer_round_trips_and_is_causal():
    rng = np.random.default_rng(2)
    layer = DecoderLayer(8, 2, dropout=0.1)
    x = rng.normal(size=(2, 5, 8)).astype("float32")
    source = rng.normal(size=(2, 3, 8)).astype("float32")
    got, copied = _round_trip(layer, x, source=source)
    np.testing.assert_array_equal(got.numpy(), copied.numpy())
    # Position t reads positions <= t only: changing the last one leaves the others as they were.
    changed = x.copy()
    changed[:, -1] += 5.0
    again = layer(changed, source=source).numpy()
    np.testing.assert_allclose(again[:, :-1], got.numpy()[:, :-1], rtol=1e-5, atol=1e-6)
    assert not np.allclose(again[:, -1], got.numpy()[:, -1])
    # Dropout acts in training only.
    np.testing.assert_array_equal(layer(x, source=source, training=False).numpy(), got.numpy())
    assert not np.allclose(layer(x, source=source, training=True).numpy(), got.numpy())


def test_decoder_stack_round_trips_with_and_without_source_and_weights():
    rng = np.random.default_rng(3)
    decoder = TransformerDecoder(2, 8, 2)
    x = rng.normal(size=(2, 4, 8)).astype("float32")
    weights = rng.uniform(size=(2, 4)).astype("float32")
    mask = np.array([[1, 1, 1, 0], [1, 1, 1, 1]], "int32")
    alone, alone_copy = _round_trip(decoder, x, x_mask=mask, self_weights=weights)
    np.testing.assert_array_equal(alone.numpy(), alone_copy.numpy())
    with_source = decoder(x, source=x[:, :3], source_weights=weights[:, :3])
    assert with_source.shape == (2, 4, 8) and not np.allclose(with_source, alone)


# === The Gaussian mask and the inference rule ===


def test_gaussian_weights_by_hand():
    got = gaussian_weights(np.array([0.5, 0.0]), np.array([0.2, 0.05]), 5, alpha=5.0, min_width=0.1).numpy()
    t = np.array([0.0, 0.25, 0.5, 0.75, 1.0])
    np.testing.assert_allclose(got[0], np.exp(-5.0 * (t - 0.5) ** 2 / 0.04), rtol=1e-5)
    # A width below min_width is clamped to it: 0.05 → 0.1.
    np.testing.assert_allclose(got[1], np.exp(-5.0 * t**2 / 0.01), rtol=1e-5, atol=1e-30)
    np.testing.assert_allclose(got[0], [np.exp(-31.25), np.exp(-7.8125), 1.0, np.exp(-7.8125), np.exp(-31.25)], rtol=1e-5)

    positive, complement = GaussianMask(5, alpha=5.0, min_width=0.1)(np.array([[0.5, 0.2]], "float32"))
    np.testing.assert_allclose(positive[0], got[0], rtol=1e-6)
    np.testing.assert_allclose(complement[0], 1.0 - got[0], rtol=1e-6)


def test_gaussian_head_is_a_sigmoid_of_the_last_state():
    head = GaussianHead(max_width=0.5)
    states = np.random.default_rng(4).normal(size=(3, 6, 4)).astype("float32")
    got = head(states).numpy()
    kernel, bias = head.projection.get_weights()
    expected = 1.0 / (1.0 + np.exp(-(states[:, -1] @ kernel + bias)))
    np.testing.assert_allclose(got, expected * [1.0, 0.5], rtol=1e-5)
    original, copied = _round_trip(head, states)
    np.testing.assert_array_equal(original.numpy(), copied.numpy())


def test_attention_readout_is_the_mean_and_spread_of_the_frame_scores():
    head = GaussianHead(max_width=0.5, readout="attention")
    states = np.random.default_rng(8).normal(size=(2, 5, 4)).astype("float32")
    got = head(states).numpy()
    kernel, bias = head.projection.get_weights()
    p = _softmax((states @ kernel + bias)[..., 0])
    t = np.linspace(0.0, 1.0, 5)
    center = (p * t).sum(-1)
    width = np.minimum(np.sqrt(12.0 * (p * (t - center[:, None]) ** 2).sum(-1)), 0.5)
    np.testing.assert_allclose(got, np.stack([center, width], -1), rtol=1e-5)
    # Frames scored alike: the center is the middle, the width that of the whole span (capped).
    head.projection.set_weights([np.zeros_like(kernel), np.zeros_like(bias)])
    uniform = head(states[:, 1:4]).numpy()  # three frames at t = 0, 0.5, 1
    np.testing.assert_allclose(uniform[:, 0], 0.5, atol=1e-6)
    np.testing.assert_allclose(uniform[:, 1], 0.5, atol=1e-6)  # √(12·(1/6)) = √2 capped at 0.5
    with pytest.raises(ValueError, match="readout"):
        GaussianHead(readout="mean")


def test_segment_and_its_score_map_by_hand():
    gaussians = np.array([[0.25, 0.5], [0.9, 0.4], [0.1, 0.6]], "float32")
    np.testing.assert_allclose(gaussian_segment(gaussians).numpy(), [[0.0, 0.5], [0.7, 1.0], [0.0, 0.4]], atol=1e-6)
    scores = segment_score_map(gaussians, 4).numpy()
    # Cells of L = 4: (i, j) spans [i/4, (j+1)/4].
    assert scores[0, 0, 1] == pytest.approx(1.0)
    assert scores[0, 0, 0] == pytest.approx(0.5) and scores[0, 0, 3] == pytest.approx(0.5)
    assert scores[0, 2, 3] == 0.0 and scores[0, 1, 0] == 0.0  # no overlap; invalid cell
    assert scores[1, 3, 3] == pytest.approx(0.25 / 0.3)  # [0.75, 1] vs [0.7, 1]
    assert scores[1, 2, 3] == pytest.approx(0.3 / 0.5)
    # The top cell is the segment rounded to the grid.
    assert np.unravel_index(scores[2].argmax(), (4, 4)) == (0, 1)  # [0, 0.4] → [0, 0.5]


def test_proposal_indices_follow_the_reference():
    np.testing.assert_array_equal(proposal_indices(16, 4), [0, 5, 10, 15])
    np.testing.assert_array_equal(proposal_indices(200, 4), np.linspace(0, 199, 50).astype(int))
    frames = np.arange(2 * 16 * 3, dtype="float32").reshape(2, 16, 3)
    np.testing.assert_array_equal(ProposalFrames([0, 5, 10, 15])(frames).numpy(), frames[:, [0, 5, 10, 15]])


# === Words ===


def test_sinusoidal_positions_match_the_reference_formula():
    got = sinusoidal_positions(6, 8).numpy()
    half = 4
    frequencies = np.exp(np.arange(half) * -(np.log(10000.0) / (half - 1)))
    angles = np.arange(6)[:, None] * frequencies[None]
    expected = np.concatenate([np.sin(angles), np.cos(angles)], axis=1)
    expected[0] = 0.0
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    assert sinusoidal_positions(3, 5).shape == (3, 5)


def test_word_embedding_replaces_cls_by_the_start_vector_and_is_frozen():
    layer = WordEmbedding(10, 3, name="words")
    layer.build()
    table = np.arange(30, dtype="float32").reshape(10, 3)
    layer.table.assign(table)
    layer.start_vector.assign([7.0, 8.0, 9.0])
    ids = np.array([[1, 4, 2, 0]], "int32")
    got = layer(ids).numpy()
    np.testing.assert_array_equal(got[0, 0], [7.0, 8.0, 9.0])
    np.testing.assert_array_equal(got[0, 1:], table[[4, 2, 0]])
    assert [w.name for w in layer.trainable_weights] == ["start_vector"]
    assert WordEmbedding(10, 3, table_trainable=True).get_config()["table_trainable"] is True


def test_real_words_are_the_tokens_between_cls_and_sep():
    mask = np.array([[1, 1, 1, 1, 0], [1, 1, 0, 0, 0]], "int32")
    np.testing.assert_array_equal(real_word_mask(mask).numpy(), [[0, 1, 1, 0, 0], [0, 0, 0, 0, 0]])


def _masking_layer(seed=0):
    return WordMasking(
        vocabulary=list(range(3, 31)), function_words=[3, 4], token_vocabulary_size=40, words_per_mask=3, seed=seed
    )


def test_word_masking_counts_and_positions():
    layer = _masking_layer()
    # [CLS] w… [SEP]: 7 in-vocabulary words → ⌊7/3⌋ = 2; 2 words → 1; 31 … 39 are out of vocabulary.
    ids = np.array(
        [
            [1, 5, 6, 7, 8, 9, 10, 11, 2],
            [1, 5, 35, 2, 0, 0, 0, 0, 0],
            [1, 35, 36, 2, 0, 0, 0, 0, 0],
            [1, 2, 0, 0, 0, 0, 0, 0, 0],
        ],
        "int32",
    )
    mask = (ids != 0).astype("int32")
    for training in (True, False):
        chosen = layer.masked_positions(ids, mask, training=training).numpy()
        np.testing.assert_array_equal(chosen.sum(axis=1), [2, 1, 0, 0])
        assert not chosen[:, 0].any() and not chosen[0, 8] and not chosen[1, 2]
    # Outside training the choice is fixed: the highest weight, the earliest first.
    np.testing.assert_array_equal(np.flatnonzero(layer.masked_positions(ids, mask).numpy()[0]), [1, 2])

    words = np.random.default_rng(0).normal(size=(4, 9, 3)).astype("float32")
    token = np.full((4, 1, 3), 42.0, "float32")
    out, positions = layer([words, token, ids, mask])
    out = out.numpy()
    chosen = layer.masked_positions(ids, mask).numpy()
    np.testing.assert_array_equal(positions.numpy(), chosen.astype("float32"))
    np.testing.assert_array_equal(out[chosen], 42.0)
    np.testing.assert_array_equal(out[~chosen], words[~chosen])


def test_word_masking_draws_content_words_e_to_1_over_function_words():
    layer = _masking_layer(seed=3)
    # One function word (3) and one content word (10): one is masked, the content word with
    # probability e²/(e² + e) = e/(e + 1) ≈ 0.731 (the reference's softmax of weights 2 and 1).
    ids = np.tile(np.array([[1, 3, 10, 2]], "int32"), (4000, 1))
    chosen = layer.masked_positions(ids, np.ones_like(ids), training=True).numpy()
    assert np.all(chosen.sum(axis=1) == 1)
    assert chosen[:, 2].mean() == pytest.approx(np.e / (np.e + 1.0), abs=0.025)
    again = layer.masked_positions(ids, np.ones_like(ids), training=True).numpy()
    assert not np.array_equal(chosen, again)  # a fresh draw every step


def test_reconstruction_targets_by_hand():
    layer = ReconstructionTargets(vocabulary=list(range(3, 31)), function_words=[3], token_vocabulary_size=40)
    ids = np.array([[1, 10, 35, 4, 2, 0], [1, 2, 0, 0, 0, 0]], "int32")
    targets, target_mask, input_mask = (t.numpy() for t in layer([ids, (ids != 0).astype("int32")]))
    # Position i predicts token i + 1: 10 (class 7), 35 (outside the vocabulary), 4 (class 1).
    np.testing.assert_array_equal(targets, [[7, 0, 1, 0, 0], [0, 0, 0, 0, 0]])
    np.testing.assert_array_equal(target_mask, [[1, 0, 1, 0, 0], [0, 0, 0, 0, 0]])
    np.testing.assert_array_equal(input_mask, [[1, 1, 1, 0, 0], [0, 0, 0, 0, 0]])
    config = layer.get_config()
    assert config["vocabulary"] == list(range(3, 31)) and config["function_words"] == [3]


# === Slots ===


def test_slot_layouts():
    frames = np.arange(2 * 3 * 1, dtype="float32").reshape(2, 3, 1)
    ids = np.arange(2 * 2 * 4).reshape(2, 2, 4).astype("int32")
    np.testing.assert_array_equal(FlattenSlots()(ids).numpy(), ids.reshape(4, 4))
    np.testing.assert_array_equal(RepeatForSlots()([frames, ids]).numpy(), frames[[0, 0, 1, 1]])
    np.testing.assert_array_equal(DropLast()(ids[0]).numpy(), ids[0, :, :-1])
    # The three proposals of the B·K = 4 pairs as one batch, and back to [B, K, 3].
    g = np.random.default_rng(0).uniform(size=(4, 3)).astype("float32")
    weights, tiled = ProposalBatch()([g, 1.0 - g, ids.reshape(4, 4)])
    np.testing.assert_allclose(weights.numpy(), np.concatenate([g, np.ones_like(g), 1.0 - g]), rtol=1e-6)
    np.testing.assert_array_equal(tiled.numpy(), np.tile(ids.reshape(4, 4), (3, 1)))
    values = np.arange(12, dtype="float32")  # positive 0-3, hard 4-7, easy 8-11
    triples = SlotTriples()([values, ids]).numpy()
    np.testing.assert_array_equal(triples[1, 0], [2.0, 6.0, 10.0])


# === Vocabulary ===


def test_vocabulary_counts_ranks_and_function_words(tiny_text_preset):
    from clear_tf import text_presets

    tokenizer = text_presets.load_tokenizer(tiny_text_preset)
    ids = np.array([[101, 1996, 2711, 7659, 1996, 102, 0], [101, 2711, 1012, 102, 0, 0, 0]])
    counts = collections.Counter()
    count_word_pieces(ids, (ids != 0).astype(int), counts)
    assert counts == {1996: 2, 2711: 2, 7659: 1, 1012: 1}
    assert most_frequent(counts, 3) == [1996, 2711, 1012]  # ties by id
    counts[100] = 9  # [UNK] is never reconstructed
    vocabulary, function_words = vocabulary_from_counts(counts, tokenizer, 10)
    assert vocabulary == [1996, 2711, 1012, 7659]
    assert function_words == [1996, 1012]  # "the" and "."
