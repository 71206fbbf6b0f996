"""Inference benchmark sections: shared vs per-query encoding, coarse-to-fine saving,
scaling with L and M, fine-head headroom, and R_A against the paper.

Every section returns a ``Section`` (Markdown body plus the summary lines that
``benchmarks/run.py`` prints). Models are built with ``clear_tf.models.build_model`` on
the configs of ``configs/*.flags`` (random weights: timing does not depend on them);
inputs are random features of the real shapes and tokenized random sentences.

Run as a script, this module measures one point of the scale section in a fresh
process (``run.py`` starts it), so that the peak RSS it reports is that point's alone.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import os
import subprocess
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO_ROOT)

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from bench_utils import (  # noqa: E402
    markdown_table,
    matmul_flops,
    mlp_head_flops,
    peak_rss_mib,
    ratio_line,
    time_call,
)
from clear_tf.data.query_tokenizer import QueryTokenizer  # noqa: E402
from clear_tf.evaluation import evaluate_videos, prepare_videos  # noqa: E402
from clear_tf.flagfile import config_from_flagfile  # noqa: E402
from clear_tf.inference import make_localizer  # noqa: E402
from clear_tf.inference import prepare_features  # noqa: E402
from clear_tf.models import build_model, load_model  # noqa: E402
from clear_tf.models.clear.mlp_fine_head import MLPFineHead  # noqa: E402
from clear_tf.models.clear.search import coarse_score_map, full_fine_logits, pruned_fine_logits  # noqa: E402
from clear_tf.models.clear.tree_search import default_depth, tree_search  # noqa: E402
from clear_tf.run_dir import RunDir, load_config  # noqa: E402

TACOS_FLAGS = os.path.join(REPO_ROOT, "configs", "tacos.flags")
ACTIVITYNET_FLAGS = os.path.join(REPO_ROOT, "configs", "activitynet.flags")
PAPER_TACOS_MS_PER_QUERY = 17.5  # Table VI of the paper, RTX 2080Ti
WORDS = "the person takes out a knife cuts washes carrot bread board plate again then".split()


@dataclasses.dataclass
class Section:
    """One benchmark section's output.

    Attributes:
        title: the Markdown heading.
        body: Markdown tables and notes.
        summary: the ratio lines printed at the end of the run.
    """

    title: str
    body: str
    summary: list


@dataclasses.dataclass
class InferenceShape:
    """A dataset's inference shape: its flagfile, D, and queries per video M."""

    name: str
    flagfile: str
    feature_dim: int
    queries_per_video: int


INFERENCE_SHAPES = (
    InferenceShape("TACoS-shaped", TACOS_FLAGS, 4096, 25),
    InferenceShape("ActivityNet-shaped", ACTIVITYNET_FLAGS, 500, 4),
)


def random_video(config, feature_dim: int, num_queries: int, seed: int = 0) -> tuple:
    """Localizer inputs of one random video: features [N, D], token ids and mask [M, S], T."""
    rng = np.random.default_rng(seed)
    features = rng.standard_normal((config.data.num_pre_clips, feature_dim)).astype(np.float32)
    sentences = [" ".join(rng.choice(WORDS, size=int(rng.integers(5, 15)))) for _ in range(num_queries)]
    tokenizer = QueryTokenizer(config.model.text_preset, config.data.max_query_tokens)
    token_ids, padding_mask = tokenizer(tf.constant(sentences))
    return tf.constant(features), token_ids, padding_mask, tf.constant(120.0)


def config_localizer(model, config):
    """``make_localizer`` with the inference settings of ``config`` (as the export bakes them in)."""
    from clear_tf.export.signatures import inference_options

    return make_localizer(
        model, normalize_features=config.data.normalize_features, **inference_options(model, config)
    )


def shared_vs_reencoded(shape: InferenceShape, repeats: int) -> dict:
    """R_A (ms/query) with one encoding per video vs one encoding per query."""
    config = config_from_flagfile(shape.flagfile)
    model = build_model(config, shape.feature_dim)
    localizer = config_localizer(model, config)
    features, token_ids, padding_mask, duration = random_video(
        config, shape.feature_dim, shape.queries_per_video
    )
    scored = localizer(features, token_ids, padding_mask, duration)["scored_fraction"].numpy()
    shared = time_call(
        lambda: localizer(features, token_ids, padding_mask, duration)["score"].numpy(), repeats
    )
    # Query-for-moment: each of the M calls encodes the video again for one query; the
    # calls are identical in cost, so M × (one call) is timed as the median single call.
    single = time_call(
        lambda: localizer(features, token_ids[:1], padding_mask[:1], duration)["score"].numpy(),
        repeats,
    )
    return {
        "shape": shape,
        "config": config,
        "shared_ms": 1000.0 * shared.median / shape.queries_per_video,
        "reencoded_ms": 1000.0 * single.median,
        "spread": max(shared.spread, single.spread),
        "scored_fraction": float(scored.mean()),
    }


def section_shared_encoding(repeats: int, shapes=INFERENCE_SHAPES) -> tuple[Section, dict]:
    """Section 1; also returns the TACoS-shaped measurement that section 7 reports."""
    rows, summary, measured = [], [], {}
    for shape in shapes:
        result = shared_vs_reencoded(shape, repeats)
        measured[shape.name] = result
        config = result["config"]
        speedup = result["reencoded_ms"] / result["shared_ms"]
        rows.append(
            [
                shape.name,
                f"{shape.feature_dim} / {config.data.num_pre_clips} / {config.data.num_clips}",
                shape.queries_per_video,
                f"{config.inference_method} ({config.model.tree})",
                f"{100 * result['scored_fraction']:.0f}",
                f"{result['reencoded_ms']:.1f}",
                f"{result['shared_ms']:.1f}",
                f"{speedup:.2f}",
                f"{100 * result['spread']:.0f}%",
            ]
        )
        target = 5.0 if shape.name.startswith("TACoS") else None
        summary.append(ratio_line(f"[1] {shape.name} shared / re-encoded speed-up", speedup, target))
    body = markdown_table(
        ["data", "D / N / L", "queries per video M", "method", "candidates scored (%)",
         "re-encoded per query (ms)",
         "encoded once (ms/query)", "speed-up", "repeat spread"],
        rows,
    )
    body += (
        "\n\nR_A = wall time of `localize` (a `make_localizer` tf.function, traced before "
        "timing) per query, median of the repeats. *Encoded once*: one call with all M "
        "queries. *Re-encoded* (query-for-moment): M calls with one query each; they cost "
        "the same, so the median single-query call is reported. Random weights and "
        "features; models from the flagfiles (BERT = all-MiniLM-L6-v2, S = "
        "`max_query_tokens`). With random weights the binary tree follows an arbitrary best "
        "coarse candidate, so the share it keeps (the scored column) is not that of a "
        "trained model (section 2)."
    )
    return Section("1. Inference per query: video encoded once vs per query", body, summary), measured


def section_paper_comparison(measured: dict | None, repeats: int) -> Section:
    """Section 7: the TACoS-shaped R_A of the default TACoS config next to the paper's."""
    if measured is None or "TACoS-shaped" not in measured:
        measured = {"TACoS-shaped": shared_vs_reencoded(INFERENCE_SHAPES[0], repeats)}
    result = measured["TACoS-shaped"]
    config = result["config"]
    rows = [
        ["clear-tf (this run, CPU)", f"{config.inference_method} ({config.model.tree} tree)",
         f"{result['shared_ms']:.1f}"],
        ["paper, Table VI (RTX 2080Ti)", "CLEAR", f"{PAPER_TACOS_MS_PER_QUERY}"],
    ]
    body = markdown_table(["implementation", "method", "R_A (ms/query)"], rows)
    body += (
        f"\n\nSame measurement as section 1 (M = {result['shape'].queries_per_video} queries "
        "per video, video encoded once, BERT query encoding included). A CPU is not the "
        "paper's GPU; the row is for scale, not a like-for-like comparison."
    )
    ratio = result["shared_ms"] / PAPER_TACOS_MS_PER_QUERY
    return Section(
        "7. TACoS-shaped R_A against the paper",
        body,
        [ratio_line("[7] TACoS R_A, this CPU / paper GPU (17.5 ms)", ratio)],
    )


def fine_stage_seconds(model, videos, config, max_videos: int, repeats: int) -> dict:
    """Median wall time of the fine stage, summed over videos, per kept-mask method.

    For each video, J and q come from the model; the kept masks of the paper and
    binary trees come from ``tree_search`` on the coarse scores, CLEAR-F keeps every
    candidate. ``pruned_fine_logits`` (fuse and score only the kept cells) is timed for
    each mask and ``full_fine_logits`` (the head on the whole [M, L, L, d] map) once.
    """
    settings = config.model
    candidate_mask = np.asarray(model.candidate_mask, bool)
    num_clips, dim = model.num_clips, model.hidden_dim
    map_spec = tf.TensorSpec([num_clips, num_clips, dim], tf.float32)
    query_spec = tf.TensorSpec([None, dim], tf.float32)
    pruned = tf.function(
        lambda j, q, kept: pruned_fine_logits(model, j, q, kept),
        input_signature=[map_spec, query_spec, tf.TensorSpec([None, num_clips, num_clips], tf.bool)],
    )
    full = tf.function(lambda j, q: full_fine_logits(model, j, q), input_signature=[map_spec, query_spec])
    totals = {"full map": 0.0, "clear_f": 0.0, "paper": 0.0, "binary": 0.0}
    for index, video in enumerate(videos):
        if index == max_videos:
            break
        moment_map = model.encode_video(
            prepare_features(video.features, model.num_pre_clips, config.data.normalize_features)
        )
        queries = model.encode_queries(video.token_ids, video.padding_mask.astype(np.int32))
        coarse = coarse_score_map(moment_map, queries, dim)
        masks = {"clear_f": tf.broadcast_to(candidate_mask, coarse.shape)}
        for tree in ("paper", "binary"):
            masks[tree] = tree_search(
                coarse, candidate_mask, tree=tree,
                depth=default_depth(tree, num_clips, int(model.tree_depth)),
                mu=settings.mu, rho=settings.rho,
            )["mask"]
        totals["full map"] += time_call(lambda: full(moment_map, queries).numpy(), repeats).median
        for name, kept in masks.items():
            totals[name] += time_call(lambda: pruned(moment_map, queries, kept).numpy(), repeats).median
    return totals


def section_coarse_to_fine(
    run_dir: str, max_videos: int, repeats: int, max_eval_videos: int | None = None
) -> Section:
    """Section 2: accuracy, scored share and fine-stage time of CLEAR-F and the two trees.

    ``max_eval_videos`` limits the evaluation to the first videos of the split (quick
    runs; the table says so); None evaluates the whole split.
    """
    title = "2. Coarse-to-fine saving (trained model, synthetic test split)"
    run = RunDir(run_dir)
    if not (os.path.isfile(run.config) and os.path.isfile(run.best_model)):
        message = (
            f"Skipped: no trained run in `{run_dir}` ({run.config} and {run.best_model} are "
            "needed). Make one with `make demo` (writes runs/demo), or pass "
            "`--run_dir=<a finished run>`."
        )
        return Section(title, message, [f"[2] skipped: no trained run in {run_dir} (run `make demo`)"])
    config = load_config(run)
    model = load_model(run.best_model)
    videos = prepare_videos(config, config.data.test_split)
    if max_eval_videos is not None:
        videos = list(itertools.islice(videos, max_eval_videos))
    split_label = "whole split" if max_eval_videos is None else f"first {max_eval_videos} videos"
    methods = (("CLEAR-F (full ranking)", "clear_f", None, "clear_f"),
               ("CLEAR, paper tree", "clear", "paper", "paper"),
               ("CLEAR, binary tree", "clear", "binary", "binary"))
    results = {
        key: evaluate_videos(model, videos, config, inference=inference, **({"tree": tree} if tree else {}))
        for _, inference, tree, key in methods
    }
    fine_seconds = fine_stage_seconds(model, videos, config, max_videos, repeats)
    metric = "R@1,IoU=0.5"
    rows = []
    for label, _, _, key in methods:
        result = results[key]
        rows.append([label, f"{result.metrics[metric]:.2f}", f"{100 * result.scored_fraction:.1f}",
                     f"{1000 * fine_seconds[key]:.1f}", f"{result.total_seconds:.2f}",
                     result.num_queries])
    rows.append(["(fine head on the whole L×L map)", "", "100 + non-candidates",
                 f"{1000 * fine_seconds['full map']:.1f}", "", ""])
    body = markdown_table(
        ["method", metric, "candidates scored (%)",
         f"fine stage, first {max_videos} videos (ms)", f"R_T, {split_label} (s)", "queries"],
        rows,
    )
    body += (
        f"\n\nRun `{run_dir}` ({config.data.dataset}, L = {model.num_clips}, P = "
        f"{model.tree_depth} for the paper tree, the binary tree down to one-clip nodes, "
        f"μ = {config.model.mu}, ρ = {config.model.rho}); "
        "accuracy, scored share and R_T from `clear_tf.evaluation.evaluate_videos` on the "
        f"`{config.data.test_split}` split ({split_label}). Fine stage: `pruned_fine_logits` on the real J "
        "and q with each method's kept mask (tf.function, median of repeats, summed over "
        "videos); the last row is `full_fine_logits`."
    )
    binary, full = results["binary"], results["clear_f"]
    accuracy_gap = full.metrics[metric] - binary.metrics[metric]
    summary = [
        f"[2] binary tree scores {100 * binary.scored_fraction:.1f}% of candidates "
        f"(target <= 25%: {'met' if binary.scored_fraction <= 0.25 else 'NOT met'})",
        f"[2] binary tree {metric} {binary.metrics[metric]:.2f} vs CLEAR-F {full.metrics[metric]:.2f}, "
        f"gap {accuracy_gap:.2f} points (target <= 1: {'met' if accuracy_gap <= 1.0 else 'NOT met'})",
        ratio_line("[2] fine stage time, CLEAR-F / binary tree",
                   fine_seconds["clear_f"] / fine_seconds["binary"]),
        f"[2] paper tree scores {100 * results['paper'].scored_fraction:.1f}% of candidates",
    ]
    return Section(title, body, summary)


def section_headroom(num_queries: int, matmul_size: int, repeats: int) -> Section:
    """Section 6: FLOP/s of the fine head on every TACoS candidate vs a large matmul."""
    config = config_from_flagfile(TACOS_FLAGS)
    dim, layers, num_clips = config.model.hidden_dim, config.model.fine_head_layers, config.data.num_clips
    num_cells = num_queries * num_clips * (num_clips + 1) // 2
    head = MLPFineHead(dim, num_layers=layers, dropout=config.model.dropout)
    fused = tf.random.normal([num_cells, dim])
    run_head = tf.function(lambda x: head(x, training=False))
    head_seconds = time_call(lambda: run_head(fused).numpy(), repeats).median
    left = tf.random.normal([matmul_size, matmul_size])
    right = tf.random.normal([matmul_size, matmul_size])
    run_matmul = tf.function(tf.linalg.matmul)
    matmul_seconds = time_call(lambda: run_matmul(left, right).numpy(), repeats).median
    head_rate = mlp_head_flops(num_cells, dim, layers) / head_seconds
    matmul_rate = matmul_flops(matmul_size, matmul_size, matmul_size) / matmul_seconds
    rows = [
        [f"MLP fine head, {layers} layers, d = {dim}, on {num_cells:,} cells "
         f"({num_queries} queries × {num_clips * (num_clips + 1) // 2} candidates)",
         f"{mlp_head_flops(num_cells, dim, layers) / 1e9:.2f}", f"{1000 * head_seconds:.1f}",
         f"{head_rate / 1e9:.1f}"],
        [f"float32 matmul {matmul_size}×{matmul_size}",
         f"{matmul_flops(matmul_size, matmul_size, matmul_size) / 1e9:.2f}",
         f"{1000 * matmul_seconds:.1f}", f"{matmul_rate / 1e9:.1f}"],
    ]
    body = markdown_table(["work", "GFLOP (analytic)", "time (ms)", "GFLOP/s"], rows)
    body += (
        "\n\nFLOPs count a multiply-add as 2 and leave out biases and ReLU. The head is the "
        "TACoS config's `MLPFineHead` (random weights) in a tf.function on a [n, d] list, "
        "as the pruned search calls it; both timed in this process, median of repeats."
    )
    return Section(
        "6. Headroom: fine head FLOP/s vs a large matmul",
        body,
        [ratio_line("[6] fine head FLOP/s / matmul FLOP/s", head_rate / matmul_rate, unit="")],
    )


# === Section 5: each point in a fresh process ===


def scale_point(num_clips: int, num_queries: int, repeats: int) -> dict:
    """R_A and memory of the TACoS config at L = ``num_clips`` with M queries (this process)."""
    config = config_from_flagfile(TACOS_FLAGS, num_clips=num_clips)
    feature_dim = INFERENCE_SHAPES[0].feature_dim
    model = build_model(config, feature_dim)
    localizer = config_localizer(model, config)
    inputs = random_video(config, feature_dim, num_queries)
    before_mib = peak_rss_mib()
    outputs = {}

    def localize_once():
        outputs.update({name: value.numpy() for name, value in localizer(*inputs).items()})

    timing = time_call(localize_once, repeats)
    num_candidates = int(model.candidate_mask.sum())
    kept_cells = float(outputs["scored_fraction"].sum()) * num_candidates
    last_channels = config.model.tcn_channels[-1] if config.model.use_tcn else feature_dim
    tensor_bytes = {
        "moment map [L, L, C]": num_clips * num_clips * last_channels * 4,
        "J [L, L, d]": num_clips * num_clips * config.model.hidden_dim * 4,
        "fused kept cells [n, d]": int(kept_cells) * config.model.hidden_dim * 4,
    }
    largest = max(tensor_bytes, key=tensor_bytes.get)
    return {
        "L": num_clips,
        "M": num_queries,
        "ms_per_query": 1000.0 * timing.median / num_queries,
        "ms_per_video": 1000.0 * timing.median,
        "peak_rss_mib": peak_rss_mib(),
        "rss_growth_mib": peak_rss_mib() - before_mib,
        "largest_tensor": largest,
        "largest_tensor_mib": tensor_bytes[largest] / 2**20,
        "scored_fraction": float(outputs["scored_fraction"].mean()),
    }


def run_scale_point(num_clips: int, num_queries: int, repeats: int) -> dict:
    """``scale_point`` in a child process (its peak RSS is then this point's alone)."""
    completed = subprocess.run(
        [sys.executable, os.path.abspath(__file__), str(num_clips), str(num_queries), str(repeats)],
        capture_output=True, text=True, check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(
            f"scale point L={num_clips}, M={num_queries} failed:\n{completed.stderr[-3000:]}"
        )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def section_scale(clip_counts, query_counts, queries_axis_clips: int, repeats: int,
                  plot_path: str) -> Section:
    """Section 5: R_A and memory against L (M = 25) and against M (L = ``queries_axis_clips``).

    A point on both axes is measured once.
    """
    points = {}

    def point(num_clips, num_queries):
        if (num_clips, num_queries) not in points:
            points[num_clips, num_queries] = run_scale_point(num_clips, num_queries, repeats)
        return points[num_clips, num_queries]

    by_clips = [point(num_clips, 25) for num_clips in clip_counts]
    by_queries = [point(queries_axis_clips, num_queries) for num_queries in query_counts]
    header = ["L", "M", "R_A (ms/query)", "ms/video", "candidates scored (%)",
              "peak RSS (MiB)", "RSS growth while localizing (MiB)", "largest tensor (analytic)"]

    def rows(points):
        return [[p["L"], p["M"], f"{p['ms_per_query']:.1f}", f"{p['ms_per_video']:.0f}",
                 f"{100 * p['scored_fraction']:.1f}", f"{p['peak_rss_mib']:.0f}",
                 f"{p['rss_growth_mib']:.0f}", f"{p['largest_tensor']}: {p['largest_tensor_mib']:.1f} MiB"]
                for p in points]

    body = "Against L (M = 25 queries):\n\n" + markdown_table(header, rows(by_clips))
    body += f"\n\nAgainst queries per video M (L = {queries_axis_clips}):\n\n" + markdown_table(header, rows(by_queries))
    body += (
        "\n\nTACoS config (D = 4096, N = 256, default CLEAR with the binary tree, random "
        "weights). Each point runs in a fresh process: *peak RSS* is that process's "
        "high-water RSS (`VmHWM`; TensorFlow, BERT and the model included), *RSS growth* the rise of "
        "the peak during the warm-up and timed `localize` calls (tracing included). Next to "
        "them, the analytic size of the largest of the moment map, J and the fused kept "
        "cells (float32). With random weights the coarse scores carry no signal, so the "
        "binary tree follows an arbitrary candidate and the scored share (its column) is "
        "not that of a trained model; CLEAR-F's cost is that of 100%. Plot: "
        f"`{os.path.basename(plot_path)}` next to this report."
    )
    save_scale_plot(by_clips, by_queries, queries_axis_clips, plot_path)
    growth = by_clips[-1]["ms_per_video"] / by_clips[0]["ms_per_video"]
    return Section(
        "5. Scale: R_A and memory against L and queries per video",
        body,
        [ratio_line(f"[5] ms/video at L={by_clips[-1]['L']} / L={by_clips[0]['L']}", growth),
         ratio_line(f"[5] ms/query at M={by_queries[0]['M']} / M={by_queries[-1]['M']}",
                    by_queries[0]["ms_per_query"] / by_queries[-1]["ms_per_query"])],
    )


def save_scale_plot(by_clips: list, by_queries: list, queries_axis_clips: int, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, points, key, label in ((axes[0], by_clips, "L", "L (clips), M = 25"),
                                   (axes[1], by_queries, "M", f"queries per video M, L = {queries_axis_clips}")):
        x = [p[key] for p in points]
        ax.plot(x, [p["ms_per_query"] for p in points], "o-", color="tab:blue")
        ax.set_xscale("log", base=2)
        ax.set_xlabel(label)
        ax.set_ylabel("R_A (ms/query)", color="tab:blue")
        memory = ax.twinx()
        memory.plot(x, [p["peak_rss_mib"] for p in points], "s--", color="tab:red")
        memory.set_ylabel("peak RSS (MiB)", color="tab:red")
    figure.suptitle("CLEAR inference, TACoS config (CPU)")
    figure.tight_layout()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)


if __name__ == "__main__":
    clips, queries, point_repeats = (int(value) for value in sys.argv[1:4])
    print(json.dumps(scale_point(clips, queries, point_repeats)))
