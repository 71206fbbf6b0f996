"""Which training signal a query-moment matcher learns from in its first steps, by objective.

    python benchmarks/objective_learnability.py   # tacos_like → benchmarks/results/objective_learnability.md

On tacos_like, CLEAR learns nothing in its first few hundred steps (BENCHMARKS.md, "The
fine head's starting bias"). This script separates the data from the objective: from
the same batches and seed, a small matcher built from CLEAR's own layers trains on

- ``clip``: every one-clip cell's score cᵀq/d against whether the clip overlaps the
  query's moment (squared error, the diagonal of the map only: CLEAR's
  ``--clip_alignment_weight`` term);
- ``moment``: CLEAR's coarse-map term, (cᵀq/d − IoU)² averaged over every candidate;
- ``moment+clip``: the sum of the two;
- ``clear``: the flagfile's CLEAR itself, trained as ``train.py`` trains it;
- ``clear+clip``: the same CLEAR with ``--clip_alignment_weight`` set to this script's
  ``--clip_alignment_weight`` (the clip objective's term on CLEAR's coarse map).

The matcher is CLEAR's coarse path with a linear projection in place of the Bi-TCN:
unit features → ``ClipPooling`` (L clips) → Dense(d) → ``MomentMap`` (max over clips
i..j) → Dense(d) + ReLU → c (``--matcher_video=bi_tcn``: the flagfile's Bi-TCN on the
units first, as in CLEAR, and Dropout off); sentence vector → Dense(d) + ReLU → q;
``QueryMomentSimilarity`` → cᵀq/d. Every ``--every`` steps, ``--probe_batches`` batches
of the validation split (never trained on) are scored: the share of queries whose
best one-clip cell overlaps their moment ("clip hit"; by chance, about the share of the
video a moment covers), and the IoU of the best candidate.
"""

from __future__ import annotations

import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
BENCHMARKS_DIR = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(BENCHMARKS_DIR)
for path in (REPO, BENCHMARKS_DIR):
    if path not in sys.path:
        sys.path.insert(0, path)

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from bench_utils import markdown_table, write_training_probe_report  # noqa: E402
from clear_tf import dataset_info  # noqa: E402
from clear_tf.data.pipeline import QueryReport  # noqa: E402
from clear_tf.flagfile import config_from_flagfile  # noqa: E402
from clear_tf.layers import ClipPooling, MomentMap, candidate_cells  # noqa: E402
from clear_tf.models.clear.bi_tcn import BiTCN  # noqa: E402
from clear_tf.models.clear.coarse_map_alignment_loss import CoarseMapAlignmentLoss  # noqa: E402
from clear_tf.models.clear.query_moment_similarity import QueryMomentSimilarity  # noqa: E402
from clear_tf.models.clear.span_boundaries import SpanBoundaryTerms  # noqa: E402
from clear_tf.training import trainer  # noqa: E402
from clear_tf.training.data import DataPosition, training_data  # noqa: E402
from fine_head_start import top_candidates  # noqa: E402

OBJECTIVES = ("clip", "moment", "moment+clip", "clear", "clear+clip")


def clip_hits(scores: np.ndarray, iou_map: np.ndarray, query_mask: np.ndarray) -> np.ndarray:
    """Whether each real query's best one-clip cell overlaps its moment.

    Args:
        scores: [B, K, L, L] scores (higher is better); only the diagonal is read.
        iou_map: [B, K, L, L] IoU of every cell with the query's moment.
        query_mask: [B, K], 1 for real query slots.
    """
    diagonal_scores = np.diagonal(scores, axis1=-2, axis2=-1)
    diagonal_ious = np.diagonal(iou_map, axis1=-2, axis2=-1)
    best = diagonal_scores.argmax(-1)
    hit = np.take_along_axis(diagonal_ious, best[..., None], -1)[..., 0] > 0
    return hit[query_mask > 0]


def build_matcher(
    config, feature_dim: int, sentence_dim: int, video: str = "linear", boundaries: bool = False
) -> keras.Model:
    """CLEAR's coarse path → cᵀq/d [B, K, L, L]; ``video`` "linear" or "bi_tcn", ``boundaries``
    adds ``SpanBoundaryTerms`` to the moment MLP (CLEAR's ``--moment_boundaries``; see the module doc)."""
    hidden_dim = config.model.hidden_dim
    features = keras.Input((config.data.num_pre_clips, feature_dim), name="features")
    sentences = keras.Input((None, sentence_dim), name="sentence_embedding")
    units = features
    if video == "bi_tcn":
        units = BiTCN(config.model.tcn_channels, config.model.tcn_kernel_size, dropout=0.0)(units)
    clips = ClipPooling(config.data.num_clips, "average")(units)
    clips = keras.layers.Dense(hidden_dim, name="clip_projection")(clips)
    if boundaries:
        moments = keras.layers.Dense(hidden_dim, name="moment_mlp")(MomentMap()(clips))
        moments = keras.layers.ReLU()(moments + SpanBoundaryTerms(hidden_dim)(clips))
    else:
        moments = keras.layers.Dense(hidden_dim, activation="relu", name="moment_mlp")(MomentMap()(clips))
    queries = keras.layers.Dense(hidden_dim, activation="relu", name="query_projection")(sentences)
    scores = QueryMomentSimilarity(scale_by_dim=True)([queries, moments])
    return keras.Model({"features": features, "sentence_embedding": sentences}, scores, name="matcher")


def train_matcher(
    config, objective: str, video: str, batches, probes, steps: int, every: int, boundaries: bool = False
) -> list[list]:
    """Rows (step, clip hit %, top-1 IoU, top-1 IoU > 0.5 %) of the matcher trained on ``objective``."""
    keras.utils.set_random_seed(config.train.seed)
    x, _, _ = batches[0]
    matcher = build_matcher(
        config, x["features"].shape[-1], x["sentence_embedding"].shape[-1], video, boundaries
    )
    # The clip objective is CLEAR's clip term (on a matcher, not CLEAR); the Keras reduction
    # divides by the B·K slots, which tacos_like fills (every video has >= 66 queries).
    loss_fn = CoarseMapAlignmentLoss(map_weight=float("moment" in objective), clip_weight=float("clip" in objective))
    optimizer = keras.optimizers.Adam(config.train.learning_rate)
    valid = candidate_cells(config.data.num_clips)

    @tf.function
    def step_fn(x, iou_map, query_mask):
        with tf.GradientTape() as tape:
            scores = matcher(x, training=True)
            loss = loss_fn(iou_map, scores, sample_weight=query_mask)
        variables = matcher.trainable_variables
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))

    def probe_row(step):
        return _probe_row(step, [(matcher(x, training=False), y, weights) for x, y, weights in probes], valid)

    rows = [probe_row(0)]
    for step in range(1, steps + 1):
        x, y, weights = batches[(step - 1) % len(batches)]
        step_fn(x, y["fine_logits"], weights["fine_logits"])
        if step % every == 0:
            rows.append(probe_row(step))
            print(f"  {objective}, step {step}: {rows[-1][1:]}", flush=True)
    return rows


def train_clear(config, strategy, batches, probes, steps: int, every: int) -> dict[str, list[list]]:
    """Rows of ``config``'s CLEAR, its coarse map and its fine head scored apart."""
    keras.utils.set_random_seed(config.train.seed)
    model, trained = trainer.build_model(config, dataset_info.feature_dim(config), strategy)
    valid = np.asarray(model.candidate_mask, bool)
    clip_weight = config.model.clip_alignment_weight
    name = f"clear + clip term ×{clip_weight:g}" if clip_weight else "clear"
    heads = {f"{name}: coarse map (cᵀq/d)": "coarse_scores", f"{name}: fine head": "fine_logits"}

    def probe_rows(step):
        outputs = [(trained(x, training=False), y, weights) for x, y, weights in probes]
        return {
            title: _probe_row(step, [(out[output], y, weights) for out, y, weights in outputs], valid)
            for title, output in heads.items()
        }

    tables = {title: [row] for title, row in probe_rows(0).items()}
    for step in range(1, steps + 1):
        x, y, weights = batches[(step - 1) % len(batches)]
        trained.train_on_batch(x, y, sample_weight=weights)
        if step % every == 0:
            for title, row in probe_rows(step).items():
                tables[title].append(row)
                print(f"  {title}, step {step}: {row[1:]}", flush=True)
    keras.backend.clear_session()
    return tables


def _probe_row(step: int, scored_probes, valid: np.ndarray) -> list:
    """(step, clip hit %, top-1 IoU, top-1 IoU > 0.5 %) over (scores, y, weights) of the probe batches."""
    hits, ious = [], []
    for scores, y, weights in scored_probes:
        scores = np.asarray(scores)
        iou_map, query_mask = y["fine_logits"].numpy(), weights["fine_logits"].numpy()
        hits.append(clip_hits(scores, iou_map, query_mask))
        ious.append(top_candidates(scores, iou_map, valid, query_mask)[1])
    hits, ious = np.concatenate(hits), np.concatenate(ious)
    return [step, f"{100 * hits.mean():.1f}", f"{ious.mean():.3f}", f"{100 * (ious > 0.5).mean():.1f}"]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--flagfile", default="configs/tacos_like_cpu.flags")
    parser.add_argument("--objectives", default=",".join(OBJECTIVES), help=f"Comma-separated, of {OBJECTIVES}.")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--every", type=int, default=50)
    parser.add_argument("--matcher_video", choices=("linear", "bi_tcn"), default="linear",
                        help="The matcher's video side: a linear projection, or the flagfile's Bi-TCN first.")
    parser.add_argument("--matcher_boundaries", action="store_true",
                        help="The matcher's moment MLP also reads each span's boundary clips (CLEAR's --moment_boundaries).")
    parser.add_argument("--clip_alignment_weight", type=float, default=25.0,
                        help="CLEAR's --clip_alignment_weight for the clear+clip objective.")
    parser.add_argument("--probe_batches", type=int, default=4, help="Validation batches scored.")
    parser.add_argument("--seed", type=int, default=None, help="Override the flagfile's --seed.")
    parser.add_argument("--dataset", default="", help="Override the flagfile's --dataset.")
    parser.add_argument("--data_dir", default="")
    parser.add_argument("--output", default=os.path.join(BENCHMARKS_DIR, "results", "objective_learnability.md"))
    args = parser.parse_args(argv)
    objectives = [name.strip() for name in args.objectives.split(",") if name.strip()]
    unknown = sorted(set(objectives) - set(OBJECTIVES))
    if unknown:
        parser.error(f"--objectives: unknown {', '.join(unknown)}; expected some of {', '.join(OBJECTIVES)}")
    overrides = {name: value for name, value in (("dataset", args.dataset), ("data_dir", args.data_dir)) if value}
    if args.seed is not None:
        overrides["seed"] = args.seed

    config = config_from_flagfile(args.flagfile, **overrides)
    strategy = tf.distribute.get_strategy()
    stream = iter(training_data(strategy, config, DataPosition(0, 0, 0), QueryReport()).repeat())
    batches = [next(stream) for _ in range(args.steps)]
    probe_config = config_from_flagfile(args.flagfile, train_splits=[config.data.val_split], **overrides)
    probe_stream = iter(training_data(strategy, probe_config, DataPosition(0, 0, 0), QueryReport()).repeat())
    probes = [next(probe_stream) for _ in range(args.probe_batches)]

    matcher_objectives = [objective for objective in objectives if not objective.startswith("clear")]
    if matcher_objectives and "sentence_embedding" not in batches[0][0]:
        parser.error(f"--objectives={','.join(matcher_objectives)}: the matcher reads precomputed sentence "
                     f"vectors, which {args.flagfile} does not make (--text_trainable, or a model that reads tokens)")
    tables = {}
    for objective in objectives:
        if objective == "clear":
            tables.update(train_clear(config, strategy, batches, probes, args.steps, args.every))
        elif objective == "clear+clip":
            clip_config = config_from_flagfile(
                args.flagfile, clip_alignment_weight=args.clip_alignment_weight, **overrides
            )
            tables.update(train_clear(clip_config, strategy, batches, probes, args.steps, args.every))
        else:
            video = args.matcher_video + (" + boundaries" if args.matcher_boundaries else "")
            tables[f"matcher ({video}): {objective}"] = train_matcher(
                config, objective, args.matcher_video, batches, probes, args.steps, args.every,
                args.matcher_boundaries,
            )
    header = ["step", "clip hit (%)", "top-1 IoU", "top-1 IoU > 0.5 (%)"]
    sections = [f"### {title}\n\n" + markdown_table(header, rows) for title, rows in tables.items()]
    write_training_probe_report(
        args.output,
        f"Learnability by objective: `{args.flagfile}`",
        {"tensorflow": tf.__version__, "keras": keras.__version__},
        config,
        f"learning rate {config.train.learning_rate:g}; probe: {args.probe_batches} batches of "
        f"`{config.data.val_split}`, every {args.every} steps.",
        sections,
    )


if __name__ == "__main__":
    main()
