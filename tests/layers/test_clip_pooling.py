import numpy as np
import pytest

from clear_tf.layers import ClipPooling
from tests.test_helpers import run_layer_serialization_test


def test_average_and_max_pooling_match_numpy():
    units = np.arange(2 * 12 * 3, dtype=np.float32).reshape(2, 12, 3) ** 1.5
    grouped = units.reshape(2, 4, 3, 3)
    np.testing.assert_allclose(ClipPooling(4)(units), grouped.mean(axis=2), rtol=1e-6)
    np.testing.assert_allclose(ClipPooling(4, "max")(units), grouped.max(axis=2))


def test_units_not_a_multiple_of_clips_is_an_error():
    with pytest.raises(ValueError, match="multiple of num_clips"):
        ClipPooling(5)(np.zeros((1, 12, 2), np.float32))


def test_serialization():
    units = np.random.default_rng(0).normal(size=(2, 8, 3)).astype(np.float32)
    run_layer_serialization_test(ClipPooling, {"num_clips": 4, "pooling": "max"}, units)
