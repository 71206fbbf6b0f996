"""Checks shared by the 2D-TAN and CDN model tests (a plain module both test folders import).

Every check takes a built model (tiny, on the tiny random text preset) and asserts one
property of the ``MomentLocalizer`` contract; the test modules call them per model
and variant.
"""

from __future__ import annotations

import copy
import csv
import json
import os

import keras
import numpy as np
import tensorflow as tf

BATCH, SLOTS, TOKENS = 2, 3, 7
TOP_K = 3
QUERIES = ["a person cuts the bread", "the man washes the knife again at the sink"]
DURATION = 30.0


def make_inputs(model, seed: int = 0) -> dict:
    """A batch of B videos × K query slots with real-looking token ids and padding."""
    rng = np.random.default_rng(seed)
    token_ids = rng.integers(1000, 5000, size=(BATCH, SLOTS, TOKENS)).astype(np.int32)
    token_ids[..., 0] = 101
    lengths = np.array([[7, 5, 3], [4, 7, 2]])
    padding_mask = (np.arange(TOKENS) < lengths[..., None]).astype(np.int32)
    token_ids[padding_mask == 0] = 0
    return {
        "features": rng.normal(size=(BATCH, model.num_pre_clips, model.feature_dim)).astype(np.float32),
        "token_ids": token_ids,
        "padding_mask": padding_mask,
    }


def iou_targets(model, seed: int = 1) -> np.ndarray:
    """A plausible IoU map per slot: one random ground-truth moment each, IoU with every cell."""
    from clear_tf import moments

    rng = np.random.default_rng(seed)
    num_clips = model.num_clips
    starts, ends = moments.candidate_times(num_clips, 1.0)
    maps = np.zeros((BATCH, SLOTS, num_clips, num_clips), np.float32)
    for b in range(BATCH):
        for k in range(SLOTS):
            start = rng.uniform(0.0, 0.7)
            end = rng.uniform(start + 0.1, 1.0)
            maps[b, k] = moments.temporal_iou(starts, ends, start, end)
    return maps * moments.valid_mask(num_clips)


def check_output_shapes_and_masked_cells(model):
    outputs = model(make_inputs(model))
    logits = np.asarray(outputs["logits"])
    assert set(outputs) == {"logits"}
    assert logits.shape == (BATCH, SLOTS, model.num_clips, model.num_clips)
    candidates = np.asarray(model.candidate_mask)
    assert np.all(logits[..., ~candidates] == -1e4)
    assert np.all(np.abs(logits[..., candidates]) < 1e3)


def check_sentence_vector_view(model, preset: str):
    """The training view on precomputed vectors gives the token model's outputs, without BERT."""
    from clear_tf.data import SentenceVectors

    inputs = make_inputs(model)
    vectors = SentenceVectors(preset, model.text_pooling)
    embeddings = np.reshape(
        vectors(inputs["token_ids"].reshape(-1, TOKENS), inputs["padding_mask"].reshape(-1, TOKENS)),
        (BATCH, SLOTS, -1),
    )
    view = model.training_model()
    assert view is not model and "sentence_embedding" in [tensor.name for tensor in view.inputs]
    from_tokens = model(inputs)["logits"]
    from_vectors = view({"features": inputs["features"], "sentence_embedding": embeddings})["logits"]
    np.testing.assert_allclose(from_vectors, from_tokens, rtol=1e-4, atol=1e-4)
    assert {id(v) for v in view.trainable_variables} == {id(v) for v in model.trainable_variables}
    assert not {id(w) for w in model.text_backbone.weights} & {id(w) for w in view.weights}
    assert type(model).trains_on_sentence_vectors(type(model).config_class())


def check_keras_round_trip(model, tmp_path):
    """``.keras`` save then ``clear_tf.models.load_model``: same class, config and outputs."""
    from clear_tf.models import load_model

    inputs = make_inputs(model, seed=3)
    path = os.path.join(tmp_path, "model.keras")
    model.save(path)
    loaded = load_model(path)
    assert type(loaded) is type(model)
    assert loaded.get_config()["pooling_counts"] == model.get_config()["pooling_counts"]
    np.testing.assert_array_equal(loaded(inputs)["logits"], model(inputs)["logits"])
    np.testing.assert_array_equal(loaded.candidate_mask, model.candidate_mask)


def check_loss_decreases(model, config, steps: int = 12):
    """A few Adam steps on one batch of the training view lower the model's own loss."""
    from clear_tf.training.trainer import compile_model

    inputs = make_inputs(model)
    from clear_tf.data import SentenceVectors

    vectors = SentenceVectors(config.model.text_preset, config.model.text_pooling)
    embeddings = np.reshape(
        vectors(inputs["token_ids"].reshape(-1, TOKENS), inputs["padding_mask"].reshape(-1, TOKENS)),
        (BATCH, SLOTS, -1),
    )
    trained = model.training_model()
    config = copy.deepcopy(config)
    config.train.learning_rate = 1e-2
    compile_model(trained, model, config)
    x = {"features": inputs["features"], "sentence_embedding": embeddings}
    y = {"logits": iou_targets(model)}
    weights = {"logits": np.array([[1, 1, 0], [1, 0, 0]], np.float32)}
    losses = [float(trained.train_on_batch(x, y, sample_weight=weights)) for _ in range(steps)]
    assert np.isfinite(losses).all()
    assert losses[-1] < 0.9 * losses[0], losses


def check_localize(model, tokenizer):
    """``localize`` ranks every candidate: sorted scores, moments on candidate cells, share 1.

    Also checks that the single-video path (``encode_video`` / ``encode_queries`` /
    ``score_maps``) gives the full graph's probabilities.
    """
    rng = np.random.default_rng(7)
    features = rng.normal(size=(model.num_pre_clips, model.feature_dim)).astype(np.float32)
    token_ids, padding_mask = tokenizer(tf.constant(QUERIES))
    result = model.localize(features, token_ids, padding_mask, DURATION, top_k=TOP_K)
    method = type(model).inference_methods[0]
    assert type(model).validation_method == method
    scores = result["score"].numpy()
    assert scores.shape == (len(QUERIES), TOP_K)
    assert np.all(np.diff(scores, axis=1) <= 0)
    np.testing.assert_array_equal(result["scored_fraction"].numpy(), np.ones(len(QUERIES)))
    step = DURATION / model.num_clips
    starts = np.rint(result["start"].numpy() / step).astype(int)
    ends = np.rint(result["end"].numpy() / step).astype(int) - 1
    assert np.all(np.asarray(model.candidate_mask)[starts, ends])

    maps = model.confidence_maps(features, token_ids, padding_mask).numpy()
    full = model(
        {
            "features": features[np.newaxis],
            "token_ids": token_ids.numpy()[np.newaxis],
            "padding_mask": tf.cast(padding_mask, tf.int32).numpy()[np.newaxis],
        }
    )["logits"][0]
    expected = np.where(np.asarray(model.candidate_mask), tf.sigmoid(full).numpy(), 0.0)
    np.testing.assert_allclose(maps, expected, atol=1e-5)
    np.testing.assert_allclose(np.sort(maps.reshape(len(QUERIES), -1), axis=1)[:, -1], scores[:, 0], atol=1e-5)


def check_export_and_localizer(model, config, tmp_path):
    """SavedModel export, then ``Localizer`` gives ``localize``'s moments and ``score_maps``."""
    from clear_tf.data.query_tokenizer import QueryTokenizer
    from clear_tf.export import Localizer, export_saved_model, read_metadata
    from clear_tf.export.signatures import inference_options

    base = os.path.join(tmp_path, "export")
    saved = export_saved_model(model, base, config=config)
    assert read_metadata(saved)["model"] == config.model_name
    localizer = Localizer(base)
    rng = np.random.default_rng(5)
    features = rng.normal(size=(model.num_pre_clips + 7, model.feature_dim)).astype(np.float32)
    results = localizer.localize(features, DURATION, QUERIES)
    token_ids, padding_mask = QueryTokenizer(config.model.text_preset, config.data.max_query_tokens)(
        tf.constant(QUERIES)
    )
    expected = model.localize(
        features, token_ids, padding_mask, DURATION, **inference_options(model, config)
    )
    for index, result in enumerate(results):
        finite = np.isfinite(expected["score"][index].numpy())
        moments = result["moments"]
        assert len(moments) == finite.sum()
        np.testing.assert_allclose([m["start"] for m in moments], expected["start"][index].numpy()[finite], atol=1e-5)
        np.testing.assert_allclose([m["end"] for m in moments], expected["end"][index].numpy()[finite], atol=1e-5)
        np.testing.assert_allclose([m["score"] for m in moments], expected["score"][index].numpy()[finite], atol=1e-5)
    maps = np.asarray(localizer.confidence_maps(features, DURATION, QUERIES))
    assert maps.shape == (len(QUERIES), model.num_clips, model.num_clips)
    candidates = np.asarray(model.candidate_mask)
    assert np.all(np.isnan(maps[:, ~candidates]))
    expected_maps = model.confidence_maps(features, token_ids, padding_mask).numpy()
    np.testing.assert_allclose(maps[:, candidates], expected_maps[:, candidates], atol=1e-5)


def tiny_run_config(model_name: str, preset: str, **model_fields):
    """A ``Config`` of ``model_name`` on the tiny preset: N = 16 units, L = 8 clips."""
    from clear_tf.config import Config, validate

    config = Config(model_name=model_name)
    config.data.num_pre_clips = 16
    config.data.num_clips = 8
    config.data.max_query_tokens = 12
    config.inference.top_k = TOP_K
    config.inference.recall_at = [1, TOP_K]
    config.model.text_preset = preset
    for name, value in model_fields.items():
        setattr(config.model, name, value)
    validate(config)
    return config


def build(config, feature_dim: int = 6, seed: int = 0):
    from clear_tf.models import build_model

    keras.utils.set_random_seed(seed)
    return build_model(config, feature_dim)


def check_train_end_to_end(
    model_name: str, preset: str, tmp_path, *, dataset: str = "synthetic_moments/small", epochs: int = 2,
    **model_fields,
):
    """``clear_tf.training.train`` on a small synthetic benchmark: results, checkpoints, export.

    Returns the run folder, for a model's own checks of what it wrote.
    """
    from clear_tf.models import load_model
    from clear_tf.training import train

    config = tiny_run_config(model_name, preset, **model_fields)
    config.data.dataset = dataset
    config.data.data_dir = os.path.join(tmp_path, "tfds")
    config.data.queries_per_video = 2
    config.data.batch_size = 4
    config.data.val_split = "val[:3]"
    config.data.test_split = "test[:3]"
    config.train.run_dir = os.path.join(tmp_path, "run")
    config.train.epochs = epochs
    config.train.steps_per_epoch = 3
    config.train.num_plot_queries = 1
    results = train(config)
    assert results["model"] == model_name and results["num_queries"] > 0
    assert 0.0 <= results["R@1,IoU=0.5"] <= 100.0 and "R@1,IoU=0.5" in results["baseline"]
    run = config.train.run_dir
    with open(os.path.join(run, "results.json")) as handle:
        assert json.load(handle)["inference"] == type(load_model(os.path.join(run, "checkpoints", "best.keras"))).inference_methods[0]
    with open(os.path.join(run, "history.csv"), newline="") as handle:
        header = next(csv.reader(handle))
    assert {"bce", "loss", "val_R@1,IoU=0.5"} <= set(header), header
    assert os.path.isdir(os.path.join(run, "export", "1"))
    return run
