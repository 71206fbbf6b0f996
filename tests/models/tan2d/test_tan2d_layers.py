"""2D-TAN's layers: the sparse layout, SparsePropConv, the masked-conv weights and MapConv."""

import keras
import numpy as np
import pytest

from clear_tf import moments
from clear_tf.layers import MomentMap
from clear_tf.models.tan2d.map_conv import MapConv, tan2d_paddings
from clear_tf.models.tan2d.sparse_layout import (
    check_pooling_counts,
    masked_conv_weights,
    sparse_diagonals,
    tan2d_candidates,
)
from clear_tf.models.tan2d.sparse_prop_conv import SparsePropConv


def _original_cells(num_clips, num_scale_layers):
    """The cells of 2D-TAN's ``recover_to_original_map``, rewritten from its index rule.

    Level s has ``num_scale_layers[s]`` layers; the first multiplies the stride by 1
    (level 0) or 2; layer i of a level sits at offset ``accumulated + i·stride`` and
    starts every ``stride`` clips; ``accumulated`` grows by ``stride·(layers + 1)``.
    """
    cells, accumulated, stride = set(), 0, 1
    for level, layers in enumerate(num_scale_layers):
        for i in range(layers):
            if i == 0 and level > 0:
                stride *= 2
            for start in range(0, num_clips - accumulated - i * stride, stride):
                cells.add((start, start + accumulated + i * stride))
        accumulated += stride * (layers + 1)
    return cells


@pytest.mark.parametrize(
    "num_clips, pooling_counts, original", [(128, [15, 8, 8, 8], [16, 8, 8, 8]), (64, [15, 8, 8], [16, 8, 8])]
)
def test_sparse_sampling_is_2d_tans(num_clips, pooling_counts, original):
    mask = tan2d_candidates(num_clips, pooling_counts)
    assert set(zip(*np.nonzero(mask))) == _original_cells(num_clips, original)
    offsets = [offset for level in sparse_diagonals(pooling_counts) for _, offset in level]
    assert offsets[:17] == list(range(16)) + [17]
    assert offsets[-1] == num_clips - 1


def test_pooling_counts_must_fit_the_map():
    check_pooling_counts([15, 8], 32)
    with pytest.raises(ValueError, match="up to 36 clips, more than --num_clips=32"):
        check_pooling_counts([15, 8, 1], 32)
    with pytest.raises(ValueError, match="positive counts"):
        check_pooling_counts([15, 0], 64)


def test_masked_conv_weights_by_hand():
    mask = np.zeros((4, 4), bool)
    mask[0, 0] = mask[0, 3] = True
    grown, weight = masked_conv_weights(mask, kernel_size=3, padding=1)
    expected_counts = np.array([[1, 1, 1, 1], [1, 1, 1, 1], [0, 0, 0, 0], [0, 0, 0, 0]])
    np.testing.assert_array_equal(grown, expected_counts > 0)
    np.testing.assert_allclose(weight, np.where(expected_counts > 0, 1.0 / np.maximum(expected_counts, 1), 0))
    # 2D-TAN's first layer: the padding grows the map, the count averages the valid cells.
    grown, weight = masked_conv_weights(np.eye(3, dtype=bool), kernel_size=3, padding=2)
    assert grown.shape == (5, 5) and weight[2, 2] == pytest.approx(1 / 3) and weight[0, 4] == 0


def test_paddings_are_2d_tans():
    assert tan2d_paddings(8, 5) == [16, 0, 0, 0, 0, 0, 0, 0]  # TACoS K5L8
    assert tan2d_paddings(4, 9) == [16, 0, 0, 0]  # ActivityNet K9L4
    with pytest.raises(ValueError, match="even"):
        tan2d_paddings(3, 4)


def _set_conv_taps(layer, tap):
    """Kernel-k convolutions that copy input tap ``tap(k)`` (one channel), no bias."""
    for conv in layer.convolutions:
        kernel = np.zeros((conv.kernel_size[0], 1, 1), np.float32)
        kernel[tap(conv.kernel_size[0]), 0, 0] = 1.0
        conv.set_weights([kernel, np.zeros(1, np.float32)])


def test_sparse_prop_conv_places_every_output_on_its_moment():
    num_clips, counts = 16, [7, 4]
    layer = SparsePropConv(hidden_dim=1, pooling_counts=counts)
    clips = np.arange(1, num_clips + 1, dtype=np.float32)[None, :, None]
    layer(clips)
    mask = tan2d_candidates(num_clips, counts)
    rows, cols = np.meshgrid(np.arange(num_clips), np.arange(num_clips), indexing="ij")
    # Taking the first tap everywhere follows the receptive field's start clip ...
    _set_conv_taps(layer, lambda k: 0)
    np.testing.assert_array_equal(np.asarray(layer(clips))[0, ..., 0], np.where(mask, rows + 1, 0))
    # ... and the last tap its end clip: every output sits at (start, end) of its field.
    _set_conv_taps(layer, lambda k: k - 1)
    np.testing.assert_array_equal(np.asarray(layer(clips))[0, ..., 0], np.where(mask, cols + 1, 0))


def test_sparse_prop_conv_shapes_and_round_trip():
    layer = SparsePropConv(hidden_dim=4, pooling_counts=[3, 2])
    clips = np.random.default_rng(0).normal(size=(2, 8, 3)).astype(np.float32)
    out = np.asarray(layer(clips))
    assert out.shape == (2, 8, 8, 4)
    assert np.all(out[:, ~tan2d_candidates(8, [3, 2])] == 0)
    # 1 kernel-1 conv + 3 kernel-2 convs + 1 kernel-3 + 1 kernel-2 (2D-TAN's [4, 2]).
    assert [conv.kernel_size[0] for conv in layer.convolutions] == [1, 2, 2, 2, 3, 2]
    clone = SparsePropConv.from_config(layer.get_config())
    clone(clips)
    clone.set_weights(layer.get_weights())
    np.testing.assert_array_equal(np.asarray(clone(clips)), out)


def test_pool_variant_is_max_over_the_moment():
    """2D-TAN Pool's value at (i, j) is the max over clips i..j (the shared MomentMap)."""
    clips = np.random.default_rng(1).normal(size=(1, 16, 2)).astype(np.float32)
    maps = np.asarray(MomentMap(sparse=True, pooling_counts=[7, 4])(clips))
    mask = tan2d_candidates(16, [7, 4])
    for i, j in zip(*np.nonzero(mask)):
        np.testing.assert_allclose(maps[0, i, j], clips[0, i : j + 1].max(axis=0))
    assert np.all(maps[0, ~mask] == 0)


def _reference_map_conv(layer, fused):
    """MapConv by hand in NumPy: zero padding, valid convolutions, ReLU, the 1/n weights, the logit."""
    mask = tan2d_candidates(fused.shape[1], layer.pooling_counts)
    x = fused
    for conv, padding in zip(layer.convolutions, layer.paddings):
        kernel, bias = conv.get_weights()
        k = kernel.shape[0]
        x = np.pad(x, [(0, 0), (padding, padding), (padding, padding), (0, 0)])
        size = x.shape[1] - k + 1
        out = np.zeros((x.shape[0], size, size, kernel.shape[-1]), np.float64)
        for di in range(k):
            for dj in range(k):
                out += np.einsum("nhwc,cf->nhwf", x[:, di : di + size, dj : dj + size], kernel[di, dj])
        mask, weight = masked_conv_weights(mask, k, padding)
        x = np.maximum(out + bias, 0) * weight[None, :, :, None]
    kernel, bias = layer.logit_layer.get_weights()
    return np.einsum("nhwc,c->nhw", x, kernel[0, 0, :, 0]) + bias[0], mask


def test_map_conv_values_by_hand():
    keras.utils.set_random_seed(0)
    layer = MapConv(hidden_dim=4, num_layers=2, kernel_size=3, pooling_counts=[2])
    fused = np.random.default_rng(2).normal(size=(3, 8, 8, 5)).astype(np.float32)
    logits = np.asarray(layer(fused))
    expected, final_mask = _reference_map_conv(layer, fused)
    np.testing.assert_allclose(logits, expected, rtol=1e-4, atol=1e-5)
    # Cells that no valid cell reaches after the two 3×3 layers hold only the logit bias.
    hidden = np.asarray(layer.hidden_maps(fused))
    assert not final_mask.all()
    assert np.all(hidden[:, ~final_mask] == 0)


def test_map_conv_leading_axes_and_round_trip():
    layer = MapConv(hidden_dim=4, num_layers=2, kernel_size=3, pooling_counts=[3, 2])
    fused = np.random.default_rng(3).normal(size=(2, 3, 8, 8, 4)).astype(np.float32)
    logits = np.asarray(layer(fused))
    assert logits.shape == (2, 3, 8, 8)
    np.testing.assert_allclose(logits[1, 2], np.asarray(layer(fused[1]))[2], atol=1e-6)
    clone = MapConv.from_config(layer.get_config())
    clone(fused)
    clone.set_weights(layer.get_weights())
    np.testing.assert_array_equal(np.asarray(clone(fused)), logits)
    assert clone.get_config()["pooling_counts"] == [3, 2] and clone.paddings == [2, 0]


def test_moments_sparse_mask_is_the_candidate_set():
    np.testing.assert_array_equal(tan2d_candidates(32, [15, 8]), moments.sparse_mask(32, (15, 8)))
