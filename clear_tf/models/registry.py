"""The models of the toolkit by name (``--model=NAME``).

Each entry is the package of one model family (``clear_tf/models/<name>/``), which
exports its ``MomentLocalizer`` subclass as ``MODEL``. Adding a model is one line here
(or, for a model defined outside the library, one ``register_model`` call).
"""

from __future__ import annotations

import importlib

MODELS: dict[str, str] = {
    "cdn": "clear_tf.models.cdn",
    "clear": "clear_tf.models.clear",
    "cnm": "clear_tf.models.cnm",
    "slta": "clear_tf.models.slta",
    "tan2d": "clear_tf.models.tan2d",
}

_CLASSES: dict[str, type] = {}


def register_model(name: str, model_class: type) -> None:
    """Adds a ``MomentLocalizer`` subclass under ``name`` (e.g. a model defined in a test)."""
    _CLASSES[name] = model_class


def model_names() -> list[str]:
    """Every registered model name."""
    return sorted({*MODELS, *_CLASSES})


def model_class(name: str) -> type:
    """The ``MomentLocalizer`` subclass called ``name``.

    Raises:
        ValueError: naming the flag and the registered models.
    """
    if name not in _CLASSES:
        if name not in MODELS:
            raise ValueError(f"--model={name!r}: expected one of {', '.join(model_names())}")
        _CLASSES[name] = importlib.import_module(MODELS[name]).MODEL
    return _CLASSES[name]


def require_tensorflow_backend() -> None:
    """The models, the input pipeline and the export run on Keras's TensorFlow backend."""
    import keras

    if keras.backend.backend() != "tensorflow":
        raise RuntimeError(
            f"clear-tf needs Keras's TensorFlow backend, but KERAS_BACKEND is "
            f"{keras.backend.backend()!r}: set KERAS_BACKEND=tensorflow"
        )


def build_model(config, feature_dim: int):
    """The model of ``config.model_name`` for the run's config and the dataset's D."""
    require_tensorflow_backend()
    return model_class(config.model_name).from_run_config(config, feature_dim)


def load_model(path: str):
    """A saved ``.keras`` model of any registered family.

    Importing every model package registers its Keras classes for deserialization.
    """
    import keras

    require_tensorflow_backend()
    for name in model_names():
        model_class(name)
    return keras.models.load_model(path)
