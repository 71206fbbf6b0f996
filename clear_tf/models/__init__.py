"""Models and the registry that picks one by name (``--model``-style selection)."""

from clear_tf.models.clear import CLEAR, build_clear

MODEL_BUILDERS = {"clear": build_clear}


def get_model_builder(name: str):
    """The builder ``(config: clear_tf.config.Config, feature_dim: int) -> keras.Model``."""
    if name not in MODEL_BUILDERS:
        raise ValueError(f"unknown model {name!r}; choose one of {sorted(MODEL_BUILDERS)}")
    return MODEL_BUILDERS[name]


__all__ = ["CLEAR", "MODEL_BUILDERS", "build_clear", "get_model_builder"]
