"""Checks of a training run done before anything is written, each failing in one line with the fix.

``check_training(config)`` looks at what would otherwise fail minutes later, after the
run folder exists, with a long traceback: the dataset name, the text preset, the
manual folder of a dataset that is not built yet, the monitored metric, the strategy
and ``TF_CONFIG``. ``check_resume(config, run)`` compares a restarted run with the
config saved in its folder.
"""

from __future__ import annotations

import os

import numpy as np

from clear_tf import config as config_lib
from clear_tf.config import Config
from clear_tf.run_dir import RunDir, load_config
from clear_tf.training.strategy import STRATEGIES, read_tf_config

# Flags that may change when a run folder is used again (a resume, or a finished run
# restarted): they change neither the model, nor the data it is trained on, nor how
# the best epoch is picked. Every other flag must match the run's config.json.
RESUMABLE_FLAGS = (
    "epochs",  # train longer or shorter; an early-stopped or finished run stays so
    "early_stopping_patience",
    "backup_every_steps",
    "num_plot_queries",
    "summary_only",
    "logical_cpus",
    "strategy",
    "deterministic",
    "export",
    "export_text_endpoints",
    "run_dir",
    "data_dir",
    "manual_dir",
    "cache",
    "eval_batch_size",
    "test_split",  # only read after training
)


class SetupError(ValueError):
    """A flag or environment problem found before training starts; the message is one line."""


def validation_metrics(config: Config) -> list[str]:
    """The log names of the metrics validation adds every epoch (``val_R@1,IoU=0.5``, ...)."""
    from clear_tf import metrics as metrics_lib

    inference = config.inference
    names = metrics_lib.evaluate_predictions(
        np.zeros((1, max(inference.recall_at), 2)),
        np.array([[0.0, 1.0]]),
        recall_at_n=inference.recall_at,
        iou_thresholds=inference.iou_thresholds,
        strict=inference.strict_iou,
    )
    return [f"val_{name}" for name in names]


def check_training(config: Config) -> None:
    """Raises ``SetupError`` for a run that cannot work; reads no data, writes nothing."""
    train = config.train
    if train.strategy not in STRATEGIES:
        raise SetupError(f"--strategy={train.strategy!r}: expected one of {', '.join(STRATEGIES)}")
    if train.strategy == "multi_worker":
        try:
            tf_config = read_tf_config()
        except ValueError as error:
            raise SetupError(f"--strategy=multi_worker: {error}") from None
        if tf_config is None:
            raise SetupError(
                "--strategy=multi_worker needs TF_CONFIG, one per worker: "
                '{"cluster": {"worker": ["host1:port", "host2:port"]}, "task": {"type": "worker", "index": I}}'
            )
        if not train.steps_per_epoch:
            raise SetupError(
                "--strategy=multi_worker needs --steps_per_epoch > 0: the workers' shards "
                "differ in length, and every worker must run the same steps"
            )
        if train.logical_cpus:
            raise SetupError("--logical_cpus splits one machine's CPU; it does not combine with --strategy=multi_worker")
    metrics = validation_metrics(config)
    if train.monitor not in metrics:
        close = [name for name in metrics if name.lower().startswith(train.monitor.lower()[:6])]
        raise SetupError(
            f"--monitor={train.monitor!r} is not a metric validation reports; choose one of "
            f"{', '.join(close or metrics)} (set by --recall_at, --iou_thresholds)"
        )
    if train.backup_every_steps < 0:
        raise SetupError(f"--backup_every_steps must be >= 0, got {train.backup_every_steps}")
    if train.steps_per_epoch < 0:
        raise SetupError(f"--steps_per_epoch must be >= 0, got {train.steps_per_epoch}")
    check_text_preset(config.model.text_preset)
    check_dataset(config)


def check_text_preset(preset: str) -> None:
    """The text encoder of ``--text_preset`` can be found (a folder, or a keras-hub name)."""
    from clear_tf import text_presets

    try:
        resolved = text_presets.resolve_preset(preset)
    except (FileNotFoundError, ImportError) as error:
        raise SetupError(" ".join(str(error).split())) from None
    if os.path.isabs(resolved):
        if not os.path.isfile(os.path.join(resolved, "config.json")):
            raise SetupError(
                f"--text_preset={preset!r}: {resolved} has no config.json; give a keras-hub "
                "preset folder (config.json, tokenizer.json, assets/) or a preset name"
            )
        return
    if "://" in resolved:  # kaggle://, hf://, gs://: keras-hub fetches it
        return
    import keras_hub

    known = sorted(keras_hub.models.BertBackbone.presets)
    if resolved not in known:
        raise SetupError(
            f"--text_preset={preset!r} is neither a folder nor a keras-hub BERT preset "
            f"(e.g. {', '.join(known[:4])}; 'default' is the bundled all-MiniLM-L6-v2)"
        )


def check_dataset(config: Config) -> None:
    """``--dataset`` is known and, if it still has to be built from a manual folder, that folder exists."""
    from clear_tf import dataset_info

    data = config.data
    try:
        builder = dataset_info.builder(config)
    except ValueError as error:
        from clear_tf.data.loading import BUILDER_PACKAGE

        raise SetupError(
            f"{error} (the built-in ones: synthetic_moments, tacos, activitynet_captions, "
            f"charades_sta, moment_features; {BUILDER_PACKAGE} must be importable: pip install -e .)"
        ) from None
    if not getattr(builder, "MANUAL_DOWNLOAD_INSTRUCTIONS", None) or builder.is_prepared():
        return
    if not data.manual_dir:
        raise SetupError(
            f"--dataset={data.dataset} is not built in {builder.data_dir} yet and needs "
            "--manual_dir=<folder with its annotation files and features> "
            f"(see datasets/{data.dataset}/README.md)"
        )
    if not os.path.isdir(data.manual_dir):
        raise SetupError(
            f"--manual_dir={data.manual_dir}: no such folder (--dataset={data.dataset} is built from it)"
        )


def flag_differences(saved: Config, config: Config) -> list[str]:
    """``--flag=new (the run has old)`` for every flag that differs and must not."""
    if saved.model_name != config.model_name:
        return [f"--model={config.model_name} (the run has {saved.model_name})"]
    old, new = config_lib.flag_values(saved), config_lib.flag_values(config)
    return [
        f"--{name}={_shown(new.get(name))} (the run has {_shown(old.get(name))})"
        for name in sorted(set(old) | set(new))
        if name not in RESUMABLE_FLAGS and old.get(name) != new.get(name)
    ]


def _shown(value) -> str:
    if isinstance(value, list):
        return ",".join(str(item) for item in value)
    return str(value)


def check_resume(config: Config, run: RunDir) -> Config | None:
    """The config saved in ``run`` when it fits ``config`` (None for a new folder).

    Raises:
        SetupError: naming the flags that differ from the run's, before anything is written.
    """
    if not os.path.isfile(run.config):
        return None
    try:
        saved = load_config(run)
    except (TypeError, ValueError) as error:
        raise SetupError(f"{run.config} cannot be read as a clear-tf config ({error}); use a new --run_dir") from None
    differences = flag_differences(saved, config)
    if differences:
        shown = ", ".join(differences[:6]) + (f" and {len(differences) - 6} more" if len(differences) > 6 else "")
        raise SetupError(
            f"--run_dir={run.root} holds a run with other settings: {shown}; restart it with its "
            f"own flags (--flagfile={run.flags}) or use a new --run_dir"
        )
    return saved
