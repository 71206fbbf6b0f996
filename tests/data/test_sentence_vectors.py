"""Precomputed frozen-BERT sentence vectors in the pipeline (``text_vectors=True``)."""

import numpy as np

from clear_tf.data import SentenceVectors, build_dataset, split_for_keras
from video_examples import examples_dataset, random_videos


def test_batches_carry_the_vector_of_each_slot(data_config):
    videos = random_videos(3, seed=5)
    batches = list(build_dataset(examples_dataset(videos), data_config, training=False, text_vectors=True))
    vectors = SentenceVectors("default", "mean")
    padded = vectors(*_tokens(data_config, [""]))[0].numpy()
    by_id = {v["video_id"]: v for v in videos}
    checked = 0
    for batch in batches:
        assert batch["sentence_embedding"].shape[:2] == batch["query_mask"].shape
        assert batch["sentence_embedding"].shape[-1] == vectors.dim
        for b, video_id in enumerate(batch["video_id"].numpy()):
            for k, index in enumerate(batch["query_index"].numpy()[b]):
                got = batch["sentence_embedding"].numpy()[b, k]
                if index < 0:
                    np.testing.assert_allclose(got, padded, atol=1e-5)
                    continue
                sentence = by_id[video_id.decode()]["queries"]["sentence"][index]
                expected = vectors(*_tokens(data_config, [sentence]))[0].numpy()
                np.testing.assert_allclose(got, expected, atol=1e-5)
                checked += 1
    assert checked == sum(len(v["queries"]["sentence"]) for v in videos)


def test_split_for_keras_feeds_vectors_instead_of_tokens(data_config):
    batch = next(iter(build_dataset(examples_dataset(random_videos(4)), data_config, training=True, seed=0, text_vectors=True)))
    x, _, _ = split_for_keras(batch, data_config)
    assert set(x) == {"features", "sentence_embedding"}


def _tokens(config, sentences):
    from clear_tf.data import QueryTokenizer
    import tensorflow as tf

    return QueryTokenizer("default", config.data.max_query_tokens)(tf.constant(sentences))
