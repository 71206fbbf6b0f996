import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from clear_tf import moments, text_presets
from clear_tf.config import Config
from clear_tf.models import build_model, model_class
from clear_tf.models.clear import CLEAR, ClearConfig
from clear_tf.models.clear.reference import reference_clip_evidence

BATCH, SLOTS, TOKENS, UNITS, DIM, CLIPS, HIDDEN = 2, 3, 7, 16, 12, 8, 16
TINY = dict(
    feature_dim=DIM,
    num_pre_clips=UNITS,
    num_clips=CLIPS,
    hidden_dim=HIDDEN,
    tcn_channels=[16, 8],
    dropout=0.3,
    tree_depth=3,
)


@pytest.fixture(scope="module")
def backbone(tiny_text_preset):
    return text_presets.load_backbone(tiny_text_preset)


@pytest.fixture(scope="module")
def model(backbone):
    return CLEAR(backbone, **TINY)


def make_inputs(seed=0):
    rng = np.random.default_rng(seed)
    token_ids = rng.integers(1000, 5000, size=(BATCH, SLOTS, TOKENS)).astype(np.int32)
    token_ids[..., 0] = 101
    lengths = np.array([[7, 5, 3], [4, 7, 2]])
    padding_mask = (np.arange(TOKENS) < lengths[..., None]).astype(np.int32)
    token_ids[padding_mask == 0] = 0
    return {
        "features": rng.normal(size=(BATCH, UNITS, DIM)).astype(np.float32),
        "token_ids": token_ids,
        "padding_mask": padding_mask,
    }


def make_targets(seed=1):
    rng = np.random.default_rng(seed)
    y = {
        "anchor_similarity": rng.uniform(size=(BATCH, SLOTS, 5)).astype(np.float32),
        "fine_logits": rng.uniform(size=(BATCH, SLOTS, CLIPS, CLIPS)).astype(np.float32),
    }
    query_mask = np.array([[1, 1, 0], [1, 0, 0]], np.float32)
    return y, {"anchor_similarity": query_mask, "fine_logits": query_mask}


def test_output_shapes_and_invalid_cells(model):
    outputs = model(make_inputs())
    assert outputs["anchor_similarity"].shape == (BATCH, SLOTS, 5)
    assert outputs["fine_logits"].shape == (BATCH, SLOTS, CLIPS, CLIPS)
    assert outputs["coarse_scores"].shape == (BATCH, SLOTS, CLIPS, CLIPS)
    invalid = ~moments.valid_mask(CLIPS)
    assert np.all(np.asarray(outputs["fine_logits"])[..., invalid] == -1e4)
    assert np.all(np.asarray(outputs["fine_logits"])[..., ~invalid] > -1e3)
    assert np.all(np.asarray(outputs["coarse_scores"])[..., invalid] == 0.0)


def test_attributes_for_inference(model):
    assert (model.num_clips, model.hidden_dim, model.tree_depth, model.fine_head_type) == (CLIPS, HIDDEN, 3, "mlp")
    assert model.candidate_mask.dtype == bool
    np.testing.assert_array_equal(model.candidate_mask, moments.valid_mask(CLIPS))


def test_sub_models_compose_to_the_full_outputs(model):
    inputs = make_inputs()
    outputs = model(inputs)
    position_map = np.asarray(model.video_encoder(inputs["features"]))
    assert position_map.shape == (BATCH, CLIPS, CLIPS, HIDDEN)
    assert np.all(position_map[:, ~moments.valid_mask(CLIPS)] == 0.0)
    queries = np.asarray(
        model.query_encoder(
            {
                "token_ids": inputs["token_ids"].reshape(-1, TOKENS),
                "padding_mask": inputs["padding_mask"].reshape(-1, TOKENS),
            }
        )
    ).reshape(BATCH, SLOTS, HIDDEN)
    anchors = [position_map[:, i, j] for i, j in moments.anchor_positions(CLIPS, 5)]
    anchor_similarity = np.stack([np.einsum("bkd,bd->bk", queries, a) for a in anchors], -1)
    np.testing.assert_allclose(outputs["anchor_similarity"], anchor_similarity, rtol=1e-4, atol=1e-5)
    coarse = np.einsum("bkd,bijd->bkij", queries, position_map) / HIDDEN
    np.testing.assert_allclose(outputs["coarse_scores"], coarse, rtol=1e-4, atol=1e-5)
    # The pruned path: the pointwise head on the kept candidates only.
    valid = moments.valid_mask(CLIPS)
    fused_kept = queries[0, 1][None] * position_map[0][valid]
    np.testing.assert_allclose(
        model.fine_head(fused_kept), np.asarray(outputs["fine_logits"])[0, 1][valid], rtol=1e-4, atol=1e-5
    )


def test_gradients_reach_every_trainable_weight_and_not_frozen_bert(model):
    y, sample_weight = make_targets()
    losses, weights = CLEAR.build_losses(Config(model=ClearConfig(hidden_dim=HIDDEN, tree_depth=3)))
    with tf.GradientTape(persistent=True) as tape:
        outputs = model(make_inputs(), training=True)
        total = sum(
            weights[name] * losses[name](y[name], outputs[name], sample_weight=sample_weight[name])
            for name in losses
        )
    variables = model.trainable_variables
    gradients = tape.gradient(total, variables)
    bert_ids = {id(w) for w in model.text_backbone.weights}
    assert len(bert_ids) > 10 and not bert_ids & {id(v) for v in variables}
    missing = [v.path for v, g in zip(variables, gradients) if g is None or not np.any(np.asarray(g))]
    assert not missing, f"no gradient for {missing}"
    # Frozen BERT: its variables are not watched, so the loss has no gradient for them.
    bert_gradients = tape.gradient(total, [w.value for w in model.text_backbone.weights])
    assert all(g is None for g in bert_gradients)


def test_fine_tuned_bert_receives_gradients(tiny_text_preset):
    tuned = CLEAR(text_presets.load_backbone(tiny_text_preset), text_trainable=True, **TINY)
    y, sample_weight = make_targets()
    losses, _ = CLEAR.build_losses(Config(model=ClearConfig(hidden_dim=HIDDEN, tree_depth=3)))
    with tf.GradientTape() as tape:
        outputs = tuned(make_inputs(), training=True)
        total = losses["fine_logits"](y["fine_logits"], outputs["fine_logits"], sample_weight=sample_weight["fine_logits"])
    bert_ids = {id(w) for w in tuned.text_backbone.weights}
    bert_variables = [v for v in tuned.trainable_variables if id(v) in bert_ids]
    assert len(bert_variables) == len(tuned.text_backbone.weights)
    gradients = tape.gradient(total, bert_variables)
    without = {v.path for v, g in zip(bert_variables, gradients) if g is None}
    # Only BERT's [CLS] pooler is outside the graph: CLEAR pools the sequence output.
    assert without == {v.path for v in tuned.text_backbone.get_layer("pooled_dense").weights}


def test_config_round_trip_and_keras_file(model, tmp_path):
    config = model.get_config()
    assert json.loads(json.dumps(config)) == config
    inputs = make_inputs()
    path = str(tmp_path / "clear.keras")
    model.save(path)
    reloaded = keras.saving.load_model(path)
    assert isinstance(reloaded, CLEAR)
    assert reloaded.get_config() == config
    expected, actual = model(inputs), reloaded(inputs)
    for name in expected:
        np.testing.assert_allclose(actual[name], expected[name], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(
        reloaded.video_encoder(inputs["features"]), model.video_encoder(inputs["features"]), atol=1e-6
    )


def test_fine_clip_evidence_adds_to_the_fine_logit_and_round_trips(backbone, tmp_path):
    model = CLEAR(backbone, **TINY, moment_pooling="scaled_sum", fine_clip_evidence=True)
    inputs = make_inputs()
    outputs = model(inputs)
    position_map = np.asarray(model.video_encoder(inputs["features"]))
    flat = {key: inputs[key].reshape(-1, TOKENS) for key in ("token_ids", "padding_mask")}
    queries = np.asarray(model.query_encoder(flat)).reshape(BATCH, SLOTS, HIDDEN)
    head = np.asarray(model.fine_head(queries[:, :, None, None] * position_map[:, None]))
    clip_scores = np.einsum("bkd,btd->bkt", queries, np.diagonal(position_map, axis1=1, axis2=2).transpose(0, 2, 1))
    evidence = reference_clip_evidence(clip_scores.reshape(-1, CLIPS) / HIDDEN, 1.0, 1.0)
    valid = moments.valid_mask(CLIPS)
    expected = head + evidence.reshape(BATCH, SLOTS, CLIPS, CLIPS)
    np.testing.assert_allclose(
        np.asarray(outputs["fine_logits"])[..., valid], expected[..., valid], rtol=1e-4, atol=1e-4
    )
    assert np.all(np.asarray(outputs["fine_logits"])[..., ~valid] == -1e4)
    np.testing.assert_allclose(np.asarray(model.score_maps(position_map[0], queries[0]))[:, valid],
                               1 / (1 + np.exp(-expected[0][:, valid])), rtol=1e-4, atol=1e-5)
    path = str(tmp_path / "evidence.keras")
    model.save(path)
    reloaded = keras.saving.load_model(path)
    assert reloaded.get_config()["fine_clip_evidence"] is True
    np.testing.assert_allclose(reloaded(inputs)["fine_logits"], outputs["fine_logits"], rtol=1e-5, atol=1e-5)


def test_confidence_maps_show_the_fine_score_the_search_ranks_by(backbone):
    from clear_tf.models.clear import search

    model = CLEAR(backbone, **TINY, moment_pooling="scaled_sum", fine_clip_evidence=True)
    inputs = make_inputs()
    features, token_ids = inputs["features"][0], inputs["token_ids"][0]
    padding_mask = inputs["padding_mask"][0].astype(bool)
    # Inference options as the export has them: the search's do not shape a map.
    picked = {"method": "clear", "mu": -0.5, "evidence_threshold": 1.0, "fine_mlp_weight": 0.0}
    assert model.map_options(picked) == {"evidence_threshold": 1.0, "fine_mlp_weight": 0.0}
    maps = np.asarray(model.confidence_maps(features, token_ids, padding_mask, **model.map_options(picked)))
    video = model.encode_video(features)
    queries = model.encode_queries(token_ids, padding_mask)
    evidence = np.asarray(search.clip_evidence_map(model, video, queries, 1.0))
    valid = moments.valid_mask(CLIPS)
    np.testing.assert_allclose(maps[:, valid], 1 / (1 + np.exp(-evidence[:, valid])), rtol=1e-4, atol=1e-5)
    assert np.all(maps[:, ~valid] == 0)
    trained = np.asarray(model.confidence_maps(features, token_ids, padding_mask))
    assert not np.allclose(trained[:, valid], maps[:, valid], atol=1e-3)


def test_linear_query_and_feature_dropout_round_trip(backbone, tmp_path):
    model = CLEAR(backbone, **TINY, use_tcn=False, query_activation="linear", feature_dropout=0.5)
    inputs = make_inputs()
    flat = {key: inputs[key].reshape(-1, TOKENS) for key in ("token_ids", "padding_mask")}
    queries = np.asarray(model.query_encoder(flat))
    assert (queries < 0).any(), "a linear query projection keeps the negative part of q"
    # Dropout acts in training only: inference is deterministic, training is not.
    features = inputs["features"]
    np.testing.assert_array_equal(model.video_encoder(features), model.video_encoder(features))
    assert not np.allclose(model.video_encoder(features, training=True), model.video_encoder(features))
    path = str(tmp_path / "linear_query.keras")
    model.save(path)
    reloaded = keras.saving.load_model(path)
    assert (reloaded.query_activation, reloaded.feature_dropout) == ("linear", 0.5)
    np.testing.assert_allclose(reloaded(inputs)["fine_logits"], model(inputs)["fine_logits"], rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="query_activation must be one of"):
        CLEAR(backbone, **TINY, query_activation="tanh")


def test_sparse_conv_variant(backbone):
    sparse = CLEAR(
        backbone,
        **{**TINY, "num_clips": 16, "num_pre_clips": 32},
        moment_map="sparse",
        pooling_counts=[3, 2, 2],
        fine_head_type="conv",
        fine_head_kernel_size=3,
    )
    expected_mask = moments.sparse_mask(16, (3, 2, 2))
    for i, j in moments.anchor_positions(16, 5):
        expected_mask[i, j] = True
    np.testing.assert_array_equal(sparse.candidate_mask, expected_mask)
    inputs = make_inputs()
    inputs["features"] = np.random.default_rng(4).normal(size=(BATCH, 32, DIM)).astype(np.float32)
    logits = np.asarray(sparse(inputs)["fine_logits"])
    assert np.all(logits[..., ~expected_mask] == -1e4) and np.all(logits[..., expected_mask] > -1e3)
    assert sparse.fine_head_type == "conv"


def test_without_tcn_clear_v(backbone):
    clear_v = CLEAR(backbone, **{**TINY, "use_tcn": False})
    assert not any(layer.name == "bi_tcn" for layer in clear_v.video_encoder.layers)
    inputs = make_inputs()
    assert clear_v(inputs)["fine_logits"].shape == (BATCH, SLOTS, CLIPS, CLIPS)
    # J by hand without the TCN: average the N/L units of each clip, max-pool clips i..j,
    # then the moment MLP (Dense + ReLU), zero outside the candidates i <= j.
    features = inputs["features"].astype(np.float64)
    clips = features.reshape(BATCH, CLIPS, UNITS // CLIPS, DIM).mean(axis=2)
    pooled = np.zeros((BATCH, CLIPS, CLIPS, DIM))
    for i in range(CLIPS):
        for j in range(i, CLIPS):
            pooled[:, i, j] = clips[:, i : j + 1].max(axis=1)
    kernel, bias = (np.asarray(w) for w in clear_v.video_encoder.get_layer("moment_mlp_0").weights)
    expected = np.maximum(pooled @ kernel + bias, 0.0) * moments.valid_mask(CLIPS)[..., None]
    position_map = np.asarray(clear_v.video_encoder(inputs["features"]))
    np.testing.assert_allclose(position_map, expected, rtol=1e-5, atol=1e-5)
    # The full model's coarse scores read that same J.
    queries = np.asarray(
        clear_v.query_encoder(
            {
                "token_ids": inputs["token_ids"].reshape(-1, TOKENS),
                "padding_mask": inputs["padding_mask"].reshape(-1, TOKENS),
            }
        )
    ).reshape(BATCH, SLOTS, HIDDEN)
    np.testing.assert_allclose(
        clear_v(inputs)["coarse_scores"],
        np.einsum("bkd,bijd->bkij", queries, expected) / HIDDEN,
        rtol=1e-4,
        atol=1e-5,
    )


def test_dropout_is_active_only_in_training(model):
    """TINY has dropout 0.3 (Bi-TCN and fine head): training calls are random, inference ones not."""
    inputs = make_inputs()

    def fine(outputs):
        return np.asarray(outputs["fine_logits"])[..., moments.valid_mask(CLIPS)]

    first, second = fine(model(inputs, training=True)), fine(model(inputs, training=True))
    assert np.abs(first - second).max() > 1e-3, "dropout must change a training call"
    inference = fine(model(inputs, training=False))
    np.testing.assert_array_equal(fine(model(inputs, training=False)), inference)
    np.testing.assert_array_equal(fine(model(inputs)), inference)
    assert np.abs(first - inference).max() > 1e-3
    # The video encoder alone (Bi-TCN dropout) and the fine head alone (MLP dropout).
    features = inputs["features"]
    assert not np.allclose(model.video_encoder(features, training=True), model.video_encoder(features, training=True))
    np.testing.assert_array_equal(model.video_encoder(features, training=False), model.video_encoder(features))
    fused = np.random.default_rng(5).normal(size=(4, HIDDEN)).astype(np.float32)
    assert not np.allclose(model.fine_head(fused, training=True), model.fine_head(fused, training=True))
    np.testing.assert_array_equal(model.fine_head(fused, training=False), model.fine_head(fused))
    # The sentence-vector training view shares the dropout layers and obeys the flag too.
    view = model.sentence_vector_model()
    view_inputs = {
        "features": features,
        "sentence_embedding": np.random.default_rng(6)
        .normal(size=(BATCH, SLOTS, model.text_backbone.hidden_dim))
        .astype(np.float32),
    }
    assert not np.allclose(fine(view(view_inputs, training=True)), fine(view(view_inputs, training=True)))
    np.testing.assert_array_equal(fine(view(view_inputs, training=False)), fine(view(view_inputs)))


def test_bad_configs_are_errors(backbone):
    with pytest.raises(ValueError, match="do not fit"):
        CLEAR(backbone, **{**TINY, "num_clips": 2, "tree_depth": 4})
    with pytest.raises(ValueError, match="multiple of num_clips"):
        CLEAR(backbone, **{**TINY, "num_pre_clips": 20})
    with pytest.raises(ValueError, match="moment_map"):
        CLEAR(backbone, **{**TINY, "moment_map": "diagonal"})


def test_registry_and_config_builder():
    assert model_class("clear") is CLEAR
    with pytest.raises(ValueError, match="--model='2d-tan'"):
        model_class("2d-tan")
    config = Config()
    config.data.num_pre_clips, config.data.num_clips = 32, 16
    config.model.hidden_dim, config.model.tcn_channels, config.model.tree_depth = 8, [8], 2
    config.model.fine_head, config.model.moment_map = "conv", "sparse"
    config.model.fine_initial_probability = 0.2
    config.model.fine_clip_evidence = True
    config.model.query_activation, config.model.feature_dropout = "linear", 0.25
    built = build_model(config, feature_dim=DIM)
    assert built.clip_evidence is not None and built.fine_clip_evidence
    assert (built.query_activation, built.feature_dropout) == ("linear", 0.25)
    assert (built.num_clips, built.hidden_dim, built.tree_depth, built.fine_head_type) == (16, 8, 2, "conv")
    np.testing.assert_allclose(built.fine_head.logit_layer.bias.numpy(), [np.log(0.2 / 0.8)], rtol=1e-6)
    assert built.video_encoder.output.shape == (None, 16, 16, 8)


def test_keras_train_step_with_build_losses(model):
    """compile + train_on_batch runs, and compute_loss equals the losses by hand."""
    config = Config()
    config.model.hidden_dim, config.model.tree_depth = HIDDEN, 3
    losses, weights = CLEAR.build_losses(config)
    inputs = make_inputs()
    y, sample_weight = make_targets()
    trainee = CLEAR(model.text_backbone, **TINY)
    trainee.compile(optimizer="adam", loss=losses, loss_weights=weights)
    outputs = trainee(inputs)
    value = trainee.compute_loss(x=inputs, y=y, y_pred=outputs, sample_weight=sample_weight)
    by_hand = sum(
        weights[name] * float(losses[name](y[name], outputs[name], sample_weight=sample_weight[name]))
        for name in losses
    )
    np.testing.assert_allclose(float(value), by_hand, rtol=1e-5)
    assert np.all(np.isfinite(trainee.train_on_batch(inputs, y, sample_weight=sample_weight)))


@pytest.mark.slow
def test_mirrored_strategy_step_equals_single_device_step():
    script = os.path.join(os.path.dirname(__file__), "mirrored_step.py")
    result = subprocess.run(
        [sys.executable, script], capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["replicas"] == 2
    assert report["max_weight_change"] > 1e-3, "the step must move the weights"
    np.testing.assert_allclose(report["mirrored_loss"], report["single_loss"], rtol=1e-5)
    assert report["max_weight_difference"] < 1e-5
