"""Keras layers of CLEAR and the fine-head registry."""

from clear_tf.layers.anchor_gather import AnchorGather
from clear_tf.layers.bi_tcn import BiTCN
from clear_tf.layers.candidate_cells import candidate_cells
from clear_tf.layers.candidate_mask import CandidateMask
from clear_tf.layers.clip_pooling import ClipPooling
from clear_tf.layers.conv_fine_head import ConvFineHead
from clear_tf.layers.mlp_fine_head import MLPFineHead
from clear_tf.layers.moment_map import MomentMap
from clear_tf.layers.query_moment_fusion import QueryMomentFusion
from clear_tf.layers.query_moment_similarity import QueryMomentSimilarity
from clear_tf.layers.sentence_encoder import SentenceEncoder, pool_sentence

FINE_HEADS = {"mlp": MLPFineHead, "conv": ConvFineHead}


def get_fine_head(name: str):
    """The fine-head layer class registered under ``name`` ("mlp" or "conv")."""
    if name not in FINE_HEADS:
        raise ValueError(f"unknown fine head {name!r}; choose one of {sorted(FINE_HEADS)}")
    return FINE_HEADS[name]


__all__ = [
    "AnchorGather",
    "BiTCN",
    "CandidateMask",
    "ClipPooling",
    "ConvFineHead",
    "FINE_HEADS",
    "MLPFineHead",
    "MomentMap",
    "QueryMomentFusion",
    "QueryMomentSimilarity",
    "SentenceEncoder",
    "pool_sentence",
    "candidate_cells",
    "get_fine_head",
]
