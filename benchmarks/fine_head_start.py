"""What CLEAR's fine head ranks first in its first training steps, by starting bias.

    python benchmarks/fine_head_start.py      # anet_like → benchmarks/results/fine_head_start.md
    python benchmarks/fine_head_start.py --flagfile=configs/tacos_like_cpu.flags --probabilities=0.5,0.03

For each ``--fine_initial_probability`` p (the head's logit bias starts at log(p / (1 − p));
0.5 is Keras's zero bias), the flagfile's model trains ``--steps`` steps the way
``train.py`` does (``trainer.build_model``, ``training_data``), from the same seed and
batches, and every ``--every`` steps a fixed batch of the validation split (B videos × K
queries, never trained on) is scored: for each query, the fine head's top candidate (its
length as a share of the video, and its IoU with the annotated moment) beside the
coarse map's top candidate (cᵀq/d, trained by the coarse-map term). A head that ranks
one-clip moments first has a top-1 length near 1/L and an IoU near 0, whatever it has
learned of the rest of the map.
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
from clear_tf.training import trainer  # noqa: E402
from clear_tf.training.data import DataPosition, training_data  # noqa: E402


def top_candidates(scores: np.ndarray, iou_map: np.ndarray, valid: np.ndarray, query_mask: np.ndarray):
    """(length share, IoU) of the best-scoring candidate of every real query slot.

    Args:
        scores: [B, K, L, L] scores (higher is better).
        iou_map: [B, K, L, L] IoU of every cell with the query's moment.
        valid: bool [L, L] candidate set.
        query_mask: [B, K], 1 for real query slots.
    """
    num_clips = valid.shape[0]
    flat = np.where(valid, scores, -np.inf).reshape(*scores.shape[:2], -1)
    best = flat.argmax(-1)
    starts, ends = best // num_clips, best % num_clips
    lengths = (ends - starts + 1) / num_clips
    ious = np.take_along_axis(iou_map.reshape(*scores.shape[:2], -1), best[..., None], -1)[..., 0]
    real = query_mask > 0
    return lengths[real], ious[real]


def probe_row(trained, batch, valid) -> list:
    x, y, weights = batch
    outputs = trained(x, training=False)
    query_mask = weights["fine_logits"].numpy()
    iou_map = y["fine_logits"].numpy()
    fine_length, fine_iou = top_candidates(outputs["fine_logits"].numpy(), iou_map, valid, query_mask)
    _, coarse_iou = top_candidates(outputs["coarse_scores"].numpy(), iou_map, valid, query_mask)
    return [
        f"{fine_length.mean():.3f}",
        f"{fine_iou.mean():.3f}",
        f"{100 * (fine_iou > 0.5).mean():.1f}",
        f"{coarse_iou.mean():.3f}",
    ]


def run_setting(flagfile: str, overrides: dict, probability: float, steps: int, every: int) -> list[list]:
    """Rows (step, top-1 length, fine IoU, fine IoU > 0.5 %, coarse IoU) of one starting bias."""
    config = config_from_flagfile(flagfile, fine_initial_probability=probability, **overrides)
    strategy = tf.distribute.get_strategy()
    batches = iter(training_data(strategy, config, DataPosition(0, 0, 0), QueryReport()).repeat())
    probe_config = config_from_flagfile(flagfile, train_splits=[config.data.val_split], **overrides)
    probe = next(iter(training_data(strategy, probe_config, DataPosition(0, 0, 0), QueryReport())))
    keras.utils.set_random_seed(config.train.seed)
    model, trained = trainer.build_model(config, dataset_info.feature_dim(config), strategy)
    valid = np.asarray(model.candidate_mask, bool)
    rows = [[0, *probe_row(trained, probe, valid)]]
    for step in range(1, steps + 1):
        x, y, weights = next(batches)
        trained.train_on_batch(x, y, sample_weight=weights)
        if step % every == 0:
            rows.append([step, *probe_row(trained, probe, valid)])
            print(f"  p = {probability:g}, step {step}: {rows[-1][1:]}", flush=True)
    keras.backend.clear_session()
    return rows


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--flagfile", default="configs/anet_like_cpu.flags")
    parser.add_argument("--probabilities", default="0.5,0.042",
                        help="--fine_initial_probability values to compare (0.5: zero bias).")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--every", type=int, default=20)
    parser.add_argument("--dataset", default="", help="Override the flagfile's --dataset.")
    parser.add_argument("--data_dir", default="")
    parser.add_argument("--output", default=os.path.join(BENCHMARKS_DIR, "results", "fine_head_start.md"))
    args = parser.parse_args(argv)
    overrides = {name: value for name, value in (("dataset", args.dataset), ("data_dir", args.data_dir)) if value}
    probabilities = [float(value) for value in args.probabilities.split(",")]
    sections = []
    for probability in probabilities:
        rows = run_setting(args.flagfile, overrides, probability, args.steps, args.every)
        header = ["step", "fine top-1 length / video", "fine top-1 IoU", "fine top-1 IoU > 0.5 (%)",
                  "coarse top-1 IoU"]
        sections.append(f"### --fine_initial_probability={probability:g}\n\n" + markdown_table(header, rows))
    config = config_from_flagfile(args.flagfile, **overrides)
    write_training_probe_report(
        args.output,
        f"The fine head's first steps: `{args.flagfile}`",
        {"tensorflow": tf.__version__, "keras": keras.__version__},
        config,
        f"probe: the first batch of `{config.data.val_split}`, every {args.every} steps.",
        sections,
    )


if __name__ == "__main__":
    main()
