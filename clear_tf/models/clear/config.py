"""CLEAR's config section: architecture (DESIGN §4), Ψ = Γ₁ + αΓ₂ (Eqs. 5, 7, 9), the search."""

from __future__ import annotations

from dataclasses import dataclass

from clear_tf.config import ModelConfig, config_field

MOMENT_MAPS = ("dense", "sparse")
MOMENT_POOLINGS = ("max", "scaled_sum")
FINE_HEADS = ("mlp", "conv")
CLIP_ALIGNMENT_LOSSES = ("squared", "softmax")
QUERY_ACTIVATIONS = ("relu", "linear")
# --evidence_threshold: keep the clip evidence's trained τ.
LEARNED_THRESHOLD = "learned"
TREES = ("paper", "binary")
# Algorithm 1, line 8 (paper tree): when the search goes on below the current node.
DESCEND_RULES = ("both", "either")


@dataclass
class ClearConfig(ModelConfig):
    """``--model=clear``."""

    # === Architecture ===
    hidden_dim: int = config_field(256, "d: dimension of moment and query representations.")
    use_tcn: bool = config_field(True, "Use the Bi-TCN (False is the CLEAR-V ablation).")
    tcn_channels: list = config_field(
        [512, 256], "Output channels of the Bi-TCN residual blocks; block r has dilation 2^r."
    )
    tcn_kernel_size: int = config_field(3, "Kernel size of the Bi-TCN dilated convolutions.")
    dropout: float = config_field(0.3, "Dropout rate in the Bi-TCN and MLPs.")
    feature_dropout: float = config_field(
        0.0,
        "Not in the paper (0): dropout rate on the unit features, before the Bi-TCN and the "
        "clip pooling, against a clip projection that fits the noise of few training videos "
        "with wide features (4096-d C3D).",
    )
    query_activation: str = config_field(
        "relu",
        "Activation of the query projection: relu (the paper's Eq. 3) or linear (not in the "
        "paper: a clip score cᵢᵢᵀq/d can then use every direction of q, not only its "
        "positive part).",
    )
    moment_map: str = config_field("dense", "Candidate set: dense (all i <= j) or sparse (2D-TAN sampling).")
    pooling_counts: list = config_field(
        [15, 8, 8, 8], "Diagonals per stride level of the sparse moment map (2D-TAN rule)."
    )
    moment_mlp_layers: int = config_field(1, "Dense + ReLU layers of the moment MLP giving Ĉ.")
    moment_pooling: str = config_field(
        "max",
        "How a candidate pools its clips: max (the paper, then the moment MLP) or scaled_sum "
        "(not in the paper: the first moment MLP layer, linear, on every clip, then the sum over "
        "the span divided by the root of its length, so that a score on it adds up its clips' "
        "scores and peaks on the span that covers the matching clips and nothing more).",
    )
    moment_boundaries: bool = config_field(
        False,
        "Not in the paper: the first moment MLP layer also reads each candidate's first and "
        "last clips and the clips just before and after it, so that the pointwise fine head "
        "can tell a moment from the longer spans that contain it (their max-pool is the same).",
    )
    fine_head: str = config_field(
        "mlp", "Fine head: mlp (1×1, the paper) or conv (masked K×K Conv2D stack, 2D-TAN style)."
    )
    fine_head_layers: int = config_field(2, "Layers of the fine head (the last one outputs the logit).")
    fine_head_kernel_size: int = config_field(5, "Kernel size of the conv fine head.")
    fine_initial_probability: float = config_field(
        0.5,
        "The fine head's probability before training: its logit layer's bias starts at "
        "log(p / (1 - p)) (0.5: bias 0, Keras's default). Near the mean Γ₂ target (most "
        "candidates have target 0) the head does not spend its first steps pushing every "
        "logit down, which it does fastest where q ⊙ J is largest, i.e. on long moments, "
        "and so ranks one-clip moments first (RetinaNet's prior-probability bias).",
    )
    fine_clip_evidence: bool = config_field(
        False,
        "Not in the paper: the fine logit also adds a·Σ(z_t − τ) over the candidate's clips, "
        "z_t being clip t's coarse score standardised over its video and a, τ learned, so "
        "that the fine head reads which clips the coarse path (trained by the clip term) "
        "finds, and where the matching clips end.",
    )
    tree_depth: int = config_field(4, "P: layers of the semantic tree; R = 2P-1 anchors (TACoS 4, ActivityNet 2).")

    # === Losses ===
    alpha: float = config_field(1.0, "α: weight of the fine BCE loss Γ₂ (Eq. 9).")
    coarse_weight: float = config_field(
        1.0, "Weight of the coarse Frobenius loss Γ₁ (1 = the paper's Ψ = Γ₁ + αΓ₂)."
    )
    coarse_map_weight: float = config_field(
        0.0,
        "Weight of the mean squared error between every candidate's coarse score cᵀq/d and "
        "its IoU (the binary tree's search reads these scores); 0 is the paper (Eq. 5 "
        "trains the Eq. 2 anchors only).",
    )
    clip_alignment_weight: float = config_field(
        0.0,
        "Not in the paper: weight of a term comparing every one-clip cell's coarse score "
        "cᵢᵢᵀq/d with whether clip i overlaps the moment (IoU > 0), in the form of "
        "--clip_alignment_loss. It tells "
        "the coarse path which clips show the query, which the candidate-level terms "
        "hardly do while most candidates are long spans; 0 is the paper.",
    )
    clip_alignment_loss: str = config_field(
        "squared",
        "Form of the clip term: squared (each one-clip score against 1[overlap]) or softmax "
        "(cross-entropy of softmax over the video's clips against the clips that overlap: "
        "the matching clips only have to outscore the rest of their video).",
    )
    clip_alignment_temperature: float = config_field(
        10.0, "With --clip_alignment_loss=softmax: multiplies the clip scores cᵢᵢᵀq/d before the softmax."
    )
    min_iou: float = config_field(0.0, "IoU mapped to target 0 for Γ₂ (2D-TAN: 0.3 TACoS, 0.5 ActivityNet).")
    max_iou: float = config_field(1.0, "IoU mapped to target 1 for Γ₂ (2D-TAN: 0.7 TACoS, 1.0 ActivityNet).")

    # === The fine score at inference (methods clear and clear_f) ===
    evidence_threshold: str = config_field(
        LEARNED_THRESHOLD,
        "With --fine_clip_evidence: the clip evidence's τ at inference, 'learned' (the "
        "trained weight) or a number of standard deviations. Γ₂ fits τ for its BCE over all "
        "candidates, not for ranking the top one; --tune_search_on_val picks it on val. "
        "Not in the paper.",
    )
    fine_mlp_weight: float = config_field(
        1.0,
        "With --fine_clip_evidence: weight of the fine MLP's logit in the fine score at "
        "inference (1: the trained fine logit; 0: the clip evidence alone). "
        "--tune_search_on_val picks 1 or 0 on val. Not in the paper.",
    )

    # === Coarse-to-fine search (inference method "clear") ===
    tree: str = config_field(
        "binary",
        "Tree for the coarse-to-fine search: paper (Algorithm 1's η rule on the Eq. 2 "
        "anchors) or binary (halves and straddling sets, following the best coarse candidate).",
    )
    mu: float = config_field(-0.1, "μ of Algorithm 1 (paper tree): η <= μ descends to the left child.")
    rho: float = config_field(0.1, "ρ of Algorithm 1 (paper tree): η > ρ selects the right child (μ < ρ).")
    descend_when: str = config_field(
        "both",
        "Algorithm 1 line 8 (paper tree): both (the printed rule: Max(y, z) < x on Euclidean "
        "distances, i.e. both children more similar than the node) or either (one child "
        "more similar is enough) lets the search go below the current node.",
    )
    min_kept_share: float = config_field(
        0.1,
        "Budget of the search (method clear, either tree): the share of the candidates, "
        "0-1, that the fine head ranks at least. The node the search stops on is topped up "
        "with the candidates of highest coarse score, ceil(share x candidates) of them, so "
        "that NMS still finds top_k distinct moments; 0 adds none (with --coarse_peaks=0: "
        "the node alone, Algorithm 1). The default is picked on the demo's val split (two seeds).",
    )
    coarse_peaks: int = config_field(
        5,
        "Budget of the search (method clear, either tree): also keep this many distinct "
        "moments of the coarse map, the best coarse candidates that survive greedy NMS at "
        "--coarse_peak_iou, so that NMS on the fine scores can still return top_k distinct "
        "moments spread over the video; 0 adds none. The default is picked on the demo's "
        "val split (two seeds).",
    )
    refine_straddling: bool = config_field(
        False,
        "Binary tree (method clear): when the best coarse candidate crosses a node's mid, "
        "search on inside the straddling set (halving its start and end ranges towards "
        "that candidate) instead of keeping all of it; for long moments (ActivityNet) the "
        "root's straddling set alone is half of the candidates. Not in the paper.",
    )
    coarse_peak_iou: float = config_field(
        0.4,
        "NMS threshold that makes the --coarse_peaks distinct (suppress when IoU > it). At "
        "a small budget the peaks are most of what the search returns: below the protocol's "
        "--nms_threshold they spread over the video, raising R@5 at low IoU and lowering it "
        "at high IoU (benchmarks/clear_choices.py --study=budget picks it on val).",
    )

    def validate(self, config) -> None:
        super().validate(config)
        choices = {
            "moment_map": MOMENT_MAPS,
            "moment_pooling": MOMENT_POOLINGS,
            "fine_head": FINE_HEADS,
            "clip_alignment_loss": CLIP_ALIGNMENT_LOSSES,
            "query_activation": QUERY_ACTIVATIONS,
            "tree": TREES,
            "descend_when": DESCEND_RULES,
        }
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"--{name}={getattr(self, name)!r}: expected one of {', '.join(allowed)}")
        for name in ("hidden_dim", "tree_depth"):
            if getattr(self, name) <= 0:
                raise ValueError(f"--{name} must be positive, got {getattr(self, name)}")
        num_clips = config.data.num_clips
        if 2 * self.tree_depth - 1 > 2 * num_clips - 1 or self.tree_depth > num_clips:
            raise ValueError(f"--tree_depth={self.tree_depth} does not fit --num_clips={num_clips}")
        if not self.mu < self.rho:
            raise ValueError(f"Algorithm 1 needs --mu < --rho, got mu={self.mu}, rho={self.rho}")
        if not 0.0 <= self.feature_dropout < 1.0:
            raise ValueError(f"--feature_dropout must be in [0, 1), got {self.feature_dropout}")
        if not 0.0 <= self.min_kept_share <= 1.0:
            raise ValueError(f"--min_kept_share must be in [0, 1], got {self.min_kept_share}")
        if self.coarse_peaks < 0:
            raise ValueError(f"--coarse_peaks must be >= 0, got {self.coarse_peaks}")
        if not 0.0 <= self.coarse_peak_iou <= 1.0:
            raise ValueError(f"--coarse_peak_iou must be in [0, 1], got {self.coarse_peak_iou}")
        for name in ("alpha", "coarse_weight", "coarse_map_weight", "clip_alignment_weight"):
            if getattr(self, name) < 0:
                raise ValueError(f"--{name} must be >= 0, got {getattr(self, name)}")
        if self.clip_alignment_temperature <= 0:
            raise ValueError(
                f"--clip_alignment_temperature must be positive, got {self.clip_alignment_temperature}"
            )
        if not 0.0 <= self.min_iou < self.max_iou <= 1.0:
            raise ValueError(
                f"need 0 <= --min_iou < --max_iou <= 1, got {self.min_iou}, {self.max_iou}"
            )
        if not 0.0 < self.fine_initial_probability < 1.0:
            raise ValueError(
                f"--fine_initial_probability must be in (0, 1), got {self.fine_initial_probability}"
            )
        evidence_threshold(self.evidence_threshold)  # raises on a malformed value
        if self.fine_mlp_weight < 0:
            raise ValueError(f"--fine_mlp_weight must be >= 0, got {self.fine_mlp_weight}")
        fine_score_changed = self.evidence_threshold != LEARNED_THRESHOLD or self.fine_mlp_weight != 1.0
        if fine_score_changed and not self.fine_clip_evidence:
            raise ValueError("--evidence_threshold and --fine_mlp_weight need --fine_clip_evidence")
        if self.dropout < 0 or self.dropout >= 1:
            raise ValueError(f"--dropout must be in [0, 1), got {self.dropout}")


def evidence_threshold(value: str) -> float | None:
    """``--evidence_threshold`` as a search option: None for the learned τ, else the number."""
    if value == LEARNED_THRESHOLD:
        return None
    try:
        return float(value)
    except ValueError:
        raise ValueError(
            f"--evidence_threshold must be {LEARNED_THRESHOLD!r} or a number, got {value!r}"
        ) from None


def evidence_threshold_flag(value: float | None) -> str:
    """The ``--evidence_threshold`` value of a search option (``evidence_threshold``'s inverse)."""
    return LEARNED_THRESHOLD if value is None else repr(float(value))
