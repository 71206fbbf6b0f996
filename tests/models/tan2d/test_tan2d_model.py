"""TAN2D: outputs, the normalised fusion, the training view, saving, training, inference, config, stats."""

import numpy as np
import pytest
import tensorflow as tf

import map_model_checks as checks
from clear_tf import config as config_lib
from clear_tf.models import model_class
from clear_tf.models.tan2d import TAN2D, TAN2DConfig

TINY = dict(hidden_dim=8, pooling_counts=[3, 2], map_layers=2, map_kernel_size=3)


@pytest.fixture(scope="module", params=["pool", "conv"])
def config(request, tiny_text_preset):
    return checks.tiny_run_config("tan2d", tiny_text_preset, variant=request.param, **TINY)


@pytest.fixture(scope="module")
def model(config):
    return checks.build(config)


@pytest.fixture(scope="module")
def tokenizer(config):
    from clear_tf.data.query_tokenizer import QueryTokenizer

    return QueryTokenizer(config.model.text_preset, config.data.max_query_tokens)


def test_registered_and_built_from_the_config(model, config):
    assert model_class("tan2d") is TAN2D and isinstance(model, TAN2D)
    assert (model.variant, model.num_clips, model.hidden_dim, model.pooling_counts) == (
        config.model.variant, 8, 8, [3, 2]
    )
    assert model.inference_methods == ("tan2d",)


def test_output_shapes_and_masked_cells(model):
    checks.check_output_shapes_and_masked_cells(model)


def test_fusion_is_the_l2_normalised_hadamard_product(model):
    inputs = checks.make_inputs(model)
    position_map = np.asarray(model.video_encoder(inputs["features"]))
    queries = np.asarray(
        model.query_encoder(
            {
                "token_ids": inputs["token_ids"].reshape(-1, checks.TOKENS),
                "padding_mask": inputs["padding_mask"].reshape(-1, checks.TOKENS),
            }
        )
    ).reshape(checks.BATCH, checks.SLOTS, -1)
    candidates = np.asarray(model.candidate_mask)
    assert np.all(position_map[:, ~candidates] == 0)
    # 2D-TAN's text projection is linear: q takes negative values (no ReLU).
    assert (queries < 0).any()
    layers = model._interaction
    fused = np.asarray(layers["normalize"](layers["fusion"]([queries, position_map])))
    product = queries[:, :, None, None, :] * position_map[:, None]
    norms = np.linalg.norm(product, axis=-1, keepdims=True)
    np.testing.assert_allclose(fused[..., candidates, :], (product / norms)[..., candidates, :], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(fused[..., candidates, :], axis=-1), 1.0, rtol=1e-5)
    assert np.all(fused[..., ~candidates, :] == 0)


def test_sentence_vector_view(model, config):
    checks.check_sentence_vector_view(model, config.model.text_preset)


def test_keras_round_trip(model, tmp_path):
    checks.check_keras_round_trip(model, tmp_path)


def test_loss_decreases(config):
    model = checks.build(config, seed=1)
    checks.check_loss_decreases(model, config)


def test_losses_and_targets(model, config):
    losses, weights = model.build_losses(config)
    assert set(losses) == set(weights) == {"logits"}
    loss = losses["logits"]
    assert (loss.min_iou, loss.max_iou, loss.sparse, loss.pooling_counts) == (0.3, 0.7, True, [3, 2])
    iou = tf.constant(checks.iou_targets(model))
    targets = TAN2D.training_targets({"iou_map": iou}, config)
    assert set(targets) == {"logits"} and targets["logits"] is iou


def test_localize_and_confidence_maps(model, tokenizer):
    checks.check_localize(model, tokenizer)


def test_unknown_method_is_refused(model, tokenizer):
    token_ids, padding_mask = tokenizer(tf.constant(checks.QUERIES))
    with pytest.raises(ValueError, match="unknown inference method"):
        model.localize(np.zeros((16, 6), np.float32), token_ids, padding_mask, 10.0, method="clear")


def test_model_stats(model):
    stats = model.model_stats(num_tokens=12)
    parameters = stats["parameters"]
    assert parameters["total"] == model.count_params()
    assert parameters["trainable"] + parameters["frozen"] == parameters["total"]
    assert parameters["video_encoder"] + parameters["query_projection"] + parameters["map_conv"] == parameters["trainable"]
    per_query = stats["flops_per_query"]
    # Two 3×3 layers of width 8 on 8×8 input (first padded by 2: a 10×10 output), then the logit.
    expected_map = (10 * 10 + 8 * 8) * 9 * 8 * 8 * 2 + 8 * 8 * 8 * 2
    assert per_query["map_conv"] == expected_map
    assert per_query["num_candidates"] == int(model.candidate_mask.sum())
    assert per_query["total"] == sum(v for k, v in per_query.items() if k not in ("total", "num_candidates"))


def test_flags_and_validation(tiny_text_preset):
    config = config_lib.config_from_values({"model": "tan2d", "variant": "conv", "num_clips": 32, "num_pre_clips": 64,
                                            "pooling_counts": [15, 8], "hidden_dim": 64,
                                            "map_kernel_size": 4})
    assert isinstance(config.model, TAN2DConfig) and config.model.variant == "conv"
    assert config.model.map_layers == 8 and config.model.min_iou == 0.3  # 2D-TAN's TACoS defaults
    config_lib.validate(config)
    with pytest.raises(ValueError, match="belongs to --model=clear"):
        config_lib.config_from_values({"model": "tan2d", "tree_depth": 2})
    bad = {
        "variant": ("dense", "--variant='dense'"),
        "pooling_counts": ([15, 8, 8, 8], "more than --num_clips=32"),
        "map_layers": (3, "must be whole"),  # 3 layers × (4 - 1) / 2 is no whole padding
        "max_iou": (0.2, "--min_iou < --max_iou"),
    }
    for name, (value, message) in bad.items():
        broken = config_lib.config_from_values({**config_lib.flag_values(config), name: value})
        with pytest.raises(ValueError, match=message):
            config_lib.validate(broken)
