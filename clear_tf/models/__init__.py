"""Models: the ``MomentLocalizer`` contract and the registry that picks one by name (``--model``)."""

from clear_tf.models.base import MomentLocalizer, TwoTowerLocalizer
from clear_tf.models.registry import build_model, load_model, model_class, model_names, register_model

__all__ = [
    "MomentLocalizer",
    "TwoTowerLocalizer",
    "build_model",
    "load_model",
    "model_class",
    "model_names",
    "register_model",
]
