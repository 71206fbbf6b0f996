"""Inference every model shares: candidate geometry, temporal NMS, the traced localizer.

Each model's scoring (CLEAR's coarse-to-fine search, ...) lives in its folder and is
reached through ``MomentLocalizer.localize``.
"""

from clear_tf.inference.candidates import candidate_seconds, prepare_features
from clear_tf.inference.localizer_function import make_localizer
from clear_tf.inference.nms import ranked_moments, temporal_nms

__all__ = [
    "candidate_seconds",
    "make_localizer",
    "prepare_features",
    "ranked_moments",
    "temporal_nms",
]
