"""Resampling to N units by the 2D-TAN averaging rule, and unit L2 normalisation."""

import numpy as np
import pytest
import tensorflow as tf

from clear_tf.data.resample import l2_normalize_units, resample_features, resampling_ranges


def numpy_resample(features, num_output_units):
    """Loop reference: mean over [round(i·T/N), round((i+1)·T/N)), else the unit at the start."""
    num_input_units = len(features)
    rows = []
    for i in range(num_output_units):
        start = int(np.round(i * num_input_units / num_output_units))
        end = int(np.round((i + 1) * num_input_units / num_output_units))
        if start < end:
            rows.append(features[start:end].mean(axis=0))
        else:
            rows.append(features[min(start, num_input_units - 1)])
    return np.stack(rows)


def test_five_units_to_three():
    # Boundaries 0, 5/3 → 2, 10/3 → 3, 5: ranges [0, 2), [2, 3), [3, 5).
    features = np.array([[0.0, 10.0], [2.0, 20.0], [4.0, 30.0], [6.0, 40.0], [9.0, 50.0]], np.float32)
    expected = np.array([[1.0, 15.0], [4.0, 30.0], [7.5, 45.0]], np.float32)
    np.testing.assert_allclose(resample_features(tf.constant(features), 3).numpy(), expected)


def test_two_units_to_four_repeat_units():
    # Boundaries 0, 0.5 → 0 (half to even), 1, 1.5 → 2, 2: ranges [0, 0) empty → unit 0,
    # [0, 1) → unit 0, [1, 2) → unit 1, [2, 2) empty → unit 2 clamped to unit 1.
    features = np.array([[1.0, -1.0], [3.0, 5.0]], np.float32)
    expected = np.array([[1.0, -1.0], [1.0, -1.0], [3.0, 5.0], [3.0, 5.0]], np.float32)
    np.testing.assert_array_equal(resample_features(tf.constant(features), 4).numpy(), expected)


def test_ranges_tile_the_input():
    starts, ends = resampling_ranges(tf.constant(5), 3)
    np.testing.assert_array_equal(starts.numpy(), [0, 2, 3])
    np.testing.assert_array_equal(ends.numpy(), [2, 3, 5])


@pytest.mark.parametrize("num_input_units", [1, 2, 3, 7, 8, 9, 31, 64, 255, 256, 257, 1000])
@pytest.mark.parametrize("num_output_units", [1, 4, 16, 64])
def test_matches_numpy_reference(num_input_units, num_output_units):
    features = np.random.default_rng(num_input_units).normal(size=(num_input_units, 5)).astype(np.float32)
    resampled = resample_features(tf.constant(features), num_output_units)
    assert resampled.shape == (num_output_units, 5)
    np.testing.assert_allclose(resampled.numpy(), numpy_resample(features, num_output_units), rtol=1e-5, atol=1e-6)


def test_same_length_is_identity():
    features = np.random.default_rng(0).normal(size=(16, 4)).astype(np.float32)
    np.testing.assert_array_equal(resample_features(tf.constant(features), 16).numpy(), features)


def test_works_inside_tf_function_with_unknown_length():
    resample = tf.function(
        lambda x: resample_features(x, 4), input_signature=[tf.TensorSpec([None, 2], tf.float32)]
    )
    features = np.array([[0.0, 0.0], [4.0, 8.0]], np.float32)
    np.testing.assert_array_equal(resample(features).numpy(), numpy_resample(features, 4))


def test_l2_normalize_units():
    features = tf.constant([[3.0, 4.0], [0.0, 0.0], [0.0, -2.0]])
    np.testing.assert_allclose(
        l2_normalize_units(features).numpy(), [[0.6, 0.8], [0.0, 0.0], [0.0, -1.0]], atol=1e-6
    )
