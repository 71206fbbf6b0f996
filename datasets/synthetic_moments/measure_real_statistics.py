"""Measures the statistics that `realistic.py` copies from the real TACoS / ActivityNet.

The `tacos_like` and `anet_like` configs of `synthetic_moments` must build without the
real annotations, so their parameters (`realistic.TACOS_LIKE`, `realistic.ANET_LIKE`)
were measured once with this script on the 2D-TAN release JSON files and written into
the code. Re-measure with

    python datasets/synthetic_moments/measure_real_statistics.py \
        --tacos ../shared/datasets/tacos --anet ../shared/datasets/activitynet_captions

or measure a generated split the same way (`--synthetic tacos_like`), which is how the
tests and BENCHMARKS.md compare the two. Prints one JSON object per dataset.

Statistics (over all splits unless named):
    videos, queries: counts per split.
    duration_s: min / mean / median / max of the video durations.
    queries_per_video: mean / median / min / max.
    length_fraction: quantiles (10, 25, 50, 75, 90 %) and mean of (end - start) / duration.
    start_fraction: the same for start / duration.
    overlap: mean over queries of the share of the other queries of the same video whose
        moment overlaps it (IoU > 0), and the share with IoU > 0.5.
    repeated_sentence: share of queries whose sentence (lower case, no punctuation)
        occurs again in the same video at a moment with IoU < 0.5: the same action
        described again later (a repeated action).
    vocabulary: distinct lower-case words of the sentences (train), mean words per sentence.
    prior_test_r1_iou05: the query-blind prior's R@1,IoU=0.5 on test (fit on train,
        `clear_tf.metrics.MomentPriorBaseline` with the dataset's L and NMS threshold).
    prior_train_r1_iou05: the same prior scored on train itself (in sample): how far a
        split's test value sits from it shows how much the test split differs from train.
    mean_fine_target: the mean over train queries and the L(L+1)/2 candidates of Γ₂'s
        target, the IoU rescaled by the dataset's (min_iou, max_iou): the value for
        CLEAR's `--fine_initial_probability`. `--num_clips` sets L (default: the protocol's).
"""

from __future__ import annotations

import argparse
import json
import os
import re

import numpy as np

SPLITS = ("train", "val", "test")
_WORD = re.compile(r"[a-z']+")


def load_real(folder: str, kind: str) -> dict[str, list[dict]]:
    """{split: [{"duration", "times" [Q, 2] seconds clipped, "sentences"}]} of a release."""
    splits = {}
    for split in SPLITS:
        with open(os.path.join(folder, f"{split}.json")) as f:
            annotations = json.load(f)
        videos = []
        for entry in annotations.values():
            if kind == "tacos":
                if entry["num_frames"] <= 0 or entry["fps"] <= 0:
                    continue
                duration = entry["num_frames"] / entry["fps"]
                times = np.asarray(entry["timestamps"], float) / entry["fps"]
            else:
                duration = float(entry["duration"])
                times = np.asarray(entry["timestamps"], float)
            times = np.clip(times, 0.0, duration)
            keep = times[:, 0] < times[:, 1]
            sentences = [s for s, k in zip(entry["sentences"], keep) if k]
            if not sentences:
                continue
            videos.append({"duration": duration, "times": times[keep], "sentences": sentences})
        splits[split] = videos
    return splits


def load_synthetic(config_name: str, sizes: dict[str, int] | None = None, seed: int = 0):
    """The same structure for a split of `realistic.py` (no features are generated)."""
    from clear_tf_datasets.synthetic_moments import realistic

    params = realistic.PRESETS[config_name]
    sizes = sizes or params.num_videos
    splits = {}
    for split in SPLITS:
        videos = []
        for video in realistic.generate_split(params, split, sizes[split], seed, feature_dim=0):
            videos.append(
                {
                    "duration": video.duration,
                    "times": np.array([[q.start, q.end] for q in video.queries]),
                    "sentences": [q.sentence for q in video.queries],
                }
            )
        splits[split] = videos
    return splits


def _quantiles(values) -> dict:
    values = np.asarray(values, float)
    out = {f"q{q}": round(float(np.percentile(values, q)), 4) for q in (10, 25, 50, 75, 90)}
    out["mean"] = round(float(values.mean()), 4)
    return out


def _iou_matrix(times: np.ndarray) -> np.ndarray:
    starts, ends = times[:, 0], times[:, 1]
    inter = np.clip(np.minimum(ends[:, None], ends[None]) - np.maximum(starts[:, None], starts[None]), 0, None)
    union = np.maximum(ends[:, None], ends[None]) - np.minimum(starts[:, None], starts[None])
    return inter / np.maximum(union, 1e-9)


def _normal_sentence(sentence: str) -> str:
    return " ".join(_WORD.findall(sentence.lower()))


def mean_fine_target(videos: list[dict], num_clips: int, min_iou: float, max_iou: float) -> float:
    """Mean Γ₂ target (IoU rescaled to [0, 1] between min_iou and max_iou) over all candidates."""
    from clear_tf import moments
    from clear_tf.data.targets import moment_iou_map
    from clear_tf.losses.fine_alignment_loss import rescaled_iou

    valid = moments.valid_mask(num_clips)
    total, count = 0.0, 0
    for video in videos:
        iou = moment_iou_map(video["times"].astype(np.float32), video["duration"], num_clips).numpy()
        total += float(np.sum(rescaled_iou(iou[:, valid], min_iou, max_iou)))
        count += iou.shape[0] * int(valid.sum())
    return total / count


def measure(
    splits: dict[str, list[dict]], num_bins: int, nms_threshold: float, min_iou: float, max_iou: float
) -> dict:
    from clear_tf import metrics as metrics_lib

    videos = [video for split in SPLITS for video in splits[split]]
    durations = np.array([v["duration"] for v in videos])
    per_video = np.array([len(v["sentences"]) for v in videos])
    lengths, starts, any_overlap, big_overlap, repeated = [], [], [], [], []
    for video in videos:
        times, duration = video["times"], video["duration"]
        lengths.extend((times[:, 1] - times[:, 0]) / duration)
        starts.extend(times[:, 0] / duration)
        q = len(times)
        if q > 1:
            iou = _iou_matrix(times)
            np.fill_diagonal(iou, np.nan)
            any_overlap.extend(np.nanmean(iou > 0, axis=1))
            big_overlap.extend(np.nanmean(iou > 0.5, axis=1))
            normal = [_normal_sentence(s) for s in video["sentences"]]
            for i in range(q):
                repeated.append(
                    any(normal[j] == normal[i] and iou[i, j] < 0.5 for j in range(q) if j != i)
                )
    words = [w for v in splits["train"] for s in v["sentences"] for w in _WORD.findall(s.lower())]
    sentence_words = [len(_WORD.findall(s.lower())) for v in splits["train"] for s in v["sentences"]]

    def normalized(split):
        return np.concatenate(
            [
                metrics_lib.normalized_moments(v["times"], np.full(len(v["times"]), v["duration"]))
                for v in splits[split]
            ]
        )

    prior = metrics_lib.MomentPriorBaseline(
        num_bins=num_bins, top_k=5, iou_threshold=0.5, nms_threshold=nms_threshold
    ).fit(normalized("train"))
    test = splits["test"]
    predictions = prior.predict(np.concatenate([[v["duration"]] * len(v["times"]) for v in test]))
    ground_truth = np.concatenate([v["times"] for v in test])
    train_moments = normalized("train")
    in_sample = prior.predict(np.ones(len(train_moments)))
    return {
        "videos": {split: len(splits[split]) for split in SPLITS},
        "queries": {split: int(sum(len(v["sentences"]) for v in splits[split])) for split in SPLITS},
        "duration_s": {
            "min": round(float(durations.min()), 1),
            "mean": round(float(durations.mean()), 1),
            "median": round(float(np.median(durations)), 1),
            "max": round(float(durations.max()), 1),
        },
        "queries_per_video": {
            "mean": round(float(per_video.mean()), 2),
            "median": float(np.median(per_video)),
            "min": int(per_video.min()),
            "max": int(per_video.max()),
        },
        "length_fraction": _quantiles(lengths),
        "start_fraction": _quantiles(starts),
        "overlap": {
            "iou_gt_0": round(float(np.mean(any_overlap)), 4),
            "iou_gt_0.5": round(float(np.mean(big_overlap)), 4),
        },
        "repeated_sentence": round(float(np.mean(repeated)), 4),
        "vocabulary": len(set(words)),
        "words_per_sentence": round(float(np.mean(sentence_words)), 2),
        "prior_test_r1_iou05": round(
            100 * metrics_lib.recall_at(predictions, ground_truth, n=1, m=0.5), 2
        ),
        "prior_test_r5_iou05": round(
            100 * metrics_lib.recall_at(predictions, ground_truth, n=5, m=0.5), 2
        ),
        "prior_train_r1_iou05": round(100 * metrics_lib.recall_at(in_sample, train_moments, n=1, m=0.5), 2),
        "mean_fine_target": round(mean_fine_target(splits["train"], num_bins, min_iou, max_iou), 4),
    }


# The protocol of each real dataset: L of the grid, NMS threshold, Γ₂'s min and max IoU.
PROTOCOL = {"tacos": (128, 0.4, 0.3, 0.7), "anet": (64, 0.5, 0.5, 1.0)}
SYNTHETIC_PROTOCOL = {"tacos_like": "tacos", "anet_like": "anet"}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tacos", default="", help="folder of the TACoS 2D-TAN {split}.json")
    parser.add_argument("--anet", default="", help="folder of the ActivityNet 2D-TAN {split}.json")
    parser.add_argument("--synthetic", default="", help="tacos_like or anet_like: measure generated data")
    parser.add_argument("--num_clips", type=int, default=0, help="L of the grid (0: the protocol's)")
    args = parser.parse_args(argv)

    def protocol(kind):
        num_clips, *rest = PROTOCOL[kind]
        return (args.num_clips or num_clips, *rest)

    if args.tacos:
        print(json.dumps({"tacos": measure(load_real(args.tacos, "tacos"), *protocol("tacos"))}))
    if args.anet:
        print(json.dumps({"anet": measure(load_real(args.anet, "anet"), *protocol("anet"))}))
    if args.synthetic:
        kind = SYNTHETIC_PROTOCOL[args.synthetic]
        print(json.dumps({args.synthetic: measure(load_synthetic(args.synthetic), *protocol(kind))}))


if __name__ == "__main__":
    main()
