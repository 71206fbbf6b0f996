"""Precomputed frozen-BERT sentence vectors in the pipeline (``text_vectors=True``).

The expected vectors are computed here from the backbone's sequence output with a NumPy
mean over the real tokens (or the [CLS] token), not with ``SentenceVectors`` itself.
Tiny random BERT preset with the real vocabulary (``tiny_text_preset``).
"""

import numpy as np
import pytest
import tensorflow as tf

from clear_tf import text_presets
from clear_tf.data import QueryTokenizer, SentenceVectors, build_dataset, split_for_keras
from video_examples import examples_dataset, make_video, random_videos


@pytest.fixture
def vector_config(data_config, tiny_text_preset):
    data_config.model.text_preset = tiny_text_preset
    return data_config


def _videos():
    # Short and long (truncated) sentences, so that the padding mask matters.
    short = make_video(
        "short", 6, ["a man", "someone cuts a long loaf of bread very slowly", "he sits"],
        [[0.0, 2.0], [1.0, 5.0], [6.0, 9.0]],
    )
    return random_videos(3, seed=5) + [short]


def _numpy_vectors(config, sentences, pooling):
    token_ids, padding_mask = QueryTokenizer(config.model.text_preset, config.data.max_query_tokens)(
        tf.constant(sentences)
    )
    backbone = text_presets.load_backbone(config.model.text_preset)
    tokens = np.asarray(
        backbone(
            {
                "token_ids": token_ids,
                "segment_ids": tf.zeros_like(token_ids),
                "padding_mask": tf.cast(padding_mask, tf.int32),
            },
            training=False,
        )["sequence_output"],
        np.float64,
    )
    mask = np.asarray(padding_mask, np.float64)[..., None]
    if pooling == "cls":
        return tokens[:, 0]
    return (tokens * mask).sum(axis=1) / mask.sum(axis=1)


@pytest.mark.parametrize("pooling", ["mean", "cls"])
def test_batches_carry_the_pooled_bert_output_of_each_slot(vector_config, pooling):
    vector_config.model.text_pooling = pooling
    videos = _videos()
    sentences = [s for v in videos for s in v["queries"]["sentence"]] + [""]
    expected = dict(zip(sentences, _numpy_vectors(vector_config, sentences, pooling)))
    assert not np.allclose(expected["a man"], expected[""])
    batches = list(
        build_dataset(examples_dataset(videos), vector_config, training=False, text_vectors=True)
    )
    by_id = {v["video_id"]: v for v in videos}
    checked = 0
    for batch in batches:
        embeddings = batch["sentence_embedding"].numpy()
        assert embeddings.shape[:2] == batch["query_mask"].shape
        assert embeddings.shape[-1] == 16  # the tiny BERT's width
        for b, video_id in enumerate(batch["video_id"].numpy()):
            for k, index in enumerate(batch["query_index"].numpy()[b]):
                # A padded slot (index < 0) holds the vector of the empty query.
                sentence = "" if index < 0 else by_id[video_id.decode()]["queries"]["sentence"][index]
                np.testing.assert_allclose(embeddings[b, k], expected[sentence], rtol=1e-4, atol=1e-5)
                checked += index >= 0
    assert checked == len(sentences) - 1


def test_sentence_vectors_equal_the_query_encoder_before_its_projection(vector_config):
    """SentenceVectors and CLEAR's query_encoder share the backbone preset and the pooling."""
    from clear_tf.models.clear import CLEAR

    sentences = ["a man", "someone cuts a long loaf of bread very slowly"]
    vectors = SentenceVectors(vector_config.model.text_preset, "mean")
    token_ids, padding_mask = QueryTokenizer(vector_config.model.text_preset, 8)(tf.constant(sentences))
    model = CLEAR(
        text_presets.load_backbone(vector_config.model.text_preset),
        feature_dim=3, num_pre_clips=8, num_clips=4, hidden_dim=4, tcn_channels=[4], tree_depth=2,
    )
    projection = model.get_layer("sentence_encoder").projection
    np.testing.assert_allclose(
        projection(vectors(token_ids, padding_mask)),
        model.query_encoder({"token_ids": token_ids, "padding_mask": padding_mask}),
        rtol=1e-5,
        atol=1e-6,
    )


def test_split_for_keras_feeds_vectors_instead_of_tokens(vector_config):
    batch = next(
        iter(
            build_dataset(
                examples_dataset(random_videos(4)), vector_config, training=True, seed=0, text_vectors=True
            )
        )
    )
    x, _, _ = split_for_keras(batch, vector_config)
    assert set(x) == {"features", "sentence_embedding"}
    np.testing.assert_array_equal(x["sentence_embedding"], batch["sentence_embedding"])
