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
    binary tree's depth (P, deeper, down to one-clip nodes); both trees without the
    search's budget (``budget`` measures it). Chosen on val, reported on test.
``budget``
    On one trained run, or one run per seed (``--run_dir`` a comma list): the search's
    budget over a grid of (``--min_kept_share``, ``--coarse_peaks``, ``--coarse_peak_iou``)
    points (the node topped up with the candidates of highest coarse score and with the
    best coarse moments that survive NMS at the peak IoU: the lower it is, the more the
    peaks spread over the video), each with and without ``--refine_straddling``, for the
    binary tree (default depth), beside CLEAR-F, CLEAR-C and the query-blind prior.
    Chosen on val: of the settings whose R@1 and R@5 (IoU 0.5) are both within 1 point of
    CLEAR-F's on every run while the fine head scores at most 25% of the candidates (and,
    with ``--min_prior_margin``, every R@n,IoU=m beats the prior by that much), the one
    that scores fewest; test reported beside it.
``fine_parts``
    On one run trained with ``--fine_clip_evidence``: val R@1 of the top candidate by the
    fine logit, by each of its two parts alone (the MLP on q ⊙ J, the clip evidence with
    the learned a, τ), by the coarse score, and with τ fixed instead of learned (the
    evidence alone, and added to the MLP); and the clip hit (the best one-clip coarse
    score inside the moment). Shows which part ranks.
``fine_score``
    On one run trained with ``--fine_clip_evidence``: CLEAR-F on val and test at every
    point of ``threshold_search``'s grids of the fine score at inference (the clip
    evidence's τ, the MLP logit's weight); the point ``tune_fine_score`` picks on val;
    and the default search (the run's config) with the trained and the picked fine score.
``tuning_cost``
    On one trained run: the cost of picking μ, ρ on val (``train.py
    --tune_search_on_val``, ``evaluate.py --tune_thresholds``). One grid point through
    ``evaluate_videos`` (every call encodes every video and query again, as tuning did
    before ``split_evaluator``) against the whole grid through ``split_evaluator``
    (encoded once), and the picked point's val metrics by both paths.
``nms_ties``
    On one trained run: the exact NMS rule (overlaps on clip indices) against the
    former float32 rule (IoU of the segments in seconds, ``tf.image.non_max_suppression``)
    for the default inference and CLEAR-F on test: how many queries get another top-k
    list, and R@5 under each rule.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
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
    from clear_tf.evaluation import prepare_videos, split_evaluator
    from clear_tf.models import load_model
    from clear_tf.models.clear.threshold_search import tune_thresholds
    from clear_tf.models.clear.tree_search import full_binary_depth
    from clear_tf.run_dir import RunDir, load_config

    run = RunDir(run_dir)
    config = load_config(run)
    model = load_model(run.best_model)
    # Each split encoded once for the tuning grid and every row (no R_T is reported here).
    evaluate_val = split_evaluator(model, prepare_videos(config, config.data.val_split), config)
    evaluate_test = split_evaluator(model, prepare_videos(config, config.data.test_split), config)
    rows = {}
    no_budget = {"min_kept_share": 0.0, "coarse_peaks": 0}  # the trees alone (--study=budget)
    for rule in ("both", "either"):
        def evaluate_rule(method, **options):
            return evaluate_val(method, descend_when=rule, **no_budget, **options)

        mu, rho = tune_thresholds(evaluate_rule, METRIC) if tune else (config.model.mu, config.model.rho)
        options = {"tree": "paper", "mu": mu, "rho": rho, "descend_when": rule, **no_budget}
        rows[f"paper tree, line 8 = {rule} (μ = {mu:g}, ρ = {rho:g})"] = _search_row(
            evaluate_val("clear", **options), evaluate_test("clear", **options)
        )
    full = full_binary_depth(model.num_clips)
    for depth in sorted({int(model.tree_depth), int(model.tree_depth) + 1, full}):
        options = {"tree": "binary", "depth": depth, **no_budget}
        name = f"binary tree, depth {depth}" + (" (one-clip nodes)" if depth == full else "")
        rows[name] = _search_row(evaluate_val("clear", **options), evaluate_test("clear", **options))
    rows["CLEAR-F (no pruning)"] = _search_row(evaluate_val("clear_f"), evaluate_test("clear_f"))
    return (
        f"## The search on `{run_dir}` ({config.data.dataset}, L = {model.num_clips}, P = {model.tree_depth})\n\n"
        f"{_environment()}. "
        + ("μ, ρ picked on val for each reading of line 8 (`threshold_search` grid)" if tune
           else "μ, ρ of the run's config for both readings of line 8 (not tuned)")
        + "; every choice on val, test reported beside it.\n\n"
        + _table(rows)
    )


# (min_kept_share, coarse_peaks) pairs of the budget study; the coarse peaks are made
# distinct at the protocol's NMS threshold unless a grid point names its own.
BUDGET_GRID = ((0.0, 0), (0.05, 0), (0.1, 0), (0.15, 0), (0.2, 0), (0.25, 0), (0.0, 5), (0.0, 10), (0.05, 5), (0.1, 5))
BUDGET_MAX_SCORED = 0.25
R5 = "R@5,IoU=0.5"


def parse_budget_grid(text: str) -> list[tuple]:
    """``share:peaks[:peak_iou],...`` → [(share, peaks, peak_iou or None)].

    >>> parse_budget_grid("0.05:5,0.1:5:0.3")
    [(0.05, 5, None), (0.1, 5, 0.3)]
    """
    grid = []
    for item in text.split(","):
        parts = item.split(":")
        if len(parts) not in (2, 3):
            raise ValueError(f"--budget_grid: {item!r} is not share:peaks or share:peaks:peak_iou")
        try:
            grid.append((float(parts[0]), int(parts[1]), float(parts[2]) if len(parts) == 3 else None))
        except ValueError:
            raise ValueError(f"--budget_grid: {item!r} has a value that is not a number") from None
    return grid


def smallest_margin(metrics: dict, prior: dict) -> float:
    """The smallest ``metrics[name] - prior[name]`` over the prior's R@n,IoU=m (points).

    >>> smallest_margin({"R@1,IoU=0.5": 50.0, "R@5,IoU=0.5": 80.0, "mIoU": 40.0},
    ...                 {"R@1,IoU=0.5": 30.0, "R@5,IoU=0.5": 78.0, "mIoU": 30.0})
    2.0
    """
    names = _recall_names(prior)
    if not names:
        raise ValueError("the prior has no R@n,IoU=m metric")
    return min(float(metrics[name]) - float(prior[name]) for name in names)


def _recall_names(metrics: dict) -> list[str]:
    """The ``R@n,IoU=m`` entries of a metrics dict, in its order (not mIoU)."""
    return [name for name in metrics if name.startswith("R@")]


def study_budget(run_dirs: list[str], grid=None, refine=(False, True), min_prior_margin=None) -> str:
    """The binary tree's budget on one run or one run per seed, chosen on val; a Markdown report.

    A setting is eligible when, on the val split of every run, its R@1 and R@5 (IoU 0.5)
    are within 1 point of CLEAR-F's, the fine head scores at most ``BUDGET_MAX_SCORED``
    and (with ``min_prior_margin``) every R@n,IoU=m beats the query-blind prior's by at
    least that many points; of those, the one that scores fewest is chosen. The chosen
    setting's every R@n,IoU=m follows, run by run, beside the prior's and CLEAR-F's.

    Args:
        run_dirs: trained runs (one per seed).
        grid: (share, peaks, peak_iou or None) points (``parse_budget_grid``); None:
            ``BUDGET_GRID`` with the peaks at the protocol's NMS threshold.
        refine: the ``--refine_straddling`` values tried at every point.
        min_prior_margin: the points every R@n,IoU=m must beat the prior by (None: no
            such condition).
    """
    from clear_tf.evaluation import prepare_videos, prior_baseline_metrics, split_evaluator
    from clear_tf.models import load_model
    from clear_tf.run_dir import RunDir, load_config

    grid = [(*pair, None) for pair in BUDGET_GRID] if grid is None else grid

    rows, results, settings, references = {}, {}, {}, {}
    for run_dir in run_dirs:
        run = RunDir(run_dir)
        config = load_config(run)
        model = load_model(run.best_model)
        reference = {}
        for split in ("val", "test"):
            # Each split encoded once for the whole grid (no R_T is reported here).
            videos = prepare_videos(config, getattr(config.data, f"{split}_split"))
            evaluate = split_evaluator(model, videos, config)
            reference[split] = {
                "evaluate": evaluate,
                "prior": prior_baseline_metrics(config, videos),
                "CLEAR-F (no pruning)": evaluate("clear_f"),
                "CLEAR-C (coarse only)": evaluate("clear_c"),
            }
        references[run_dir] = reference
        described = f"{config.data.dataset}, L = {model.num_clips}"
        for (share, peaks, peak_iou), refined in itertools.product(grid, refine):
            peak_iou = config.inference.nms_threshold if peak_iou is None else peak_iou
            name = (
                f"binary tree{', refined' if refined else ''}, min_kept_share = {share:g}, "
                f"coarse_peaks = {peaks}" + (f", coarse_peak_iou = {peak_iou:g}" if peaks else "")
            )
            settings[name] = {
                "tree": "binary", "min_kept_share": share, "coarse_peaks": peaks,
                "coarse_peak_iou": peak_iou, "refine_straddling": refined,
            }
            split_results = {split: reference[split]["evaluate"]("clear", **settings[name]) for split in reference}
            results[run_dir, name] = split_results
            row = rows[_run_row_name(run_dirs, run_dir, name)] = _budget_row(split_results, reference)
            print(f"{run_dir}: {name}: {row}", flush=True)
        for name in ("CLEAR-F (no pruning)", "CLEAR-C (coarse only)"):
            rows[_run_row_name(run_dirs, run_dir, name)] = _budget_row(
                {split: reference[split][name] for split in reference}, reference
            )

    def eligible_on(run_dir: str, name: str) -> bool:
        result, reference = results[run_dir, name]["val"], references[run_dir]["val"]
        close = all(
            result.metrics[metric] >= reference["CLEAR-F (no pruning)"].metrics[metric] - 1.0
            for metric in (METRIC, R5)
        )
        beats_prior = min_prior_margin is None or smallest_margin(result.metrics, reference["prior"]) >= min_prior_margin
        return close and beats_prior and result.scored_fraction <= BUDGET_MAX_SCORED

    eligible = [
        (statistics.mean(results[run_dir, name]["val"].scored_fraction for run_dir in run_dirs), name)
        for name in settings
        if all(eligible_on(run_dir, name) for run_dir in run_dirs)
    ]
    rule = f"within 1 point of CLEAR-F at R@1 and R@5, IoU 0.5, scoring <= {BUDGET_MAX_SCORED:.0%}" + (
        f", every R@n,IoU=m >= the prior + {min_prior_margin:g}" if min_prior_margin is not None else ""
    )
    runs = "every run's val" if len(run_dirs) > 1 else "val"
    if not eligible:
        return (
            _budget_header(run_dirs, described) + f"No setting of the grid is {rule} on {runs}.\n\n" + _table(rows)
        )
    chosen = min(eligible)[1]
    return (
        _budget_header(run_dirs, described)
        + f"Chosen on {runs}: {chosen} (of the settings {rule}, the one that scores fewest).\n\n"
        + _table(rows)
        + "\n\n### The chosen setting, every R@n,IoU=m\n\n"
        + _table(_chosen_rows(run_dirs, results, references, chosen))
    )


def _budget_header(run_dirs: list[str], described: str) -> str:
    return (
        f"## The search's budget on {', '.join(f'`{run_dir}`' for run_dir in run_dirs)} ({described})\n\n"
        f"{_environment()}. Binary tree at its default depth; margin: the smallest "
        f"R@n,IoU=m − the query-blind prior's (points). "
    )


def _run_row_name(run_dirs: list[str], run_dir: str, name: str) -> str:
    return name if len(run_dirs) == 1 else f"{run_dir}: {name}"


def _budget_row(split_results: dict, reference: dict) -> dict:
    row = {}
    for split, result in split_results.items():
        row[f"{split} {METRIC}"] = f"{result.metrics[METRIC]:.2f}"
        row[f"{split} {R5}"] = f"{result.metrics[R5]:.2f}"
        row[f"{split} margin"] = f"{smallest_margin(result.metrics, reference[split]['prior']):+.2f}"
        row[f"{split} scored %"] = f"{100 * result.scored_fraction:.1f}"
    return row


def _chosen_rows(run_dirs, results, references, chosen: str) -> dict:
    rows = {}
    for run_dir, split in itertools.product(run_dirs, ("val", "test")):
        reference = references[run_dir][split]
        names = _recall_names(reference["prior"])
        for label, metrics in (
            ("query-blind prior", reference["prior"]),
            ("CLEAR-F", reference["CLEAR-F (no pruning)"].metrics),
            ("chosen", results[run_dir, chosen][split].metrics),
        ):
            rows[f"{run_dir} {split}: {label}"] = {name: f"{metrics[name]:.2f}" for name in names}
    return rows


def _clip_evidence_run(run_dir: str):
    """The config and best model of a run trained with ``--fine_clip_evidence``."""
    from clear_tf.models import load_model
    from clear_tf.run_dir import RunDir, load_config

    run = RunDir(run_dir)
    model = load_model(run.best_model)
    if getattr(model, "clip_evidence", None) is None:
        raise ValueError(f"{run_dir}: the model was not trained with --fine_clip_evidence")
    return load_config(run), model


# τ values of --study=fine_parts, beside the learned one.
FINE_PARTS_THRESHOLDS = (0.5, 1.0, 1.5, 2.0)


def study_fine_parts(run_dir: str, split: str = "val", thresholds=FINE_PARTS_THRESHOLDS) -> str:
    """What the fine logit's two parts rank on their own, on one ``--fine_clip_evidence`` run."""
    import numpy as np
    import tensorflow as tf

    from clear_tf import metrics as metrics_lib
    from clear_tf.evaluation import prepare_videos
    from clear_tf.models.clear import search

    config, model = _clip_evidence_run(run_dir)
    starts, ends = np.nonzero(np.asarray(model.candidate_mask, bool))
    best_cells, clip_hits, ground_truth = {}, [], []
    for video in prepare_videos(config, getattr(config.data, f"{split}_split")):
        moment_map = model.encode_video(tf.constant(video.features))
        queries = model.encode_queries(tf.constant(video.token_ids), tf.constant(video.padding_mask))
        fused = queries[:, tf.newaxis, tf.newaxis, :] * moment_map[tf.newaxis]
        mlp = tf.cast(model.fine_head(fused, training=False), tf.float32).numpy()
        evidence = search.clip_evidence_map(model, moment_map, queries).numpy()
        clip_scores = search.one_clip_scores(moment_map, queries, model.hidden_dim)
        # The learned a with τ given at inference, as --evidence_threshold sets it.
        at_fixed = {t: search.clip_evidence_map(model, moment_map, queries, t).numpy() for t in thresholds}
        maps = {
            "fine logit (MLP + evidence, CLEAR-F)": mlp + evidence,
            "MLP on q ⊙ J alone": mlp,
            "evidence alone (learned a, τ)": evidence,
            "coarse score (CLEAR-C)": search.coarse_score_map(moment_map, queries, model.hidden_dim).numpy(),
            **{f"evidence alone, τ = {t:g}": value for t, value in at_fixed.items()},
            **{f"MLP + evidence, τ = {t:g}": mlp + value for t, value in at_fixed.items()},
        }
        seconds_per_clip = video.duration / model.num_clips
        for name, scores in maps.items():
            best = scores[:, starts, ends].argmax(axis=-1)
            best_cells.setdefault(name, []).append(
                np.stack([starts[best], ends[best] + 1], axis=-1) * seconds_per_clip
            )
        best_clip = clip_scores.numpy().argmax(axis=-1)
        clip_hits.append(
            (best_clip * seconds_per_clip < video.times[:, 1]) & ((best_clip + 1) * seconds_per_clip > video.times[:, 0])
        )
        ground_truth.append(video.times)
    ground_truth = np.concatenate(ground_truth)
    rows = {}
    for name, cells in best_cells.items():
        predictions = np.concatenate(cells)[:, np.newaxis, :]  # top 1 [Q, 1, 2]
        rows[name] = {
            f"R@1,IoU={m:g}": f"{100 * metrics_lib.recall_at(predictions, ground_truth, 1, m, config.inference.strict_iou):.2f}"
            for m in (0.3, 0.5, 0.7)
        }
    layer = model.clip_evidence
    return (
        f"## The fine logit's parts on `{run_dir}` ({config.data.dataset} {split}, L = {model.num_clips})\n\n"
        f"{_environment()}. Top-1 of every candidate (no search, no NMS) by each score; learned "
        f"a = {float(layer.scale.numpy()):.3f}, τ = {float(layer.threshold.numpy()):.3f}; the best "
        f"one-clip coarse score falls inside the moment for {100 * np.concatenate(clip_hits).mean():.1f}% "
        f"of the queries (clip hit).\n\n" + _table(rows)
    )


def study_fine_score(run_dir: str) -> str:
    """The fine score's τ and MLP weight on one ``--fine_clip_evidence`` run, picked on val."""
    from clear_tf.evaluation import prepare_videos, split_evaluator
    from clear_tf.models.clear.threshold_search import tune_fine_score

    config, model = _clip_evidence_run(run_dir)
    evaluate_val = split_evaluator(model, prepare_videos(config, config.data.val_split), config)
    evaluate_test = split_evaluator(model, prepare_videos(config, config.data.test_split), config)
    val_results = []  # (options, result) of every grid point tune_fine_score runs

    def recorded_val(method, **options):
        val_results.append((options, evaluate_val(method, **options)))
        return val_results[-1][1]

    chosen = tune_fine_score(recorded_val, METRIC)
    rows = {}
    for options, val_result in val_results:
        threshold, weight = options["evidence_threshold"], options["fine_mlp_weight"]
        name = f"CLEAR-F, τ = {'learned' if threshold is None else f'{threshold:g}'}, MLP weight {weight:g}"
        rows[name] = _search_row(val_result, evaluate_test("clear_f", **options))
    trained = {"evidence_threshold": None, "fine_mlp_weight": 1.0}
    for label, options in (("trained fine score", trained), ("picked fine score", chosen)):
        rows[f"CLEAR ({config.model.tree} tree, the run's budget), {label}"] = _search_row(
            evaluate_val("clear", **options), evaluate_test("clear", **options)
        )
    layer = model.clip_evidence
    return (
        f"## The fine score at inference on `{run_dir}` ({config.data.dataset}, L = {model.num_clips})\n\n"
        f"{_environment()}. Learned a = {float(layer.scale.numpy()):.3f}, τ = "
        f"{float(layer.threshold.numpy()):.3f}; picked on val ({METRIC} of CLEAR-F): {chosen}; "
        f"test reported beside every row, never used to choose.\n\n" + _table(rows)
    )


def study_tuning_cost(run_dir: str) -> str:
    """Seconds to pick μ, ρ on val: one point re-encoding the split, the grid encoded once."""
    from clear_tf.evaluation import evaluate_videos, prepare_videos, split_evaluator
    from clear_tf.models import load_model
    from clear_tf.models.clear import threshold_search
    from clear_tf.run_dir import RunDir, load_config

    run = RunDir(run_dir)
    config = load_config(run)
    model = load_model(run.best_model)
    val = prepare_videos(config, config.data.val_split)
    points = [(mu, rho) for mu, rho in itertools.product(threshold_search.MU_GRID, threshold_search.RHO_GRID) if mu < rho]
    evaluate_videos(model, val, config, inference="clear_f")  # reads and caches the split's examples
    started = time.perf_counter()
    mu, rho = points[0]
    evaluate_videos(model, val, config, inference="clear", tree="paper", mu=mu, rho=rho)
    per_point = time.perf_counter() - started
    started = time.perf_counter()
    evaluate = split_evaluator(model, val, config)
    mu, rho = threshold_search.tune_thresholds(evaluate, config.train.monitor.removeprefix("val_"))
    grid_seconds = time.perf_counter() - started
    encoded = evaluate("clear", tree="paper", mu=mu, rho=rho)
    reencoded = evaluate_videos(model, val, config, inference="clear", tree="paper", mu=mu, rho=rho)
    rows = {
        "one point, every video and query encoded again (evaluate_videos)": {
            "seconds": f"{per_point:.1f}", f"grid of {len(points)} points (s)": f"{per_point * len(points):.0f} (estimated)",
        },
        "the grid, encoded once (split_evaluator)": {
            "seconds": f"{grid_seconds / len(points):.1f} per point", f"grid of {len(points)} points (s)": f"{grid_seconds:.0f}",
        },
    }
    metrics = ", ".join(
        f"{name} {encoded.metrics[name]:.2f} / {reencoded.metrics[name]:.2f}" for name in (METRIC, R5)
    )
    return (
        f"## Picking μ, ρ on val: `{run_dir}` ({config.data.dataset} {config.data.val_split}, "
        f"{sum(v.num_queries for v in val)} queries, L = {model.num_clips})\n\n{_environment()}.\n\n"
        + _table(rows)
        + f"\n\nPicked μ = {mu:g}, ρ = {rho:g}; at that point, encoded once / re-encoded: {metrics}; "
        f"scored {100 * encoded.scored_fraction:.1f}% / {100 * reencoded.scored_fraction:.1f}%.\n"
    )


def study_nms_ties(run_dir: str) -> str:
    """The exact NMS rule against the float32-seconds rule on one run's test split."""
    import numpy as np
    import tensorflow as tf

    from clear_tf.evaluation import evaluate_videos, prepare_videos
    from clear_tf.models import base, load_model
    from clear_tf.run_dir import RunDir, load_config

    exact_ranked_moments = base.ranked_moments

    def float_ranked_moments(scores, kept, clip_starts, clip_ends, seconds_per_clip, *, iou_threshold, top_k):
        # The rule before the exact one: IoU of the segments in float32 seconds.
        step = tf.cast(seconds_per_clip, tf.float32)
        starts = tf.cast(clip_starts, tf.float32) * step
        ends = tf.cast(clip_ends, tf.float32) * step

        def one_query(query):
            query_scores, query_kept = query
            candidates = tf.where(query_kept)[:, 0]
            boxes = tf.stack(
                [tf.zeros_like(starts), starts, tf.ones_like(starts), ends], axis=-1
            )
            picked = tf.image.non_max_suppression(
                tf.gather(boxes, candidates), tf.gather(query_scores, candidates),
                max_output_size=top_k, iou_threshold=iou_threshold,
            )
            selected = tf.gather(candidates, picked)
            padding = [[0, top_k - tf.shape(selected)[0]]]
            return (
                tf.pad(tf.gather(starts, selected), padding),
                tf.pad(tf.gather(ends, selected), padding),
                tf.pad(tf.gather(query_scores, selected), padding, constant_values=float("-inf")),
            )

        spec = tf.TensorSpec([top_k], tf.float32)
        start, end, score = tf.map_fn(one_query, (scores, kept), fn_output_signature=(spec, spec, spec))
        return {"start": start, "end": end, "score": score}

    run = RunDir(run_dir)
    config = load_config(run)
    model = load_model(run.best_model)
    test = prepare_videos(config, config.data.test_split)
    rows = {}
    for name, method in (("default inference", config.inference_method), ("CLEAR-F", "clear_f")):
        results = {}
        for rule, function in (("exact", exact_ranked_moments), ("float32 seconds", float_ranked_moments)):
            base.ranked_moments = function
            try:
                results[rule] = evaluate_videos(model, test, config, inference=method)
            finally:
                base.ranked_moments = exact_ranked_moments
        exact, rounded = results["exact"], results["float32 seconds"]
        differing = sum(
            not np.allclose(a["start"], b["start"]) or not np.allclose(a["end"], b["end"])
            for a, b in zip(exact.predictions, rounded.predictions)
        )
        rows[name] = {
            "queries": exact.num_queries,
            "queries with another top-k": differing,
            "R@5,IoU=0.5 exact": f"{exact.metrics[R5]:.2f}",
            "R@5,IoU=0.5 float32": f"{rounded.metrics[R5]:.2f}",
            "R@5,IoU=0.7 exact": f"{exact.metrics['R@5,IoU=0.7']:.2f}",
            "R@5,IoU=0.7 float32": f"{rounded.metrics['R@5,IoU=0.7']:.2f}",
            "R@1,IoU=0.5 exact": f"{exact.metrics[METRIC]:.2f}",
            "R@1,IoU=0.5 float32": f"{rounded.metrics[METRIC]:.2f}",
        }
    return (
        f"## NMS ties on `{run_dir}` ({config.data.dataset} {config.data.test_split}, "
        f"NMS {config.inference.nms_threshold})\n\n{_environment()}.\n\n" + _table(rows)
    )


def _search_row(val_result, test_result) -> dict:
    return {
        f"val {METRIC}": f"{val_result.metrics[METRIC]:.2f}",
        "val R@5,IoU=0.5": f"{val_result.metrics['R@5,IoU=0.5']:.2f}",
        "val scored %": f"{100 * val_result.scored_fraction:.1f}",
        f"test {METRIC}": f"{test_result.metrics[METRIC]:.2f}",
        "test R@5,IoU=0.5": f"{test_result.metrics['R@5,IoU=0.5']:.2f}",
        "test scored %": f"{100 * test_result.scored_fraction:.1f}",
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--study", choices=("coarse_weight", "search", "budget", "fine_parts", "fine_score", "tuning_cost", "nms_ties"), required=True)
    parser.add_argument("--run_dir", default="runs/demo",
                        help="Trained run for every study but coarse_weight (budget: a comma list, one run per seed).")
    parser.add_argument("--work_dir", default="/tmp/clear_choices", help="Run folders of --study=coarse_weight.")
    parser.add_argument("--seeds", default="0,1,2", help="Seeds of --study=coarse_weight.")
    parser.add_argument("--epochs", type=int, default=4, help="Epochs per run of --study=coarse_weight.")
    parser.add_argument("--budget_grid", default="",
                        help="--study=budget: share:peaks[:peak_iou] points, e.g. 0.05:0,0:5,0.1:5:0.3 (default: "
                             "the built-in grid; peak_iou defaults to --nms_threshold).")
    parser.add_argument("--refine", choices=("both", "yes", "no"), default="both",
                        help="--study=budget: each point with and without --refine_straddling, or only with / without.")
    parser.add_argument("--min_prior_margin", type=float, default=None,
                        help="--study=budget: also require every R@n,IoU=m >= the query-blind prior's + this (points).")
    parser.add_argument("--output", default="", help="The report (default: benchmarks/results/clear_choices_<study>.md).")
    parser.add_argument("--tune", action=argparse.BooleanOptionalAction, default=True,
                        help="--study=search: pick μ, ρ on val per reading of line 8 (else the config's).")
    args = parser.parse_args()
    if args.study == "coarse_weight":
        report = study_coarse_weight(args.work_dir, [int(s) for s in args.seeds.split(",")], args.epochs)
    elif args.study == "search":
        report = study_search(args.run_dir, args.tune)
    elif args.study == "budget":
        try:
            grid = parse_budget_grid(args.budget_grid) if args.budget_grid else None
        except ValueError as error:
            parser.error(str(error))
        refine = {"both": (False, True), "yes": (True,), "no": (False,)}[args.refine]
        report = study_budget(args.run_dir.split(","), grid, refine, args.min_prior_margin)
    elif args.study == "fine_parts":
        report = study_fine_parts(args.run_dir)
    elif args.study == "fine_score":
        report = study_fine_score(args.run_dir)
    elif args.study == "tuning_cost":
        report = study_tuning_cost(args.run_dir)
    else:
        report = study_nms_ties(args.run_dir)
    path = args.output or os.path.join(RESULTS_DIR, f"clear_choices_{args.study}.md")
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as handle:
        handle.write(report + "\n")
    print(report)
    print(f"\nWritten to {path}")


if __name__ == "__main__":
    main()
