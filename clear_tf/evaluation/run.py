"""The evaluation driver behind ``evaluate.py``: load, (tune μ/ρ), evaluate, write, print."""

from __future__ import annotations

import json
import os

from absl import logging
import keras

from clear_tf.config import Config
from clear_tf.evaluation.baseline import prior_baseline_metrics
from clear_tf.evaluation.evaluator import EvalResult, evaluate_videos, format_table, protocol_description
from clear_tf.evaluation.threshold_search import tune_thresholds as tune_mu_rho
from clear_tf.evaluation.videos import prepare_videos
from clear_tf.training.run_dir import RunDir, write_json_atomic

# (inference, tree) of every row of the ablation table (DESIGN §5).
ABLATIONS = (("clear", "binary"), ("clear", "paper"), ("clear_f", None), ("clear_c", None))
ROW_NAMES = {
    ("clear", "binary"): "CLEAR (binary tree)",
    ("clear", "paper"): "CLEAR (paper tree)",
    ("clear_f", None): "CLEAR-F (no pruning)",
    ("clear_c", None): "CLEAR-C (coarse only)",
}


def load_model(config: Config, checkpoint: str = "") -> keras.Model:
    path = checkpoint or RunDir(config.train.run_dir).best_model
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"no model at {path}: train first (python train.py --run_dir={config.train.run_dir}) "
            "or pass --checkpoint"
        )
    return keras.models.load_model(path)


def write_result(run: RunDir, result: EvalResult, config: Config, baseline: dict, split: str) -> dict:
    """Writes ``eval_<inference>.json`` and the per-query predictions; returns the summary."""
    summary = {
        **result.summary(),
        "baseline": baseline,
        "protocol": protocol_description(config),
        "split": split,
        "dataset": config.data.dataset,
        "mu": config.inference.mu,
        "rho": config.inference.rho,
    }
    write_json_atomic(run.eval_file(result.method, result.tree), summary)
    with open(run.predictions_file(result.method, result.tree), "w") as f:
        for prediction in result.predictions:
            f.write(json.dumps(prediction) + "\n")
    return summary


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
        config.inference.mu, config.inference.rho = tune_mu_rho(model, config)
    videos = prepare_videos(config, split)
    baseline = prior_baseline_metrics(config, videos)
    variants = ABLATIONS if all_ablations else ((config.inference.inference, config.inference.tree),)
    summaries = {}
    for method, tree in variants:
        tree = tree if method == "clear" else None
        result = evaluate_videos(model, videos, config, inference=method, tree=tree)
        name = ROW_NAMES.get((method, tree), method)
        summaries[name] = write_result(run, result, config, baseline, split)
    table = format_table(summaries, baseline)
    print(f"\n{config.data.dataset} / {split} ({protocol_description(config)})\n{table}")
    logging.info("Evaluation written to %s", run.root)
    if export_dir:
        from clear_tf.export import export_saved_model

        export_saved_model(model, export_dir, config=config)
    return summaries
