"""CLEAR (Hu et al., TIP 2021) as one functional Keras model."""

from __future__ import annotations

import functools
import math

import keras
import tensorflow as tf
from keras import ops

from clear_tf import moments, text_presets
from clear_tf.layers import (
    CandidateMask,
    ClipPooling,
    ConvFineHead,
    MomentMap,
    QueryMomentFusion,
    SentenceEncoder,
    candidate_cells,
)
from clear_tf.losses import FineAlignmentLoss
from clear_tf.models.base import TwoTowerLocalizer
from clear_tf.models.clear import search, stats, threshold_search
from clear_tf.models.clear.anchor_gather import AnchorGather
from clear_tf.models.clear.anchors import anchor_iou
from clear_tf.models.clear.bi_tcn import BiTCN
from clear_tf.models.clear.clip_evidence import ClipEvidence
from clear_tf.models.clear.coarse_alignment_loss import CoarseAlignmentLoss
from clear_tf.models.clear.coarse_map_alignment_loss import CoarseMapAlignmentLoss
from clear_tf.models.clear.config import (
    MOMENT_MAPS,
    MOMENT_POOLINGS,
    QUERY_ACTIVATIONS,
    ClearConfig,
    evidence_threshold,
    evidence_threshold_flag,
)
from clear_tf.models.clear.mlp_fine_head import MLPFineHead
from clear_tf.models.clear.query_moment_similarity import QueryMomentSimilarity
from clear_tf.models.clear.span_boundaries import SpanBoundaryTerms

INVALID_LOGIT = -1e4
FINE_HEADS = {"mlp": MLPFineHead, "conv": ConvFineHead}


@keras.saving.register_keras_serializable(package="clear_tf")
class CLEAR(TwoTowerLocalizer):
    """Coarse-to-fine cross-modal moment localization (CLEAR).

    VRN: unit features [B, N, D] → Bi-TCN (Eq. 1) → pooling to L clips → moment map
    (max over clips i..j for every candidate) → moment MLP → position map
    J [B, L, L, d], zero outside the candidate set. QRN: BERT → sentence vector →
    Dense + ReLU → q [B, K, d] (Eq. 3; ``query_activation="linear"`` drops the ReLU).
    MIN: the anchors A of Eq. 2 give
    ``anchor_similarity`` = Aᵀq [B, K, R] (trained towards d·IoU by Γ₁, Eq. 5) and every
    cell gives ``coarse_scores`` = cᵀq / d [B, K, L, L]; the fused maps q ⊙ J (Eq. 6)
    go through the fine head to ``fine_logits`` [B, K, L, L] (sigmoid → p of Eq. 7;
    -1e4 outside the candidate set).

    For inference that encodes a video once for all its queries, the parts are exposed:
    ``video_encoder`` (a ``keras.Model``: features [B, N, D] → J [B, L, L, d]),
    ``query_encoder`` (a ``keras.Model``: {token_ids, padding_mask} [M, S] → q [M, d])
    and ``fine_head`` (a layer: fused maps [M, L, L, d] → logits [M, L, L]; the "mlp"
    head is pointwise and maps any [..., d] → [...]). ``candidate_mask`` is the np.bool
    [L, L] candidate set.

    Args:
        text_backbone: a ``keras_hub.models.BertBackbone`` (its weights are part of the
            model and are saved with it).
        feature_dim: D, the unit feature size.
        num_pre_clips: N, units per video (the input length).
        num_clips: L, side of the moment map; N must be a multiple of L.
        hidden_dim: d, the size of moment and query representations.
        use_tcn: run the Bi-TCN (False is the CLEAR-V ablation).
        tcn_channels: output channels of the Bi-TCN blocks.
        tcn_kernel_size: kernel of the Bi-TCN convolutions.
        dropout: dropout rate of the Bi-TCN and the MLPs.
        feature_dropout: dropout rate on the unit features before the Bi-TCN (0: the
            paper).
        clip_pooling: "average" or "max" pooling of N units into L clips.
        moment_map: "dense" (all L(L+1)/2 candidates) or "sparse" (2D-TAN sampling plus
            the anchor cells).
        pooling_counts: diagonals per stride level of the sparse map.
        moment_mlp_layers: Dense + ReLU layers turning pooled moments into Ĉ.
        moment_pooling: "max" (the paper: max over clips i..j, then the moment MLP) or
            "scaled_sum" (the first moment MLP layer, linear, on every clip, then the
            sum over clips i..j over the root of its length; not in the paper).
        moment_boundaries: the first moment MLP layer also reads each candidate's
            first and last clips and the clips just outside it (``SpanBoundaryTerms``;
            not in the paper).
        text_pooling: "mean" or "cls" sentence vector.
        query_activation: "relu" (Eq. 3) or "linear" (not in the paper) after the
            query projection.
        text_trainable: fine-tune BERT.
        fine_head_type: "mlp" (the paper) or "conv" (2D-TAN style), from ``FINE_HEADS``.
        fine_head_layers: layers of the fine head, the last giving the logit.
        fine_head_kernel_size: kernel of the conv head.
        fine_initial_logit: starting bias of the fine head's logit layer.
        fine_clip_evidence: add ``ClipEvidence`` of the coarse scores (each span's sum
            of standardised clip scores above a learned threshold) to the fine logit;
            not in the paper.
        tree_depth: P; R = 2P - 1 anchors.
        **kwargs: ``keras.Model`` arguments (``name``, ``dtype``).

    Example:

    A tiny random BERT stands in for ``text_presets.load_backbone()`` here.

    >>> import keras_hub
    >>> import numpy as np
    >>> backbone = keras_hub.models.BertBackbone(
    ...     vocabulary_size=100, num_layers=1, num_heads=2, hidden_dim=8, intermediate_dim=16
    ... )
    >>> model = CLEAR(backbone, feature_dim=6, num_pre_clips=16, num_clips=8, hidden_dim=4,
    ...               tcn_channels=[8], tree_depth=2)
    >>> features = np.random.default_rng(0).normal(size=(1, 16, 6)).astype("float32")  # [B, N, D]
    >>> ids = np.array([[[2, 7, 8, 3], [2, 9, 3, 0]]], "int32")  # [B, K=2, S=4], 0 = padding
    >>> outputs = model({"features": features, "token_ids": ids, "padding_mask": ids != 0})
    >>> {name: tuple(value.shape) for name, value in sorted(outputs.items())}
    {'anchor_similarity': (1, 2, 3), 'coarse_scores': (1, 2, 8, 8), 'fine_logits': (1, 2, 8, 8)}
    >>> int(model.candidate_mask.sum())  # L(L+1)/2 candidates of the dense map
    36
    """

    def __init__(
        self,
        text_backbone,
        feature_dim,
        num_pre_clips=256,
        num_clips=128,
        hidden_dim=256,
        use_tcn=True,
        tcn_channels=(512, 256),
        tcn_kernel_size=3,
        dropout=0.3,
        feature_dropout=0.0,
        clip_pooling="average",
        moment_map="dense",
        pooling_counts=(15, 8, 8, 8),
        moment_mlp_layers=1,
        moment_pooling="max",
        moment_boundaries=False,
        text_pooling="mean",
        query_activation="relu",
        text_trainable=False,
        fine_head_type="mlp",
        fine_head_layers=2,
        fine_head_kernel_size=5,
        fine_initial_logit=0.0,
        fine_clip_evidence=False,
        tree_depth=4,
        **kwargs,
    ):
        if moment_map not in MOMENT_MAPS:
            raise ValueError(f"moment_map must be one of {MOMENT_MAPS}, got {moment_map!r}")
        if moment_pooling not in MOMENT_POOLINGS:
            raise ValueError(f"moment_pooling must be one of {MOMENT_POOLINGS}, got {moment_pooling!r}")
        if query_activation not in QUERY_ACTIVATIONS:
            raise ValueError(f"query_activation must be one of {QUERY_ACTIVATIONS}, got {query_activation!r}")
        if moment_mlp_layers < 1:
            raise ValueError(f"moment_mlp_layers must be >= 1, got {moment_mlp_layers}")
        num_anchors = moments.num_anchors(tree_depth)
        # Fails early, naming the sizes, when the anchors do not fit the map.
        moments.anchor_positions(num_clips, num_anchors)
        sparse = moment_map == "sparse"
        candidate_set = {
            "sparse": sparse,
            "pooling_counts": list(pooling_counts),
            "num_anchors": num_anchors,
        }

        # === VRN: features → position map J ===
        video_features = keras.Input((num_pre_clips, feature_dim), name="features")
        x = video_features
        if feature_dropout:
            x = keras.layers.Dropout(feature_dropout, name="feature_dropout")(x)
        if use_tcn:
            x = BiTCN(tcn_channels, tcn_kernel_size, dropout, name="bi_tcn")(x)
        clips = ClipPooling(num_clips, clip_pooling, name="clip_pooling")(x)
        if moment_pooling == "scaled_sum":
            # Linear, so the first layer can run on the L clips before the pooling: cell
            # (i, j) is the sum of W·c_t + b over its clips, over sqrt(j - i + 1).
            x = keras.layers.Dense(hidden_dim, name="moment_mlp_0")(clips)
            x = MomentMap(name="moment_map", pooling="scaled_sum", **candidate_set)(x)
        else:
            # With boundary terms the ReLU comes after they are added.
            activation = None if moment_boundaries else "relu"
            x = MomentMap(name="moment_map", **candidate_set)(clips)
            x = keras.layers.Dense(hidden_dim, activation=activation, name="moment_mlp_0")(x)
        if moment_boundaries:
            x = keras.layers.Add(name="moment_boundaries")(
                [x, SpanBoundaryTerms(hidden_dim, name="span_boundaries")(clips)]
            )
            if moment_pooling == "max":
                x = keras.layers.ReLU(name="moment_mlp_0_relu")(x)
        for index in range(1, moment_mlp_layers):
            x = keras.layers.Dropout(dropout, name=f"moment_mlp_dropout_{index}")(x)
            x = keras.layers.Dense(hidden_dim, activation="relu", name=f"moment_mlp_{index}")(x)
        position_map = CandidateMask(
            fill_value=0.0, channels_last=True, name="position_map", **candidate_set
        )(x)
        video_encoder = keras.Model(video_features, position_map, name="video_encoder")

        # === QRN: token ids → q; shared by the full graph ([B, K, S]) and query_encoder ([M, S]) ===
        sentence_encoder = SentenceEncoder(
            text_backbone,
            hidden_dim,
            pooling=text_pooling,
            backbone_trainable=text_trainable,
            activation=None if query_activation == "linear" else query_activation,
            name="sentence_encoder",
        )
        query_inputs = {
            "token_ids": keras.Input((None,), dtype="int32", name="token_ids"),
            "padding_mask": keras.Input((None,), dtype="int32", name="padding_mask"),
        }
        query_encoder = keras.Model(
            query_inputs, sentence_encoder(query_inputs), name="query_encoder"
        )

        if fine_head_type not in FINE_HEADS:
            raise ValueError(f"fine_head_type must be one of {sorted(FINE_HEADS)}, got {fine_head_type!r}")
        fine_head_class = FINE_HEADS[fine_head_type]
        if fine_head_type == "conv":
            fine_head = fine_head_class(
                hidden_dim,
                num_layers=fine_head_layers,
                kernel_size=fine_head_kernel_size,
                dropout=dropout,
                initial_logit=fine_initial_logit,
                name="fine_head",
                **candidate_set,
            )
        else:
            fine_head = fine_head_class(
                hidden_dim,
                num_layers=fine_head_layers,
                dropout=dropout,
                initial_logit=fine_initial_logit,
                name="fine_head",
            )

        # === Full graph: B videos × K query slots ===
        inputs = {
            "features": keras.Input((num_pre_clips, feature_dim), name="features"),
            "token_ids": keras.Input((None, None), dtype="int32", name="token_ids"),
            "padding_mask": keras.Input((None, None), dtype="int32", name="padding_mask"),
        }
        position_map = video_encoder(inputs["features"])
        queries = sentence_encoder(
            {"token_ids": inputs["token_ids"], "padding_mask": inputs["padding_mask"]}
        )
        interaction = {
            "anchor_gather": AnchorGather(num_anchors, name="anchor_gather"),
            "anchor_similarity": QueryMomentSimilarity(scale_by_dim=False, name="anchor_similarity"),
            "coarse_scores": QueryMomentSimilarity(scale_by_dim=True, name="coarse_scores"),
            "fusion": QueryMomentFusion(name="fusion"),
            "fine_head": fine_head,
            "clip_evidence": ClipEvidence(name="clip_evidence") if fine_clip_evidence else None,
            "fine_logits": CandidateMask(
                fill_value=INVALID_LOGIT, channels_last=False, name="fine_logits", **candidate_set
            ),
        }
        super().__init__(
            inputs=inputs,
            outputs=_interaction_outputs(interaction, position_map, queries),
            **kwargs,
        )

        # === Config ===
        self.text_backbone = text_backbone
        self.feature_dim = feature_dim
        self.num_pre_clips = num_pre_clips
        self.num_clips = num_clips
        self.hidden_dim = hidden_dim
        self.use_tcn = use_tcn
        self.tcn_channels = list(tcn_channels)
        self.tcn_kernel_size = tcn_kernel_size
        self.dropout = dropout
        self.feature_dropout = feature_dropout
        self.clip_pooling = clip_pooling
        self.moment_map = moment_map
        self.pooling_counts = list(pooling_counts)
        self.moment_mlp_layers = moment_mlp_layers
        self.moment_pooling = moment_pooling
        self.moment_boundaries = moment_boundaries
        self.text_pooling = text_pooling
        self.query_activation = query_activation
        self.text_trainable = text_trainable
        self.fine_head_type = fine_head_type
        self.fine_head_layers = fine_head_layers
        self.fine_head_kernel_size = fine_head_kernel_size
        self.fine_initial_logit = fine_initial_logit
        self.fine_clip_evidence = fine_clip_evidence
        self.tree_depth = tree_depth

        # === Parts used by the coarse-to-fine search and the export ===
        self.num_anchors = num_anchors
        self.candidate_mask = candidate_cells(num_clips, **candidate_set)
        self.video_encoder = video_encoder
        self.query_encoder = query_encoder
        self.fine_head = fine_head
        self.clip_evidence = interaction["clip_evidence"]
        self._sentence_encoder = sentence_encoder
        self._interaction = interaction

    def interaction_outputs(self, video, queries, training=None) -> dict:
        """MIN on J [B, L, L, d] and q [B, K, d]: the three named outputs (Eqs. 2, 5, 6).

        ``sentence_vector_model`` (``TwoTowerLocalizer``) feeds the projection of
        precomputed sentence vectors here: the paper feeds pre-extracted BERT features
        to the query projection (Eq. 3).
        """
        return _interaction_outputs(self._interaction, video, queries)

    def get_config(self):
        return {
            **super().get_config(),
            "use_tcn": self.use_tcn,
            "tcn_channels": list(self.tcn_channels),
            "tcn_kernel_size": self.tcn_kernel_size,
            "dropout": self.dropout,
            "feature_dropout": self.feature_dropout,
            "clip_pooling": self.clip_pooling,
            "moment_map": self.moment_map,
            "pooling_counts": list(self.pooling_counts),
            "moment_mlp_layers": self.moment_mlp_layers,
            "moment_pooling": self.moment_pooling,
            "moment_boundaries": self.moment_boundaries,
            "text_pooling": self.text_pooling,
            "query_activation": self.query_activation,
            "fine_head_type": self.fine_head_type,
            "fine_head_layers": self.fine_head_layers,
            "fine_head_kernel_size": self.fine_head_kernel_size,
            "fine_initial_logit": self.fine_initial_logit,
            "fine_clip_evidence": self.fine_clip_evidence,
            "tree_depth": self.tree_depth,
        }

    # === The MomentLocalizer contract ===

    config_class = ClearConfig
    inference_methods = search.METHODS
    method_options = {"clear": ("tree", "depth", "mu", "rho", "descend_when", "min_kept_share",
                                "coarse_peaks", "coarse_peak_iou", "refine_straddling",
                                *search.FINE_SCORE_OPTIONS),
                      "clear_f": search.FINE_SCORE_OPTIONS, "clear_c": ()}
    validation_method = "clear_f"
    loss_aliases = {
        "anchor_similarity_loss": "gamma1",
        "coarse_scores_loss": "gamma1_coarse_map",
        "fine_logits_loss": "gamma2",
        "loss": "psi",
    }

    @classmethod
    def from_run_config(cls, config, feature_dim: int) -> "CLEAR":
        """CLEAR for a full ``clear_tf.config.Config``, loading its BERT preset.

        Args:
            config: the run's config (``model`` is a ``ClearConfig``; ``data`` gives N
                and L).
            feature_dim: D of the dataset's unit features.
        """
        model = config.model
        return cls(
            text_backbone=text_presets.load_backbone(model.text_preset),
            feature_dim=feature_dim,
            num_pre_clips=config.data.num_pre_clips,
            num_clips=config.data.num_clips,
            hidden_dim=model.hidden_dim,
            use_tcn=model.use_tcn,
            tcn_channels=model.tcn_channels,
            tcn_kernel_size=model.tcn_kernel_size,
            dropout=model.dropout,
            feature_dropout=model.feature_dropout,
            moment_map=model.moment_map,
            pooling_counts=model.pooling_counts,
            moment_mlp_layers=model.moment_mlp_layers,
            moment_pooling=model.moment_pooling,
            moment_boundaries=model.moment_boundaries,
            text_pooling=model.text_pooling,
            query_activation=model.query_activation,
            text_trainable=model.text_trainable,
            fine_head_type=model.fine_head,
            fine_head_layers=model.fine_head_layers,
            fine_head_kernel_size=model.fine_head_kernel_size,
            fine_initial_logit=_log_odds(model.fine_initial_probability),
            fine_clip_evidence=model.fine_clip_evidence,
            tree_depth=model.tree_depth,
        )

    @classmethod
    def training_targets(cls, batch: dict, config) -> dict:
        """Γ₁ compares Aᵀq with the anchors' IoU, Γ₂ and the coarse-map terms the IoU map.

        ``coarse_scores`` has a loss only with ``--coarse_map_weight`` or
        ``--clip_alignment_weight`` > 0; Keras ignores its target otherwise.
        """
        num_clips = config.data.num_clips
        anchors = anchor_iou(
            batch["times"], batch["duration"][:, tf.newaxis], num_clips, moments.num_anchors(config.model.tree_depth)
        )
        return {
            "anchor_similarity": anchors * batch["query_mask"][..., tf.newaxis],
            "fine_logits": batch["iou_map"],
            "coarse_scores": batch["iou_map"],
        }

    @classmethod
    def build_losses(cls, config) -> tuple[dict, dict]:
        """Ψ = coarse_weight·Γ₁ + α·Γ₂ (Eq. 9), plus the coarse-map terms when weighted.

        ``coarse_map_weight`` > 0 aligns the coarse score of every candidate with its
        IoU, ``clip_alignment_weight`` > 0 every one-clip cell's with whether the clip
        overlaps the moment (both ``CoarseMapAlignmentLoss``, which holds the two
        weights); 0 and 0 is the paper's objective.
        """
        settings = config.model
        candidate_set = {
            "sparse": settings.moment_map == "sparse",
            "pooling_counts": settings.pooling_counts,
            "num_anchors": moments.num_anchors(settings.tree_depth),
        }
        losses = {
            "anchor_similarity": CoarseAlignmentLoss(hidden_dim=settings.hidden_dim),
            "fine_logits": FineAlignmentLoss(
                min_iou=settings.min_iou, max_iou=settings.max_iou, **candidate_set
            ),
        }
        loss_weights = {"anchor_similarity": settings.coarse_weight, "fine_logits": settings.alpha}
        if settings.coarse_map_weight > 0 or settings.clip_alignment_weight > 0:
            losses["coarse_scores"] = CoarseMapAlignmentLoss(
                map_weight=settings.coarse_map_weight,
                clip_weight=settings.clip_alignment_weight,
                clip_loss=settings.clip_alignment_loss,
                temperature=settings.clip_alignment_temperature,
                **candidate_set,
            )
            loss_weights["coarse_scores"] = 1.0
        return losses, loss_weights

    @classmethod
    def search_options(cls, model_config) -> dict:
        return {
            "tree": model_config.tree,
            "mu": float(model_config.mu),
            "rho": float(model_config.rho),
            "descend_when": model_config.descend_when,
            "min_kept_share": float(model_config.min_kept_share),
            "coarse_peaks": int(model_config.coarse_peaks),
            "coarse_peak_iou": float(model_config.coarse_peak_iou),
            "refine_straddling": bool(model_config.refine_straddling),
            "evidence_threshold": evidence_threshold(model_config.evidence_threshold),
            "fine_mlp_weight": float(model_config.fine_mlp_weight),
        }

    @classmethod
    def describe_training(cls, config) -> str:
        """The paper's objective, or clear-tf's (Γ₁ weighted, coarse-map terms, rescaled IoU)."""
        m = config.model
        if (m.coarse_weight, m.alpha, m.coarse_map_weight, m.clip_alignment_weight, m.min_iou, m.max_iou) == (
            1, 1, 0, 0, 0, 1
        ):
            return "CLEAR, objective as printed (Ψ = Γ₁ + Γ₂, raw IoU)"
        clip = ""
        if m.clip_alignment_weight:
            form = "" if m.clip_alignment_loss == "squared" else f", softmax ×{m.clip_alignment_temperature:g}"
            clip = f", clip term ×{m.clip_alignment_weight:g}{form}"
        return (
            f"CLEAR, clear-tf objective (Γ₁ ×{m.coarse_weight:g}, Γ₂ ×{m.alpha:g}, coarse map "
            f"×{m.coarse_map_weight:g}{clip}, Γ₂ IoU rescaled {m.min_iou:g}–{m.max_iou:g})"
        )

    @classmethod
    def variant_name(cls, method: str, options: dict) -> str:
        """``clear_binary`` / ``clear_paper`` for the search, the method alone otherwise."""
        return f"{method}_{options['tree']}" if method == "clear" else method

    @classmethod
    def ablation_rows(cls) -> dict[str, tuple[str, dict]]:
        """CLEAR with both trees, CLEAR-F and CLEAR-C (DESIGN §5)."""
        return {
            "CLEAR (binary tree)": ("clear", {"tree": "binary"}),
            "CLEAR (paper tree)": ("clear", {"tree": "paper"}),
            "CLEAR-F (no pruning)": ("clear_f", {}),
            "CLEAR-C (coarse only)": ("clear_c", {}),
        }

    def tune_search_options(self, config, evaluate) -> dict:
        """With the clip evidence, the fine score's τ and MLP weight (on CLEAR-F); then μ
        and ρ of the paper tree with that fine score, on the grids of ``threshold_search``."""
        metric = config.train.monitor.removeprefix("val_")
        tuned = {}
        if self.clip_evidence is not None:
            fine_score = threshold_search.tune_fine_score(evaluate, metric)
            evaluate = functools.partial(evaluate, **fine_score)
            tuned = {
                "evidence_threshold": evidence_threshold_flag(fine_score["evidence_threshold"]),
                "fine_mlp_weight": fine_score["fine_mlp_weight"],
            }
        mu, rho = threshold_search.tune_thresholds(evaluate, metric)
        return {**tuned, "mu": mu, "rho": rho}

    def score_candidates(self, video, queries, *, method: str, **options):
        return search.score_candidates(self, video, queries, method=method, **options)

    MAP_OPTIONS = search.FINE_SCORE_OPTIONS

    def score_maps(self, video, queries, evidence_threshold=None, fine_mlp_weight=1.0):
        """The fine probability of every cell [M, L, L] (0 outside the candidates).

        With the clip evidence, the fine score at ``evidence_threshold`` and
        ``fine_mlp_weight`` (``search.full_fine_logits``); the defaults give the trained logit.
        """
        scores = tf.sigmoid(search.full_fine_logits(self, video, queries, evidence_threshold, fine_mlp_weight))
        return tf.where(self.valid_candidates(tf.shape(queries)[0]), scores, tf.zeros_like(scores))

    def model_stats(self, num_tokens: int = 32) -> dict:
        return stats.model_stats(self, num_tokens)


def _log_odds(probability: float) -> float:
    return math.log(probability / (1.0 - probability))


def _interaction_outputs(layers: dict, position_map, queries) -> dict:
    """MIN on J [B, L, L, d] and q [B, K, d]: the three named outputs (Eqs. 2, 5, 6).

    With ``clip_evidence`` the fine logit also reads the coarse scores (not in the paper).
    """
    anchors = layers["anchor_gather"](position_map)
    fused = layers["fusion"]([queries, position_map])
    coarse_scores = layers["coarse_scores"]([queries, position_map])
    fine_logits = layers["fine_head"](fused)
    if layers["clip_evidence"] is not None:
        clip_scores = ops.diagonal(coarse_scores, axis1=-2, axis2=-1)
        fine_logits = fine_logits + layers["clip_evidence"](clip_scores)
    return {
        "anchor_similarity": layers["anchor_similarity"]([queries, anchors]),
        "fine_logits": layers["fine_logits"](fine_logits),
        "coarse_scores": coarse_scores,
    }
