"""The evaluation driver behind ``evaluate.py``: load, (tune search options), evaluate, write, print."""

from __future__ import annotations

import dataclasses
import json
import os

from absl import logging

from clear_tf.config import Config
from clear_tf.evaluation.baseline import prior_baseline_metrics
from clear_tf.evaluation.oracle import oracle_metrics
from clear_tf.evaluation.evaluator import EvalResult, evaluate_videos, format_table, protocol_description
from clear_tf.evaluation.tuning import tune_on_split
from clear_tf.evaluation.videos import prepare_videos
from clear_tf.models import load_model as load_saved_model
from clear_tf.run_dir import RunDir, write_json_atomic


def load_model(config: Config, checkpoint: str = ""):
    path = checkpoint or RunDir(config.train.run_dir).best_model
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"no model at {path}: train first (python train.py --run_dir={config.train.run_dir}) "
            "or pass --checkpoint"
        )
    return load_saved_model(path)


def write_result(run: RunDir, result: EvalResult, config: Config, baseline: dict, split: str) -> dict:
    """Writes ``eval_<variant>.json`` and the per-query predictions; returns the summary."""
    summary = {
        **result.summary(),
        "model": config.model_name,
        "baseline": baseline,
        "protocol": protocol_description(config),
        "split": split,
        "dataset": config.data.dataset,
    }
    write_json_atomic(run.eval_file(result.variant), summary)
    with open(run.predictions_file(result.variant), "w") as f:
        for prediction in result.predictions:
            f.write(json.dumps(prediction) + "\n")
    return summary


def tune_on_validation(model, config: Config) -> None:
    """Sets the model's search options that it picks on ``--val_split`` in ``config.model``."""
    tuned = tune_on_split(model, config)
    config.model = dataclasses.replace(config.model, **tuned)
    if tuned:
        logging.info("Picked on %s: %s", config.data.val_split, tuned)


def run_evaluation(
    config: Config,
    *,
    checkpoint: str = "",
    split: str | None = None,
    tune_thresholds: bool = False,
    export_dir: str = "",
    all_ablations: bool = False,
) -> dict:
    """Evaluates a trained model and returns the summaries by table row name."""
    split = split or config.data.test_split
    run = RunDir(config.train.run_dir).make()
    model = load_model(config, checkpoint)
    if tune_thresholds:
        tune_on_validation(model, config)
    videos = prepare_videos(config, split)
    baseline = prior_baseline_metrics(config, videos)
    oracle = oracle_metrics(config, split)  # None unless the dataset stores generator labels
    if all_ablations:
        rows = type(model).ablation_rows()
    else:
        rows = {config.inference_method: (config.inference_method, {})}
    summaries = {}
    for name, (method, options) in rows.items():
        result = evaluate_videos(model, videos, config, inference=method, **options)
        summaries[name] = write_result(run, result, config, baseline, split)
    table = format_table(summaries, baseline, oracle)
    print(f"\n{config.data.dataset} / {split} ({protocol_description(config)})\n{table}")
    logging.info("Evaluation written to %s", run.root)
    if export_dir:
        from clear_tf.export import export_saved_model

        export_saved_model(model, export_dir, config=config)
    return summaries
