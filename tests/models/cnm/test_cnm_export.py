"""CNM built from a run config (tiny), exported as a SavedModel and served by ``Localizer``."""

import numpy as np
import pytest
import tensorflow as tf

pytestmark = pytest.mark.slow

QUERIES = ["The person cuts the carrot.", "Someone washes the knife again"]


@pytest.fixture(scope="module")
def config(tmp_path_factory, tiny_text_preset):
    from clear_tf.config import config_from_values, validate

    config = config_from_values(
        {
            "model": "cnm",
            "dataset": "synthetic_moments/small",
            "data_dir": str(tmp_path_factory.mktemp("tfds")),
            "text_preset": tiny_text_preset,
            "num_pre_clips": 16,
            "num_clips": 8,
            "max_query_tokens": 16,
            "hidden_dim": 8,
            "attention_heads": 2,
            "decoder_layers": 1,
            "top_k": 3,
            "recall_at": [1],
            "vocabulary_size": 50,
        }
    )
    validate(config)
    return config


@pytest.fixture(scope="module")
def model(config):
    import keras

    from clear_tf import dataset_info
    from clear_tf.models import build_model

    keras.utils.set_random_seed(0)
    return build_model(config, dataset_info.feature_dim(config))


def test_the_run_config_builds_the_vocabulary_and_the_frozen_word_table(model, config):
    from clear_tf import text_presets

    assert len(model.vocabulary) == 50 and set(model.function_words) <= set(model.vocabulary)
    tokenizer = text_presets.load_tokenizer(config.model.text_preset)
    words = [tokenizer.id_to_token(i) for i in model.vocabulary]
    assert "the" in words and "[CLS]" not in words and "[SEP]" not in words
    assert tokenizer.token_to_id("the") in model.function_words
    backbone = text_presets.load_backbone(config.model.text_preset)
    np.testing.assert_array_equal(
        model.word_embedding.table.numpy(), backbone.token_embedding.embeddings.numpy()
    )


@pytest.mark.parametrize("method", ["cnm", "cnm_reconstruction"])
def test_export_and_localizer_match_the_keras_model(model, config, tmp_path, method):
    import dataclasses

    from clear_tf.data.query_tokenizer import QueryTokenizer
    from clear_tf.export import Localizer, export_saved_model
    from clear_tf.export.signatures import inference_options

    config = dataclasses.replace(config, inference=dataclasses.replace(config.inference, inference=method))
    export_saved_model(model, tmp_path / "export", config=config)
    localizer = Localizer(tmp_path / "export")
    assert localizer.metadata["model"] == "cnm"
    features = np.random.default_rng(0).normal(size=(21, model.feature_dim)).astype(np.float32)
    results = localizer.localize(features, 30.0, QUERIES)

    token_ids, padding_mask = QueryTokenizer(config.model.text_preset, 16)(tf.constant(QUERIES))
    expected = model.localize(features, token_ids, padding_mask, 30.0, **inference_options(model, config))
    for index, result in enumerate(results):
        moments = result["moments"]
        finite = np.isfinite(expected["score"][index].numpy())
        assert len(moments) == finite.sum() >= 1
        np.testing.assert_allclose([m["start"] for m in moments], expected["start"][index].numpy()[finite], atol=1e-4)
        np.testing.assert_allclose([m["end"] for m in moments], expected["end"][index].numpy()[finite], atol=1e-4)
        np.testing.assert_allclose([m["score"] for m in moments], expected["score"][index].numpy()[finite], atol=1e-5)
        assert all(0.0 <= m["start"] < m["end"] <= 30.0 + 1e-4 for m in moments)
    maps = localizer.confidence_maps(features, 30.0, QUERIES)
    assert maps.shape == (2, 8, 8) and np.all(np.isnan(maps[0][np.tril_indices(8, -1)]))
    upper = maps[:, np.triu_indices(8)[0], np.triu_indices(8)[1]]
    assert np.all((upper >= 0) & (upper <= 1))
    if method == "cnm":  # the maps are the generator's: its scores (cnm_reconstruction ranks otherwise)
        assert np.allclose(upper.max(axis=1), [r["moments"][0]["score"] for r in results], atol=1e-5)
