"""Shared checks for clear-tf layers: config round trip and `.keras` save/load."""

from __future__ import annotations

import json
import os
import tempfile

import keras
import numpy as np


def _keras_input(array, name=None):
    return keras.Input(shape=np.shape(array)[1:], dtype=np.asarray(array).dtype, name=name)


def _to_keras_inputs(input_data):
    if isinstance(input_data, dict):
        # Functional models want dict inputs named after their keys.
        return {key: _keras_input(array, name=key) for key, array in input_data.items()}
    return keras.tree.map_structure(_keras_input, input_data)


def _assert_outputs_close(expected, actual, atol=1e-6):
    for want, got in zip(keras.tree.flatten(expected), keras.tree.flatten(actual)):
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), atol=atol, rtol=1e-6)


def run_layer_serialization_test(layer_cls, init_kwargs, input_data, atol=1e-6):
    """Checks that a layer survives ``get_config``/``from_config`` and a `.keras` round trip.

    1. ``layer_cls.from_config(layer.get_config())`` gives the same config (JSON-equal)
       and, with the original weights, the same outputs on ``input_data``.
    2. A functional model wrapping the layer is saved to `.keras`, reloaded in the same
       process and gives the same outputs.

    Args:
        layer_cls: the layer class (registered as Keras serializable).
        init_kwargs: constructor arguments.
        input_data: a NumPy array or a list / dict of arrays, batch axis first.
        atol: absolute tolerance of the output comparisons.

    Returns:
        The layer built in step 1 (for further checks).
    """
    layer = layer_cls(**init_kwargs)
    expected = layer(input_data)

    config = layer.get_config()
    revived = layer_cls.from_config(config)
    assert json.dumps(revived.get_config(), sort_keys=True, default=str) == json.dumps(
        config, sort_keys=True, default=str
    )
    revived(input_data)
    revived.set_weights(layer.get_weights())
    _assert_outputs_close(expected, revived(input_data), atol)

    inputs = _to_keras_inputs(input_data)
    model = keras.Model(inputs, layer(inputs))
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "layer_model.keras")
        model.save(path)
        reloaded = keras.saving.load_model(path)
    _assert_outputs_close(model(input_data), reloaded(input_data), atol)
    return layer
