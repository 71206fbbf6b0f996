"""CDN (cross-modal dynamic networks) as one functional Keras model."""

from __future__ import annotations

import keras

from clear_tf import text_presets
from clear_tf.layers import CandidateMask, QueryMomentFusion
from clear_tf.models.base import TwoTowerLocalizer
from clear_tf.models.cdn import stats
from clear_tf.models.cdn.config import CDNConfig
from clear_tf.models.cdn.dynamic_map_conv import DynamicMapConv
from clear_tf.models.cdn.frame_attention import SequentialFrameAttention
from clear_tf.models.tan2d.model import (
    INVALID_LOGIT,
    full_graph_inputs,
    map_video_encoder,
    query_towers,
)
from clear_tf.models.tan2d.sparse_layout import tan2d_candidates
from clear_tf.models.tan2d.sparse_map_localizer import SparseMapLocalizer, candidate_set

METHOD = "cdn"


@keras.saving.register_keras_serializable(package="clear_tf")
class CDN(SparseMapLocalizer, TwoTowerLocalizer):
    """Cross-modal dynamic network: 2D-TAN with query-generated kernels and frame attention.

    Video: unit features [B, N, D] → 1×1 conv + ReLU → ``SequentialFrameAttention``
    (the frames of each of the L segments weighted by an attention guided by the
    segment, instead of 2D-TAN's average) → 2D-TAN's sparse moment map (``variant``
    "pool" or "conv") → 1×1 conv → J [B, L, L, d]. Query: BERT → sentence vector →
    Dense + tanh, q [B, K, d] (the tanh stands for the bounded hidden state of the
    original's 3-layer LSTM over GloVe vectors). Fusion: F = (W q) ⊙ J, L2-normalised
    over the channels. Head: ``DynamicMapConv``: residual masked convolutions whose
    first ``dynamic_layers`` kernels are mixtures of expert kernels weighted from q and
    the map (``DynamicConv2D``), then a 1×1 convolution → ``logits`` [B, K, L, L]
    (-1e4 outside the candidates). Loss and inference as 2D-TAN: the BCE on the
    rescaled IoU, every candidate ranked by its sigmoid (method "cdn"), NMS.

    Args:
        text_backbone: a ``keras_hub.models.BertBackbone`` (saved with the model).
        feature_dim: D.
        num_pre_clips: N (a multiple of L; N / L frames per segment).
        num_clips: L.
        hidden_dim: d.
        variant: "pool" or "conv" (the moment features).
        pooling_counts: diagonals per stride level of the sparse map.
        map_layers: residual blocks of the head.
        map_kernel_size: K (odd).
        dynamic_layers: blocks with a dynamic kernel (the first ones).
        num_experts: expert kernels per dynamic block.
        expert_dropout: dropout on the mixture weights.
        frame_attention_steps: sequential selections per segment.
        frame_attention_dim: hidden width of the frame attention.
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
    >>> model = CDN(backbone, feature_dim=6, num_pre_clips=16, num_clips=8, hidden_dim=8,
    ...             pooling_counts=[3, 2], map_layers=2, map_kernel_size=3, dynamic_layers=1,
    ...             num_experts=2, frame_attention_dim=4)
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
        dynamic_layers=4,
        num_experts=8,
        expert_dropout=0.1,
        frame_attention_steps=1,
        frame_attention_dim=256,
        text_pooling="mean",
        text_trainable=False,
        **kwargs,
    ):
        pooling_counts = [int(c) for c in pooling_counts]
        video_encoder = map_video_encoder(
            SequentialFrameAttention(
                num_clips, hidden_dim, frame_attention_steps, frame_attention_dim, name="frame_attention"
            ),
            num_pre_clips,
            feature_dim,
            hidden_dim,
            variant,
            pooling_counts,
        )
        sentence_encoder, query_encoder = query_towers(
            text_backbone, hidden_dim, text_pooling, text_trainable, activation="tanh"
        )
        interaction = {
            "text_projection": keras.layers.Dense(hidden_dim, name="text_projection"),
            "fusion": QueryMomentFusion(name="fusion"),
            "normalize": keras.layers.UnitNormalization(axis=-1, name="fusion_l2_normalize"),
            "map_conv": DynamicMapConv(
                hidden_dim,
                num_layers=map_layers,
                kernel_size=map_kernel_size,
                dynamic_layers=dynamic_layers,
                num_experts=num_experts,
                expert_dropout=expert_dropout,
                pooling_counts=pooling_counts,
                name="map_conv",
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
        self.dynamic_layers = dynamic_layers
        self.num_experts = num_experts
        self.expert_dropout = expert_dropout
        self.frame_attention_steps = frame_attention_steps
        self.frame_attention_dim = frame_attention_dim
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
            "dynamic_layers": self.dynamic_layers,
            "num_experts": self.num_experts,
            "expert_dropout": self.expert_dropout,
            "frame_attention_steps": self.frame_attention_steps,
            "frame_attention_dim": self.frame_attention_dim,
            "text_pooling": self.text_pooling,
        }

    # === The MomentLocalizer contract ===

    config_class = CDNConfig
    display_name = "CDN"
    method = METHOD

    @classmethod
    def from_run_config(cls, config, feature_dim: int) -> "CDN":
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
            dynamic_layers=model.dynamic_layers,
            num_experts=model.num_experts,
            expert_dropout=model.expert_dropout,
            frame_attention_steps=model.frame_attention_steps,
            frame_attention_dim=model.frame_attention_dim,
            text_pooling=model.text_pooling,
            text_trainable=model.text_trainable,
        )

    def model_stats(self, num_tokens: int = 32) -> dict:
        return stats.model_stats(self, num_tokens)


def _interaction_outputs(layers: dict, position_map, queries, training=None) -> dict:
    fused = layers["normalize"](layers["fusion"]([layers["text_projection"](queries), position_map]))
    logits = layers["map_conv"]([fused, queries], training=training)
    return {"logits": layers["logits"](logits)}
