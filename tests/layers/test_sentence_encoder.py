import os

import numpy as np
import pytest
from safetensors.numpy import load_file

from clear_tf import text_presets
from clear_tf.layers import SentenceEncoder
from tests.test_helpers import run_layer_serialization_test


@pytest.fixture(scope="module")
def backbone():
    return text_presets.load_backbone()


@pytest.fixture(scope="module")
def tokenize():
    tokenizer = text_presets.load_tokenizer()

    def encode(sentences, length=16):
        ids = np.zeros((len(sentences), length), np.int32)
        for row, sentence in enumerate(sentences):
            tokens = [tokenizer.cls_token_id, *np.asarray(tokenizer(sentence)).tolist(), tokenizer.sep_token_id]
            ids[row, : len(tokens)] = tokens
        return ids, ids != 0

    return encode


def test_keras_hub_weights_equal_the_safetensors_file(backbone):
    tensors = load_file(os.path.join(text_presets.default_preset_path(), "model.safetensors"))
    embeddings = backbone.get_layer("token_embedding").embeddings.numpy()
    np.testing.assert_array_equal(embeddings, tensors["embeddings.word_embeddings.weight"])
    attention = backbone.get_layer("transformer_layer_0")._self_attention_layer
    query_kernel = attention.query_dense.kernel.numpy()  # [hidden, heads, head_dim]
    torch_query = tensors["encoder.layer.0.attention.self.query.weight"]  # [out, in]
    np.testing.assert_array_equal(query_kernel.reshape(384, 384), torch_query.T)


def mean_pooled(backbone, ids, mask):
    tokens = np.asarray(
        backbone({"token_ids": ids, "segment_ids": np.zeros_like(ids), "padding_mask": mask})["sequence_output"]
    )
    weights = mask[..., None].astype(np.float32)
    return (tokens * weights).sum(1) / weights.sum(1)


def test_similar_sentences_are_closer_than_unrelated_ones(backbone, tokenize):
    ids, mask = tokenize(
        [
            "the person cuts the cucumber with a knife",
            "someone slices a cucumber",
            "a man plays the guitar on stage",
        ]
    )
    vectors = mean_pooled(backbone, ids, mask)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2


def test_mean_pooling_and_projection_match_numpy_and_ignore_padding(backbone, tokenize):
    encoder = SentenceEncoder(backbone, hidden_dim=8)
    ids, mask = tokenize(["a woman opens the fridge", "he washes the knife again"])
    query = np.asarray(encoder({"token_ids": ids, "padding_mask": mask}))
    kernel, bias = encoder.projection.get_weights()
    expected = np.maximum(mean_pooled(backbone, ids, mask) @ kernel + bias, 0.0)
    np.testing.assert_allclose(query, expected, rtol=1e-4, atol=1e-5)
    longer_ids, longer_mask = tokenize(["a woman opens the fridge", "he washes the knife again"], length=24)
    np.testing.assert_allclose(
        np.asarray(encoder({"token_ids": longer_ids, "padding_mask": longer_mask})), query, rtol=1e-4, atol=1e-5
    )


def test_cls_pooling_uses_the_first_token(backbone, tokenize):
    encoder = SentenceEncoder(backbone, hidden_dim=8, pooling="cls")
    ids, mask = tokenize(["a woman opens the fridge"])
    tokens = np.asarray(
        backbone({"token_ids": ids, "segment_ids": np.zeros_like(ids), "padding_mask": mask})["sequence_output"]
    )
    query = np.asarray(encoder({"token_ids": ids, "padding_mask": mask}))
    kernel, bias = encoder.projection.get_weights()
    np.testing.assert_allclose(query, np.maximum(tokens[:, 0] @ kernel + bias, 0.0), rtol=1e-4, atol=1e-5)


def test_query_axis_is_flattened_and_restored(backbone, tokenize):
    encoder = SentenceEncoder(backbone, hidden_dim=8)
    ids, mask = tokenize(["cuts bread", "pours water", "opens a drawer", "washes a plate"])
    flat = np.asarray(encoder({"token_ids": ids, "padding_mask": mask}))
    nested = np.asarray(
        encoder({"token_ids": ids.reshape(2, 2, -1), "padding_mask": mask.reshape(2, 2, -1)})
    )
    assert nested.shape == (2, 2, 8)
    np.testing.assert_allclose(nested.reshape(4, 8), flat, rtol=1e-5, atol=1e-6)


def test_backbone_is_frozen_by_default():
    backbone = text_presets.load_backbone()
    frozen = SentenceEncoder(backbone, hidden_dim=8, name="frozen_encoder")
    assert not backbone.trainable
    frozen.build(None)
    assert {w.path for w in frozen.trainable_weights} == {
        "frozen_encoder/query_projection/kernel",
        "frozen_encoder/query_projection/bias",
    }
    tuned = SentenceEncoder(backbone, hidden_dim=8, backbone_trainable=True)
    assert backbone.trainable and len(tuned.backbone.trainable_weights) == len(backbone.weights)


def test_unknown_pooling_is_an_error(backbone):
    with pytest.raises(ValueError, match="pooling"):
        SentenceEncoder(backbone, hidden_dim=8, pooling="max")


def test_serialization(backbone, tokenize):
    ids, mask = tokenize(["the cook peels a potato", "she stirs the soup"], length=8)
    run_layer_serialization_test(
        SentenceEncoder,
        {"backbone": backbone, "hidden_dim": 4, "pooling": "mean"},
        {"token_ids": ids, "padding_mask": mask},
        atol=1e-5,
    )
