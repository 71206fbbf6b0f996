import numpy as np
import pytest

from clear_tf.models.clear.bi_tcn import BiTCN
from tests.test_helpers import run_layer_serialization_test


def _numpy_bi_tcn(units, blocks, kernel_size):
    """Eq. 1 by hand: per block, x ← residual(x) + relu(b + Σ_m W_m · x[t + (m - k//2)·d])."""
    x = units.astype(np.float64)
    half = kernel_size // 2
    for dilation, (kernel, bias, projection) in zip((1, 2, 4, 8), blocks):
        length = x.shape[1]
        conv = np.zeros((x.shape[0], length, kernel.shape[-1])) + bias
        for t in range(length):
            for m in range(kernel_size):
                source = t + (m - half) * dilation
                if 0 <= source < length:  # zero padding on both sides
                    conv[:, t] += x[:, source] @ kernel[m]
        residual = x if projection is None else x @ projection[0][0] + projection[1]
        x = residual + np.maximum(conv, 0.0)
    return x


def test_one_block_is_a_centred_cross_correlation_plus_the_residual():
    tcn = BiTCN([1], kernel_size=3, dropout=0.0)
    impulse = np.zeros((1, 9, 1), np.float32)
    impulse[0, 4, 0] = 1.0
    tcn(impulse)
    conv = tcn.convolutions[0]
    # Taps for x[t-1], x[t], x[t+1]: the impulse at t = 4 reaches t = 3, 4 and 5.
    conv.kernel.assign(np.array([1.0, 10.0, 100.0], np.float32).reshape(3, 1, 1))
    conv.bias.assign(np.zeros(1, np.float32))
    output = np.asarray(tcn(impulse))[0, :, 0]
    np.testing.assert_allclose(output, [0, 0, 0, 100, 11, 1, 0, 0, 0])


def test_output_equals_the_dilated_non_causal_convolutions_by_hand():
    rng = np.random.default_rng(0)
    units = rng.normal(size=(2, 11, 2)).astype(np.float32)
    tcn = BiTCN([3, 3, 2], kernel_size=3, dropout=0.5)
    tcn(units)
    blocks = []
    for conv, projection in zip(tcn.convolutions, tcn.projections):
        conv.kernel.assign(rng.normal(size=conv.kernel.shape).astype(np.float32))
        conv.bias.assign(rng.normal(size=conv.bias.shape).astype(np.float32) * 0.1)
        weights = None
        if projection is not None:
            projection.kernel.assign(rng.normal(size=projection.kernel.shape).astype(np.float32))
            projection.bias.assign(rng.normal(size=projection.bias.shape).astype(np.float32))
            weights = (np.asarray(projection.kernel), np.asarray(projection.bias))
        blocks.append((np.asarray(conv.kernel), np.asarray(conv.bias), weights))
    output = np.asarray(tcn(units))  # inference: dropout off
    assert output.shape == (2, 11, 2)
    # Dilations 1, 2, 4: with 11 units the last block's taps fall off both ends.
    np.testing.assert_allclose(output, _numpy_bi_tcn(units, blocks, 3), rtol=1e-4, atol=1e-5)


def test_is_non_causal_and_sees_the_dilated_receptive_field():
    num_units, changed = 32, 16
    tcn = BiTCN([4, 4, 4], kernel_size=3, dropout=0.0)
    rng = np.random.default_rng(1)
    units = np.abs(rng.normal(size=(1, num_units, 3))).astype(np.float32)
    tcn(units)
    # Positive taps and inputs keep every ReLU open, so whatever the random
    # initialisation, a change reaches exactly the receptive field.
    for conv in tcn.convolutions:
        conv.kernel.assign(rng.uniform(0.1, 1.0, size=conv.kernel.shape).astype(np.float32))
        conv.bias.assign(np.zeros(conv.bias.shape, np.float32))
    for projection in filter(None, tcn.projections):
        projection.kernel.assign(rng.uniform(0.1, 1.0, size=projection.kernel.shape).astype(np.float32))
    perturbed = units.copy()
    perturbed[0, changed] += 5.0
    moved = np.abs(np.asarray(tcn(perturbed)) - np.asarray(tcn(units))).max(axis=-1)[0] > 1e-6
    # Dilations 1, 2, 4 with kernel 3 reach 1 + 2 + 4 = 7 units on each side.
    assert moved[changed - 7] and moved[changed + 7], "pre- and post-context must both change"
    assert not moved[: changed - 7].any() and not moved[changed + 8 :].any()


def test_projection_only_where_the_width_changes():
    tcn = BiTCN([4, 4, 2], kernel_size=3, dropout=0.0)
    tcn(np.zeros((1, 5, 3), np.float32))
    assert [p is not None for p in tcn.projections] == [True, False, True]


def test_even_kernel_is_rejected():
    with pytest.raises(ValueError, match="odd"):
        BiTCN([4], kernel_size=4)


def test_serialization():
    units = np.random.default_rng(2).normal(size=(2, 10, 3)).astype(np.float32)
    run_layer_serialization_test(
        BiTCN, {"channels": [4, 2], "kernel_size": 5, "dropout": 0.3}, units
    )
