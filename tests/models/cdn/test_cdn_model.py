"""CDN: outputs, the fusion, the training view, saving, training, inference, export, config, stats."""

import numpy as np
import pytest
import tensorflow as tf

import map_model_checks as checks
from clear_tf import config as config_lib
from clear_tf.models import model_class
from clear_tf.models.cdn import CDN, CDNConfig

TINY = dict(
    hidden_dim=8, pooling_counts=[3, 2], map_layers=2, map_kernel_size=3, dynamic_layers=1,
    num_experts=2, frame_attention_dim=4,
)


@pytest.fixture(scope="module", params=["pool", "conv"])
def config(request, tiny_text_preset):
    return checks.tiny_run_config("cdn", tiny_text_preset, variant=request.param, **TINY)


@pytest.fixture(scope="module")
def model(config):
    return checks.build(config)


@pytest.fixture(scope="module")
def tokenizer(config):
    from clear_tf.data.query_tokenizer import QueryTokenizer

    return QueryTokenizer(config.model.text_preset, config.data.max_query_tokens)


def test_registered_and_built_from_the_config(model, config):
    assert model_class("cdn") is CDN and isinstance(model, CDN)
    assert (model.variant, model.dynamic_layers, model.num_experts) == (config.model.variant, 1, 2)
    assert model.get_layer("video_encoder").get_layer("frame_attention").num_clips == 8
    assert model.inference_methods == ("cdn",)


def test_output_shapes_and_masked_cells(model):
    checks.check_output_shapes_and_masked_cells(model)


def test_fusion_and_dynamic_head_see_the_query(model):
    inputs = checks.make_inputs(model)
    position_map = np.asarray(model.video_encoder(inputs["features"]))
    flat = {name: inputs[name].reshape(-1, checks.TOKENS) for name in ("token_ids", "padding_mask")}
    queries = np.asarray(model.query_encoder(flat)).reshape(checks.BATCH, checks.SLOTS, -1)
    assert np.all(np.abs(queries) <= 1.0)  # the tanh projection (the LSTM's bounded state)
    layers = model._interaction
    text = np.asarray(layers["text_projection"](queries))
    fused = np.asarray(layers["normalize"](layers["fusion"]([text, position_map])))
    candidates = np.asarray(model.candidate_mask)
    product = text[:, :, None, None, :] * position_map[:, None]
    expected = product / np.linalg.norm(product, axis=-1, keepdims=True)
    np.testing.assert_allclose(fused[..., candidates, :], expected[..., candidates, :], rtol=1e-5, atol=1e-6)
    assert np.all(fused[..., ~candidates, :] == 0)
    # The head's kernels depend on the query: the same map with two queries, two kernels.
    dynamic = model.map_conv.convolutions[0]
    maps = np.repeat(fused[0, :1], 2, axis=0)
    kernels, _ = dynamic.generated_kernels(maps, queries[0, :2])
    assert not np.allclose(np.asarray(kernels)[0], np.asarray(kernels)[1])


def test_sentence_vector_view(model, config):
    checks.check_sentence_vector_view(model, config.model.text_preset)


def test_keras_round_trip(model, tmp_path):
    checks.check_keras_round_trip(model, tmp_path)


@pytest.mark.slow
def test_loss_decreases(config):
    checks.check_loss_decreases(checks.build(config, seed=1), config)


def test_localize_and_confidence_maps(model, tokenizer):
    checks.check_localize(model, tokenizer)


@pytest.mark.slow
def test_export_and_localizer(model, config, tmp_path):
    checks.check_export_and_localizer(model, config, tmp_path)


@pytest.mark.slow
def test_train_end_to_end(tiny_text_preset, tmp_path):
    checks.check_train_end_to_end("cdn", tiny_text_preset, tmp_path, variant="pool", **TINY)


def test_model_stats(model):
    stats = model.model_stats(num_tokens=12)
    parameters = stats["parameters"]
    assert parameters["total"] == model.count_params()
    assert parameters["trainable"] + parameters["frozen"] == parameters["total"]
    per_query = stats["flops_per_query"]
    # Two 3×3 blocks of width 8 on the 8×8 map ("same"), then the logit.
    assert per_query["map_conv"] == 2 * 64 * 9 * 8 * 8 * 2 + 64 * 8 * 2
    # One dynamic block mixes 2 experts of 3·3·8·8 weights.
    assert per_query["dynamic_kernels"] > 2 * 9 * 8 * 8 * 2
    assert per_query["total"] == sum(v for k, v in per_query.items() if k not in ("total", "num_candidates"))


def test_flags_and_validation():
    config = config_lib.config_from_values(
        {"model": "cdn", "num_clips": 32, "num_pre_clips": 64, "pooling_counts": [15, 8], "variant": "conv"}
    )
    assert isinstance(config.model, CDNConfig)
    assert (config.model.dynamic_layers, config.model.num_experts, config.model.map_kernel_size) == (4, 8, 5)
    config_lib.validate(config)
    bad = {
        "dynamic_layers": (9, "--dynamic_layers must be in"),
        "map_kernel_size": (4, "odd kernel"),
        "expert_dropout": (1.0, "--expert_dropout"),
        "num_experts": (0, "--num_experts must be positive"),
    }
    for name, (value, message) in bad.items():
        broken = config_lib.config_from_values({**config_lib.flag_values(config), name: value})
        with pytest.raises(ValueError, match=message):
            config_lib.validate(broken)
    with pytest.raises(ValueError, match="belongs to --model=cdn, not to --model=tan2d"):
        config_lib.config_from_values({"model": "tan2d", "num_experts": 2})
