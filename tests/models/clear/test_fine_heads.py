import numpy as np
import pytest

from clear_tf import layers, moments
from clear_tf.models.clear.mlp_fine_head import MLPFineHead
from clear_tf.models.clear.model import FINE_HEADS
from tests.test_helpers import run_layer_serialization_test


def test_clear_offers_both_heads():
    assert FINE_HEADS == {"mlp": MLPFineHead, "conv": layers.ConvFineHead}


def test_mlp_head_is_pointwise_on_any_leading_shape():
    head = MLPFineHead(hidden_dim=8, num_layers=3)
    fused = np.random.default_rng(0).normal(size=(2, 3, 6, 6, 4)).astype(np.float32)
    full = np.asarray(head(fused))
    assert full.shape == (2, 3, 6, 6)
    kept = np.asarray(head(fused[1, 2][moments.valid_mask(6)]))
    np.testing.assert_allclose(kept, full[1, 2][moments.valid_mask(6)], rtol=1e-5, atol=1e-6)


def test_single_layer_mlp_head_is_linear():
    head = MLPFineHead(hidden_dim=8, num_layers=1)
    fused = np.random.default_rng(1).normal(size=(5, 4)).astype(np.float32)
    result = np.asarray(head(fused))
    kernel, bias = head.logit_layer.get_weights()
    np.testing.assert_allclose(result, fused @ kernel[:, 0] + bias[0], rtol=1e-5, atol=1e-6)


def test_conv_head_masks_after_every_convolution():
    head = layers.ConvFineHead(hidden_dim=4, num_layers=3, kernel_size=3)
    valid = moments.valid_mask(6)
    fused = np.random.default_rng(2).normal(size=(2, 3, 6, 6, 4)).astype(np.float32)
    fused = np.where(valid[:, :, None], fused, 0.0).astype(np.float32)
    logits = np.asarray(head(fused))
    assert logits.shape == (2, 3, 6, 6)

    def stack(masked):
        x = fused.reshape(-1, 6, 6, 4)
        for conv in head.hidden_layers:
            x = np.asarray(conv(x))
            if masked:
                x = x * valid[:, :, None]
        return np.asarray(head.logit_layer(x))[..., 0].reshape(2, 3, 6, 6)

    np.testing.assert_allclose(logits, stack(masked=True), rtol=1e-5, atol=1e-5)
    # Without the masks, activations below the diagonal leak into candidate cells.
    assert not np.allclose(logits[..., valid], stack(masked=False)[..., valid], atol=1e-4)


def test_serialization():
    fused = np.random.default_rng(3).normal(size=(2, 8, 8, 4)).astype(np.float32)
    run_layer_serialization_test(MLPFineHead, {"hidden_dim": 6, "num_layers": 2, "dropout": 0.2}, fused)
    run_layer_serialization_test(
        layers.ConvFineHead,
        {"hidden_dim": 3, "num_layers": 2, "kernel_size": 3, "sparse": True, "pooling_counts": [2, 2], "num_anchors": 3},
        fused,
    )


@pytest.mark.parametrize("head_class", [MLPFineHead, layers.ConvFineHead])
def test_initial_logit_sets_the_untrained_heads_output(head_class):
    """A zero input gives the logit layer's bias alone: the chosen starting logit."""
    head = head_class(hidden_dim=4, num_layers=2, initial_logit=-3.1)
    logits = np.asarray(head(np.zeros((2, 6, 6, 4), np.float32)))
    np.testing.assert_allclose(logits, -3.1, rtol=1e-6)


def test_serialization_keeps_the_initial_logit():
    fused = np.random.default_rng(5).normal(size=(2, 8, 8, 4)).astype(np.float32)
    options = {"hidden_dim": 6, "num_layers": 2, "initial_logit": -2.5}
    run_layer_serialization_test(MLPFineHead, options, fused)
    run_layer_serialization_test(layers.ConvFineHead, {**options, "kernel_size": 3}, fused)
