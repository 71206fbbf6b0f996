"""2D-TAN (Zhang et al., AAAI 2020) as one functional Keras model."""

from __future__ import annotations

import keras
import tensorflow as tf

from clear_tf import text_presets
from clear_tf.layers import CandidateMask, ClipPooling, MomentMap, QueryMomentFusion, SentenceEncoder
from clear_tf.models.base import TwoTowerLocalizer
from clear_tf.models.tan2d.sparse_map_localizer import SparseMapLocalizer, candidate_set
from clear_tf.models.tan2d import stats
from clear_tf.models.tan2d.config import VARIANTS, TAN2DConfig
from clear_tf.models.tan2d.map_conv import MapConv
from clear_tf.models.tan2d.sparse_layout import tan2d_candidates
from clear_tf.models.tan2d.sparse_prop_conv import SparsePropConv

INVALID_LOGIT = -1e4
METHOD = "tan2d"


def moment_features(variant: str, hidden_dim: int, pooling_counts, name: str = "moment_map"):
    """2D-TAN's sparse moment-map layer: max pooling (Pool) or stacked convolutions (Conv)."""
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
    if variant == "pool":
        return MomentMap(name=name, **candidate_set(pooling_counts))
    return SparsePropConv(hidden_dim, pooling_counts, name=name)


def map_video_encoder(clips, num_pre_clips, feature_dim, hidden_dim, variant, pooling_counts, name="video_encoder"):
    """The part of the video tower 2D-TAN and CDN share, from clip features to the moment map.

    Args:
        clips: a function mapping the projected units [B, N, d] to clips [B, L, d]
            (2D-TAN: average pooling; CDN: sequential frame attention).
        num_pre_clips, feature_dim: N and D of the input.
        hidden_dim: d.
        variant: "pool" or "conv" (``moment_features``).
        pooling_counts: the sparse sampling.

    Returns:
        A ``keras.Model``: features [B, N, D] → the masked moment map J [B, L, L, d]
        (features → 1×1 conv + ReLU → clips → moment features → 1×1 conv, the fusion's
        ``vis_conv`` → zero outside the candidates).
    """
    features = keras.Input((num_pre_clips, feature_dim), name="features")
    x = keras.layers.Dense(hidden_dim, activation="relu", name="frame_projection")(features)
    x = clips(x)
    x = moment_features(variant, hidden_dim, pooling_counts)(x)
    x = keras.layers.Dense(hidden_dim, name="map_projection")(x)
    position_map = CandidateMask(
        fill_value=0.0, channels_last=True, name="position_map", **candidate_set(pooling_counts)
    )(x)
    return keras.Model(features, position_map, name=name)


def query_towers(text_backbone, hidden_dim, text_pooling, text_trainable, activation):
    """The ``SentenceEncoder`` and its ``query_encoder`` model ({token_ids, padding_mask} [M, S] → [M, d])."""
    sentence_encoder = SentenceEncoder(
        text_backbone,
        hidden_dim,
        pooling=text_pooling,
        backbone_trainable=text_trainable,
        activation=activation,
        name="sentence_encoder",
    )
    query_inputs = {
        "token_ids": keras.Input((None,), dtype="int32", name="token_ids"),
        "padding_mask": keras.Input((None,), dtype="int32", name="padding_mask"),
    }
    query_encoder = keras.Model(query_inputs, sentence_encoder(query_inputs), name="query_encoder")
    return sentence_encoder, query_encoder


def full_graph_inputs(num_pre_clips, feature_dim) -> dict:
    """The inputs of the full graph: B videos × K query slots of S tokens."""
    return {
        "features": keras.Input((num_pre_clips, feature_dim), name="features"),
        "token_ids": keras.Input((None, None), dtype="int32", name="token_ids"),
        "padding_mask": keras.Input((None, None), dtype="int32", name="padding_mask"),
    }


@keras.saving.register_keras_serializable(package="clear_tf")
class TAN2D(SparseMapLocalizer, TwoTowerLocalizer):
    """2D temporal adjacent network (2D-TAN): moment map, Hadamard fusion, masked convolutions.

    Video: unit features [B, N, D] → 1×1 conv + ReLU → average pooling to L clips →
    the sparse 2D temporal map (``variant`` "pool": max over clips i..j; "conv":
    stacked 1D convolutions) → 1×1 conv → J [B, L, L, d], zero outside the sparse
    candidates. Query: BERT → sentence vector → linear projection q [B, K, d] (the
    original encodes GloVe vectors with a 3-layer LSTM; here it is the keras-hub BERT
    encoder every model of the toolkit uses). Fusion: F = q ⊙ J, L2-normalised over the
    channels at every cell. Temporal adjacent network: ``MapConv`` (8 masked 5×5
    convolutions on TACoS) and a 1×1 convolution → ``logits`` [B, K, L, L] (-1e4
    outside the candidates), trained by the BCE on the IoU rescaled between ``min_iou``
    and ``max_iou`` (``FineAlignmentLoss``). Inference ranks every candidate by its
    sigmoid (method "tan2d") with the shared NMS.

    Args:
        text_backbone: a ``keras_hub.models.BertBackbone`` (saved with the model).
        feature_dim: D.
        num_pre_clips: N, units per video (a multiple of L).
        num_clips: L.
        hidden_dim: d.
        variant: "pool" or "conv".
        pooling_counts: diagonals per stride level of the sparse map.
        map_layers: K×K convolutions of ``MapConv``.
        map_kernel_size: K.
        text_pooling: "mean" or "cls".
        text_trainable: fine-tune BERT.
        **kwargs: ``keras.Model`` arguments.

    Example:

    A tiny random BERT stands in for ``clear_tf.text_presets.load_backbone()`` here.

    >>> import numpy as np
    >>> import keras_hub
    >>> backbone = keras_hub.models.BertBackbone(
    ...     vocabulary_size=100, num_layers=1, num_heads=2, hidden_dim=8, intermediate_dim=16
    ... )
    >>> model = TAN2D(backbone, feature_dim=6, num_pre_clips=16, num_clips=8, hidden_dim=8,
    ...               pooling_counts=[3, 2], map_layers=2, map_kernel_size=3)
    >>> ids = np.array([[[2, 7, 8, 3], [2, 9, 3, 0]]], "int32")  # [B=1, K=2, S=4]
    >>> features = np.zeros((1, 16, 6), "float32")  # [B, N, D]
    >>> logits = model({"features": features, "token_ids": ids, "padding_mask": ids != 0})["logits"]
    >>> tuple(logits.shape), float(logits[0, 0, 1, 0])  # [B, K, L, L]; -1e4 off the candidates
    ((1, 2, 8, 8), -10000.0)
    """

    def __init__(
        self,
        text_backbone,
        feature_dim,
        num_pre_clips=256,
        num_clips=128,
        hidden_dim=512,
        variant="pool",
        pooling_counts=(15, 8, 8, 8),
        map_layers=8,
        map_kernel_size=5,
        text_pooling="mean",
        text_trainable=False,
        **kwargs,
    ):
        pooling_counts = [int(c) for c in pooling_counts]
        video_encoder = map_video_encoder(
            ClipPooling(num_clips, "average", name="clip_pooling"),
            num_pre_clips,
            feature_dim,
            hidden_dim,
            variant,
            pooling_counts,
        )
        sentence_encoder, query_encoder = query_towers(
            text_backbone, hidden_dim, text_pooling, text_trainable, activation=None
        )
        interaction = {
            "fusion": QueryMomentFusion(name="fusion"),
            "normalize": keras.layers.UnitNormalization(axis=-1, name="fusion_l2_normalize"),
            "map_conv": MapConv(
                hidden_dim, map_layers, map_kernel_size, pooling_counts, name="map_conv"
            ),
            "logits": CandidateMask(
                fill_value=INVALID_LOGIT, channels_last=False, name="logits", **candidate_set(pooling_counts)
            ),
        }
        inputs = full_graph_inputs(num_pre_clips, feature_dim)
        queries = sentence_encoder({"token_ids": inputs["token_ids"], "padding_mask": inputs["padding_mask"]})
        super().__init__(
            inputs=inputs,
            outputs=_interaction_outputs(interaction, video_encoder(inputs["features"]), queries),
            **kwargs,
        )

        self.text_backbone = text_backbone
        self.feature_dim = feature_dim
        self.num_pre_clips = num_pre_clips
        self.num_clips = num_clips
        self.hidden_dim = hidden_dim
        self.variant = variant
        self.pooling_counts = pooling_counts
        self.map_layers = map_layers
        self.map_kernel_size = map_kernel_size
        self.text_pooling = text_pooling
        self.text_trainable = text_trainable

        self.candidate_mask = tan2d_candidates(num_clips, pooling_counts)
        self.video_encoder = video_encoder
        self.query_encoder = query_encoder
        self.map_conv = interaction["map_conv"]
        self._sentence_encoder = sentence_encoder
        self._interaction = interaction

    def interaction_outputs(self, video, queries, training=None) -> dict:
        """``logits`` [B, K, L, L] from J [B, L, L, d] and q [B, K, d]."""
        return _interaction_outputs(self._interaction, video, queries, training)

    def get_config(self):
        return {
            **super().get_config(),
            "variant": self.variant,
            "pooling_counts": list(self.pooling_counts),
            "map_layers": self.map_layers,
            "map_kernel_size": self.map_kernel_size,
            "text_pooling": self.text_pooling,
        }

    # === The MomentLocalizer contract ===

    config_class = TAN2DConfig
    display_name = "2D-TAN"
    method = METHOD

    @classmethod
    def from_run_config(cls, config, feature_dim: int) -> "TAN2D":
        model = config.model
        return cls(
            text_backbone=text_presets.load_backbone(model.text_preset),
            feature_dim=feature_dim,
            num_pre_clips=config.data.num_pre_clips,
            num_clips=config.data.num_clips,
            hidden_dim=model.hidden_dim,
            variant=model.variant,
            pooling_counts=model.pooling_counts,
            map_layers=model.map_layers,
            map_kernel_size=model.map_kernel_size,
            text_pooling=model.text_pooling,
            text_trainable=model.text_trainable,
        )

    def model_stats(self, num_tokens: int = 32) -> dict:
        return stats.model_stats(self, num_tokens)


def _interaction_outputs(layers: dict, position_map, queries, training=None) -> dict:
    fused = layers["normalize"](layers["fusion"]([queries, position_map]))
    return {"logits": layers["logits"](layers["map_conv"](fused, training=training))}
