"""SLTA's layers: hand-set weights that make the attentions pick a known region / word, masks, round trips."""

import keras
import numpy as np
import pytest

from clear_tf.models.slta.cross_modal_fusion import CrossModalFusion
from clear_tf.models.slta.language_temporal_attention import LanguageTemporalAttention
from clear_tf.models.slta.query_moment_map import QueryMomentMap
from clear_tf.models.slta.spatial_attention import SpatialAttention
from clear_tf.models.slta.word_encoder import WordEncoder

DIM = 6


def _identity_spatial_attention(scale: float, num_clips=None) -> SpatialAttention:
    """e = w·tanh(r + q - 1.5c): highest where region and query share their one-hot axis."""
    layer = SpatialAttention(attention_dim=DIM, num_clips=num_clips)
    layer.build((None, 4, 3, DIM), (None, 2, DIM))
    layer.region_key.set_weights([np.eye(DIM, dtype="float32"), np.full([DIM], -1.5 * scale, "float32")])
    layer.query_key.set_weights([np.eye(DIM, dtype="float32")])
    layer.score.set_weights([np.full([DIM, 1], 5.0, "float32")])
    return layer


def test_spatial_attention_picks_the_region_of_the_query():
    scale = 4.0
    objects = scale * np.eye(DIM, dtype="float32")
    # Unit t holds objects (t, t+1, t+2) mod DIM in slots that rotate; query k asks for object k.
    regions = np.zeros((1, 4, 3, DIM), "float32")
    for t in range(4):
        for o in range(3):
            regions[0, t, o] = objects[(t + o) % DIM]
    queries = objects[[2, 3]][None]  # [B=1, K=2, d]
    attended, weights = _identity_spatial_attention(scale).attend(regions, queries)
    weights = np.asarray(weights)
    for k, wanted in enumerate([2, 3]):
        for t in range(4):
            held = [(t + o) % DIM for o in range(3)]
            if wanted in held:
                slot = held.index(wanted)
                assert weights[0, k, t].argmax() == slot and weights[0, k, t, slot] > 0.95
                np.testing.assert_allclose(np.asarray(attended)[0, k, t], regions[0, t, slot], atol=0.1 * scale)
            else:  # no region matches: no slot dominates
                assert weights[0, k, t].max() < 0.95
    np.testing.assert_allclose(weights.sum(-1), 1.0, rtol=1e-5)


def test_spatial_attention_averages_units_into_clips_and_passes_a_single_region():
    layer = SpatialAttention(attention_dim=3, num_clips=2)
    rng = np.random.default_rng(0)
    regions = rng.normal(size=(2, 4, 1, DIM)).astype("float32")  # O = 1: the unit itself
    clips, weights = layer.attend(regions, rng.normal(size=(2, 3, DIM)).astype("float32"))
    np.testing.assert_allclose(np.asarray(weights), 1.0)
    expected = regions[:, :, 0].reshape(2, 2, 2, DIM).mean(axis=2)  # [B, L, d]
    for k in range(3):
        np.testing.assert_allclose(np.asarray(clips)[:, k], expected, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="multiple of num_clips"):
        SpatialAttention(attention_dim=3, num_clips=3).attend(regions, np.zeros((2, 1, DIM), "float32"))


def test_language_temporal_attention_weights_the_word_of_each_moment():
    layer = LanguageTemporalAttention(attention_dim=DIM)
    layer.build((None, 1, 2, 2, DIM), (None, 1, 5, DIM))
    layer.moment_key.set_weights([np.eye(DIM, dtype="float32"), np.zeros([DIM], "float32")])
    layer.word_key.set_weights([np.eye(DIM, dtype="float32")])
    words = np.eye(DIM, dtype="float32")[None, None, :5]  # word s = e_s
    moments = np.zeros((1, 1, 2, 2, DIM), "float32")
    moments[0, 0, 0, 0, 1] = moments[0, 0, 0, 1, 3] = moments[0, 0, 1, 1, 4] = 20.0
    mask = np.array([[[1, 1, 1, 1, 0]]], "int32")  # word 4 is padding
    language, weights = layer.attend(moments, words, mask)
    weights = np.asarray(weights)[0, 0]
    assert weights[0, 0].argmax() == 1 and weights[0, 1].argmax() == 3
    # Cell (1, 1) points at the padded word: it gets nothing, the rest share evenly.
    assert weights[1, 1, 4] == 0.0
    np.testing.assert_allclose(weights[1, 1, :4], 0.25, rtol=1e-5)
    np.testing.assert_allclose(weights.sum(-1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(language)[0, 0, 0, 1], words[0, 0, 3], atol=1e-3)


def test_word_encoder_ignores_padding():
    encoder = WordEncoder(vocabulary_size=40, word_dim=5, hidden_dim=8)
    ids = np.array([[2, 7, 8, 3, 0, 0]], "int32")
    other = ids.copy()
    other[0, 4:] = [11, 12]  # different ids in the padded slots
    words, sentence = encoder(ids, ids != 0)
    words_other, sentence_other = encoder(other, ids != 0)
    np.testing.assert_allclose(np.asarray(sentence), np.asarray(sentence_other), rtol=1e-6)
    assert np.all(np.asarray(words)[0, 4:] == 0.0)
    np.testing.assert_allclose(np.asarray(sentence), np.asarray(words)[:, :4].mean(axis=1), rtol=1e-5, atol=1e-6)
    # [B, K, S] in, [B, K, S, d] out.
    words, sentence = encoder(np.stack([ids, other]), np.stack([ids != 0, ids != 0]))
    assert tuple(words.shape) == (2, 1, 6, 8) and tuple(sentence.shape) == (2, 1, 8)
    with pytest.raises(ValueError, match="even"):
        WordEncoder(vocabulary_size=4, word_dim=2, hidden_dim=5)


def test_query_moment_map_holds_mean_max_and_context_of_each_candidate():
    rng = np.random.default_rng(1)
    clips = rng.normal(size=(2, 3, 4, 2)).astype("float32")
    maps = np.asarray(QueryMomentMap()(clips))
    assert maps.shape == (2, 3, 4, 4, 8)
    zeros = np.zeros((2, 3, 2), "float32")
    for i in range(4):
        for j in range(4):
            if i > j:
                assert np.all(maps[:, :, i, j] == 0.0)
                continue
            part = clips[:, :, i : j + 1]
            before = clips[:, :, i - 1] if i > 0 else zeros
            after = clips[:, :, j + 1] if j < 3 else zeros
            expected = np.concatenate([part.mean(axis=2), part.max(axis=2), before, after], axis=-1)
            np.testing.assert_allclose(maps[:, :, i, j], expected, rtol=1e-5, atol=1e-6)


def _round_trip(layer, *inputs):
    first = layer(*inputs)
    clone = type(layer).from_config(layer.get_config())
    clone(*inputs)
    clone.set_weights(layer.get_weights())
    flatten = lambda x: [np.asarray(v) for v in (x if isinstance(x, (tuple, list)) else [x])]  # noqa: E731
    for a, b in zip(flatten(first), flatten(clone(*inputs))):
        np.testing.assert_array_equal(a, b)
    return clone


def test_layer_config_round_trips():
    rng = np.random.default_rng(2)
    regions = rng.normal(size=(1, 4, 3, DIM)).astype("float32")
    queries = rng.normal(size=(1, 2, DIM)).astype("float32")
    clone = _round_trip(SpatialAttention(attention_dim=4, num_clips=2, name="s"), regions, queries)
    assert clone.num_clips == 2 and clone.attention_dim == 4
    moments = rng.normal(size=(1, 2, 3, 3, DIM)).astype("float32")
    words = rng.normal(size=(1, 2, 5, DIM)).astype("float32")
    mask = np.ones((1, 2, 5), "int32")
    _round_trip(LanguageTemporalAttention(attention_dim=4), moments, words, mask)
    clone = _round_trip(CrossModalFusion(hidden_dim=4, dropout=0.2), moments, moments)
    assert clone.dropout == 0.2
    ids = np.array([[2, 7, 3, 0]], "int32")
    clone = _round_trip(WordEncoder(vocabulary_size=20, word_dim=3, hidden_dim=4, trainable_embeddings=True), ids, ids != 0)
    assert clone.embedding.trainable
    assert not WordEncoder(vocabulary_size=20, word_dim=3, hidden_dim=4).embedding.trainable
    _round_trip(QueryMomentMap(), rng.normal(size=(1, 2, 3, DIM)).astype("float32"))
    assert keras.saving.get_registered_object("clear_tf>SpatialAttention") is SpatialAttention
