"""Keras layers shared by several models (each model's own layers live in its folder)."""

from clear_tf.layers.candidate_cells import candidate_cells
from clear_tf.layers.candidate_mask import CandidateMask
from clear_tf.layers.clip_pooling import ClipPooling
from clear_tf.layers.conv_fine_head import ConvFineHead
from clear_tf.layers.moment_map import MomentMap
from clear_tf.layers.query_moment_fusion import QueryMomentFusion
from clear_tf.layers.sentence_encoder import SentenceEncoder, pool_sentence

__all__ = [
    "CandidateMask",
    "ClipPooling",
    "ConvFineHead",
    "MomentMap",
    "QueryMomentFusion",
    "SentenceEncoder",
    "candidate_cells",
    "pool_sentence",
]
