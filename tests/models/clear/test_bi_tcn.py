import numpy as np
import pytest

from clear_tf.models.clear.bi_tcn import BiTCN
from tests.test_helpers import run_layer_serialization_test


def test_output_keeps_the_length_and_takes_the_last_width():
    units = np.random.default_rng(0).normal(size=(2, 13, 6)).astype(np.float32)
    assert BiTCN([8, 8, 4], kernel_size=3, dropout=0.0)(units).shape == (2, 13, 4)


def test_is_non_causal_and_sees_the_dilated_receptive_field():
    num_units, changed = 32, 16
    tcn = BiTCN([4, 4, 4], kernel_size=3, dropout=0.0)
    units = np.random.default_rng(1).normal(size=(1, num_units, 3)).astype(np.float32)
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
