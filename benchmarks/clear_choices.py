"""Where clear-tf's CLEAR departs from the printed paper, measured: mean and spread over seeds on val.

    python benchmarks/clear_choices.py --study=coarse_weight          # trains 3 weights × 3 seeds
    python benchmarks/clear_choices.py --study=search --run_dir=runs/demo

Studies (each writes ``benchmarks/results/clear_choices_<study>.md``):

``coarse_weight``
    Γ₁'s weight (Eq. 9 prints Ψ = Γ₁ + αΓ₂, weight 1; clear-tf uses 1/d²; 0 is Γ₂
    alone), each trained from ``configs/demo.flags`` for ``--epochs`` epochs with
    ``--seeds`` seeds. Reported: val R@1,IoU=0.5 of the validation method (CLEAR-F) at
    the last epoch, mean ± standard deviation, and the test value beside it (never used
    to choose).
``search``
    On one trained run: Algorithm 1's line 8 read as printed (``both`` children must
    beat the node) and loosely (``either``), each with μ, ρ picked on val; and the
    binary tree's depth (P, deeper, down to one-clip nodes). Chosen on val, reported on
    test.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
BENCHMARKS_DIR = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(BENCHMARKS_DIR)
sys.path.insert(0, REPO)
sys.path.insert(0, BENCHMARKS_DIR)

from bench_utils import environment_line, markdown_table  # noqa: E402

METRIC = "R@1,IoU=0.5"
RESULTS_DIR = os.path.join(BENCHMARKS_DIR, "results")


def _table(rows: dict) -> str:
    """Row name → {column: value} as a Markdown table."""
    columns = list(next(iter(rows.values())))
    return markdown_table(["setting", *columns], [[name, *row.values()] for name, row in rows.items()])


def _environment() -> str:
    import keras
    import tensorflow as tf

    return environment_line({"tensorflow": tf.__version__, "keras": keras.__version__})


def _mean_spread(values: list[float]) -> str:
    spread = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):.1f} ± {spread:.1f}"


def study_coarse_weight(work_dir: str, seeds: list[int], epochs: int) -> str:
    """Trains the demo model with each Γ₁ weight and seed; a Markdown report."""
    import keras

    from clear_tf.evaluation import evaluate_videos, prepare_videos
    from clear_tf.flagfile import config_from_flagfile
    from clear_tf.models import load_model
    from clear_tf.run_dir import RunDir
    from clear_tf.training import train

    base = config_from_flagfile(os.path.join(REPO, "configs", "demo.flags"))
    dim = base.model.hidden_dim
    weights = {"1 (Ψ as printed)": 1.0, f"1/d² = {1 / dim**2:.3g}": 1 / dim**2, "0 (Γ₂ alone)": 0.0}
    rows, started = {}, time.time()
    for label, weight in weights.items():
        val_values, test_values = [], []
        for seed in seeds:
            run_dir = os.path.join(work_dir, f"coarse_weight_{weight:g}_seed{seed}")
            config = dataclasses.replace(
                base,
                model=dataclasses.replace(base.model, coarse_weight=weight),
                train=dataclasses.replace(
                    base.train, run_dir=run_dir, seed=seed, epochs=epochs,
                    early_stopping_patience=epochs, export=False,
                ),
            )
            train(config)
            # The last epoch's model: model selection would hide what the weight does.
            model = load_model(RunDir(run_dir).last_model)
            for split, values in ((config.data.val_split, val_values), (config.data.test_split, test_values)):
                result = evaluate_videos(model, prepare_videos(config, split), config, inference="clear_f")
                values.append(result.metrics[METRIC])
            keras.backend.clear_session()
            print(f"{label} seed {seed}: val {val_values[-1]:.1f} test {test_values[-1]:.1f}", flush=True)
        rows[label] = {
            f"val {METRIC} (mean ± sd)": _mean_spread(val_values),
            f"test {METRIC} (mean ± sd)": _mean_spread(test_values),
            "val per seed": ", ".join(f"{v:.1f}" for v in val_values),
        }
    return (
        f"## Γ₁'s weight (Eq. 9), demo model (d = {dim}), {epochs} epochs, seeds {seeds}\n\n"
        f"{_environment()}; {time.time() - started:.0f} s. CLEAR-F on the last epoch's "
        f"model (no model selection), `configs/demo.flags` otherwise.\n\n"
        + _table(rows)
    )


def study_search(run_dir: str, tune: bool = True) -> str:
    """Line 8's two readings and the binary tree's depth on one run; a Markdown report."""
    from clear_tf.evaluation import evaluate_videos, prepare_videos
    from clear_tf.models import load_model
    from clear_tf.models.clear.threshold_search import tune_thresholds
    from clear_tf.models.clear.tree_search import full_binary_depth
    from clear_tf.run_dir import RunDir, load_config

    run = RunDir(run_dir)
    config = load_config(run)
    model = load_model(run.best_model)
    val = prepare_videos(config, config.data.val_split)
    test = prepare_videos(config, config.data.test_split)
    rows = {}
    for rule in ("both", "either"):
        def evaluate_val(method, **options):
            return evaluate_videos(model, val, config, inference=method, descend_when=rule, **options)

        mu, rho = tune_thresholds(evaluate_val, METRIC) if tune else (config.model.mu, config.model.rho)
        options = {"tree": "paper", "mu": mu, "rho": rho, "descend_when": rule}
        val_result = evaluate_videos(model, val, config, inference="clear", **options)
        test_result = evaluate_videos(model, test, config, inference="clear", **options)
        rows[f"paper tree, line 8 = {rule} (μ = {mu:g}, ρ = {rho:g})"] = _search_row(val_result, test_result)
    full = full_binary_depth(model.num_clips)
    for depth in sorted({int(model.tree_depth), int(model.tree_depth) + 1, full}):
        options = {"tree": "binary", "depth": depth}
        val_result = evaluate_videos(model, val, config, inference="clear", **options)
        test_result = evaluate_videos(model, test, config, inference="clear", **options)
        name = f"binary tree, depth {depth}" + (" (one-clip nodes)" if depth == full else "")
        rows[name] = _search_row(val_result, test_result)
    rows["CLEAR-F (no pruning)"] = _search_row(
        evaluate_videos(model, val, config, inference="clear_f"),
        evaluate_videos(model, test, config, inference="clear_f"),
    )
    return (
        f"## The search on `{run_dir}` ({config.data.dataset}, L = {model.num_clips}, P = {model.tree_depth})\n\n"
        f"{_environment()}. "
        + ("μ, ρ picked on val for each reading of line 8 (`threshold_search` grid)" if tune
           else "μ, ρ of the run's config for both readings of line 8 (not tuned)")
        + "; every choice on val, test reported beside it.\n\n"
        + _table(rows)
    )


def _search_row(val_result, test_result) -> dict:
    return {
        f"val {METRIC}": round(val_result.metrics[METRIC], 2),
        "val R@5,IoU=0.5": round(val_result.metrics["R@5,IoU=0.5"], 2),
        "val scored %": round(100 * val_result.scored_fraction, 1),
        f"test {METRIC}": round(test_result.metrics[METRIC], 2),
        "test R@5,IoU=0.5": round(test_result.metrics["R@5,IoU=0.5"], 2),
        "test scored %": round(100 * test_result.scored_fraction, 1),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--study", choices=("coarse_weight", "search"), required=True)
    parser.add_argument("--run_dir", default="runs/demo", help="Trained run for --study=search.")
    parser.add_argument("--work_dir", default="/tmp/clear_choices", help="Run folders of --study=coarse_weight.")
    parser.add_argument("--seeds", default="0,1,2", help="Seeds of --study=coarse_weight.")
    parser.add_argument("--epochs", type=int, default=4, help="Epochs per run of --study=coarse_weight.")
    parser.add_argument("--tune", action=argparse.BooleanOptionalAction, default=True,
                        help="--study=search: pick μ, ρ on val per reading of line 8 (else the config's).")
    args = parser.parse_args()
    if args.study == "coarse_weight":
        report = study_coarse_weight(args.work_dir, [int(s) for s in args.seeds.split(",")], args.epochs)
    else:
        report = study_search(args.run_dir, args.tune)
    os.makedirs(RESULTS_DIR, exist_ok=True)
    path = os.path.join(RESULTS_DIR, f"clear_choices_{args.study}.md")
    with open(path, "w") as handle:
        handle.write(report + "\n")
    print(report)
    print(f"\nWritten to {path}")


if __name__ == "__main__":
    main()
