"""SpanBoundaryTerms against a brute-force sum; CLEAR's J by hand with --moment_boundaries and --moment_pooling=scaled_sum."""

import numpy as np
import pytest

from clear_tf import moments, text_presets
from clear_tf.config import Config
from clear_tf.models import build_model
from clear_tf.models.clear import CLEAR
from clear_tf.models.clear.span_boundaries import SpanBoundaryTerms
from tests.test_helpers import run_layer_serialization_test


def brute_force_terms(clips, first_before, bias, last_after):
    """Cell (i, j): [c_i, c_(i-1)]·W_row + b + [c_j, c_(j+1)]·W_col, zeros past the edges."""
    batch, num_clips, channels = clips.shape
    padded = np.concatenate([np.zeros((batch, 1, channels)), clips, np.zeros((batch, 1, channels))], axis=1)
    out = np.zeros((batch, num_clips, num_clips, last_after.shape[-1]))
    for i in range(num_clips):
        for j in range(num_clips):
            row = np.concatenate([padded[:, i + 1], padded[:, i]], axis=-1)
            column = np.concatenate([padded[:, j + 1], padded[:, j + 2]], axis=-1)
            out[:, i, j] = row @ first_before + bias + column @ last_after
    return out


@pytest.mark.parametrize("num_clips", [1, 2, 7])
def test_terms_equal_brute_force(num_clips):
    clips = np.random.default_rng(num_clips).normal(size=(2, num_clips, 3)).astype(np.float32)
    layer = SpanBoundaryTerms(hidden_dim=4)
    result = np.asarray(layer(clips))
    expected = brute_force_terms(clips.astype(np.float64), *(np.asarray(w, np.float64) for w in layer.get_weights()))
    assert result.shape == (2, num_clips, num_clips, 4)
    np.testing.assert_allclose(result, expected, rtol=1e-5, atol=1e-5)


def test_terms_tell_apart_spans_with_the_same_max():
    # Clips 1..2 show the moment (large); spans (1, 2) and (0, 3) have the same max-pool
    # but different boundary clips, so the terms differ.
    clips = np.array([[[0.0], [5.0], [5.0], [0.0]]], np.float32)
    terms = np.asarray(SpanBoundaryTerms(hidden_dim=2)(clips))
    assert not np.allclose(terms[0, 1, 2], terms[0, 0, 3])


def test_serialization_round_trip():
    clips = np.random.default_rng(0).normal(size=(2, 5, 3)).astype(np.float32)
    run_layer_serialization_test(SpanBoundaryTerms, {"hidden_dim": 4}, clips, atol=1e-5)


def test_clear_with_moment_boundaries_j_by_hand(tiny_text_preset):
    backbone = text_presets.load_backbone(tiny_text_preset)
    units, dim, num_clips, hidden = 16, 6, 8, 5
    model = CLEAR(
        backbone, feature_dim=dim, num_pre_clips=units, num_clips=num_clips, hidden_dim=hidden,
        use_tcn=False, tree_depth=2, moment_boundaries=True,
    )
    assert model.get_config()["moment_boundaries"] is True
    features = np.random.default_rng(2).normal(size=(2, units, dim))
    clips = features.reshape(2, num_clips, units // num_clips, dim).mean(axis=2)
    pooled = np.zeros((2, num_clips, num_clips, dim))
    for i in range(num_clips):
        for j in range(i, num_clips):
            pooled[:, i, j] = clips[:, i : j + 1].max(axis=1)
    kernel, bias = (np.asarray(w, np.float64) for w in model.video_encoder.get_layer("moment_mlp_0").weights)
    boundary_weights = [np.asarray(w, np.float64) for w in model.video_encoder.get_layer("span_boundaries").weights]
    pre_activation = pooled @ kernel + bias + brute_force_terms(clips, *boundary_weights)
    expected = np.maximum(pre_activation, 0.0) * moments.valid_mask(num_clips)[..., None]
    position_map = np.asarray(model.video_encoder(features.astype(np.float32)))
    np.testing.assert_allclose(position_map, expected, rtol=1e-4, atol=1e-5)


def test_flag_reaches_the_model(tiny_text_preset):
    config = Config()
    config.data.num_pre_clips, config.data.num_clips = 16, 8
    config.model.hidden_dim, config.model.tcn_channels, config.model.tree_depth = 8, [8], 2
    config.model.text_preset, config.model.moment_boundaries = tiny_text_preset, True
    model = build_model(config, feature_dim=4)
    assert model.moment_boundaries
    assert "span_boundaries" in [layer.name for layer in model.video_encoder.layers]
    assert "span_boundaries" in model.model_stats()["flops_per_video"]


def test_clear_with_sum_pooling_j_by_hand(tiny_text_preset):
    """Scaled-sum pooling: the linear first layer on every clip, summed over clips i..j
    (its bias counted once per clip) over sqrt(j - i + 1), plus the boundary terms when asked; no ReLU."""
    backbone = text_presets.load_backbone(tiny_text_preset)
    units, dim, num_clips, hidden = 16, 6, 8, 5
    features = np.random.default_rng(3).normal(size=(2, units, dim))
    clips = features.reshape(2, num_clips, units // num_clips, dim).mean(axis=2)
    for boundaries in (False, True):
        model = CLEAR(
            backbone, feature_dim=dim, num_pre_clips=units, num_clips=num_clips, hidden_dim=hidden,
            use_tcn=False, tree_depth=2, moment_pooling="scaled_sum", moment_boundaries=boundaries,
        )
        kernel, bias = (np.asarray(w, np.float64) for w in model.video_encoder.get_layer("moment_mlp_0").weights)
        projected = clips @ kernel + bias
        expected = np.zeros((2, num_clips, num_clips, hidden))
        for i in range(num_clips):
            for j in range(i, num_clips):
                expected[:, i, j] = projected[:, i : j + 1].sum(axis=1) / np.sqrt(j - i + 1)
        if boundaries:
            weights = [np.asarray(w, np.float64) for w in model.video_encoder.get_layer("span_boundaries").weights]
            expected += brute_force_terms(clips, *weights)
        expected *= moments.valid_mask(num_clips)[..., None]
        position_map = np.asarray(model.video_encoder(features.astype(np.float32)))
        np.testing.assert_allclose(position_map, expected, rtol=1e-4, atol=1e-4)
        assert model.get_config()["moment_pooling"] == "scaled_sum"
        assert model.model_stats()["flops_per_video"]["moment_mlp"] == num_clips * dim * hidden * 2
