"""`synthetic_moments` configs `tacos_like` / `anet_like`: statistics of the real datasets,
the generator's labels and the oracle that reads them, and the TFDS builder."""

import pathlib
import re

import numpy as np
import pytest
import tensorflow_datasets as tfds

from clear_tf import metrics as metrics_lib
from clear_tf.evaluation import oracle
from clear_tf_datasets.synthetic_moments import realistic, synthetic_moments_dataset_builder
from clear_tf_datasets.synthetic_moments import measure_real_statistics as measure_lib

SEED = 0


def _stats(name, sizes):
    splits = measure_lib.load_synthetic(name, sizes, seed=SEED)
    return measure_lib.measure(splits, *measure_lib.PROTOCOL[measure_lib.SYNTHETIC_PROTOCOL[name]])


@pytest.fixture(scope="module")
def tacos_stats():
    # The full tacos_like sizes (75/27/25 videos) without features: a few seconds.
    return _stats("tacos_like", None)


@pytest.fixture(scope="module")
def anet_stats():
    return _stats("anet_like", {"train": 600, "val": 1, "test": 300})


def test_tacos_like_follows_real_tacos(tacos_stats):
    s = tacos_stats
    # Real TACoS (measure_real_statistics.py): 143.5 queries/video, durations 48-1402 s,
    # mean 287; length fraction median 0.055; overlap 14.8% (IoU > 0), 6.8% (> 0.5).
    assert 130 <= s["queries_per_video"]["mean"] <= 160
    assert s["duration_s"]["min"] >= 45 and s["duration_s"]["max"] <= 1403
    assert 220 <= s["duration_s"]["mean"] <= 320
    assert 0.04 <= s["length_fraction"]["q50"] <= 0.07
    assert 0.15 <= s["length_fraction"]["q90"] <= 0.26
    assert 0.10 <= s["overlap"]["iou_gt_0"] <= 0.22
    assert 0.04 <= s["overlap"]["iou_gt_0.5"] <= 0.10
    assert 0.25 <= s["start_fraction"]["q50"] <= 0.4
    assert 0.03 <= s["repeated_sentence"] <= 0.15
    assert s["vocabulary"] >= 1000


def test_tacos_like_prior_near_real(tacos_stats):
    # Real TACoS prior R@1,IoU=0.5 = 3.05 on test (25 videos), 7.24 on train where it is
    # fitted; the synthetic one lands within a few points of both, far below the demo
    # benchmark's data or a trained model.
    assert 1.5 <= tacos_stats["prior_test_r1_iou05"] <= 8.0
    assert 5.0 <= tacos_stats["prior_train_r1_iou05"] <= 9.5


def test_mean_fine_target_by_hand():
    # L = 2, one moment over the whole video: the cells [0, 1/2], [0, 1], [1/2, 1] have IoU
    # 0.5, 1, 0.5, i.e. targets 0, 1, 0 between min_iou = 0.5 and max_iou = 1.
    video = {"times": np.array([[0.0, 10.0]]), "duration": 10.0}
    assert measure_lib.mean_fine_target([video], 2, 0.5, 1.0) == pytest.approx(1 / 3)
    # Raw IoU (0, 1): (0.5 + 1 + 0.5) / 3.
    assert measure_lib.mean_fine_target([video], 2, 0.0, 1.0) == pytest.approx(2 / 3)


def test_mean_fine_target_is_small_where_moments_are(tacos_stats, anet_stats):
    # Most candidates miss a moment: a few percent of Γ₂'s targets are nonzero, which is
    # why the flagfiles start the fine head near that probability.
    assert 0.005 <= tacos_stats["mean_fine_target"] <= 0.08
    assert 0.01 <= anet_stats["mean_fine_target"] <= 0.1


def test_anet_like_follows_real_activitynet(anet_stats):
    s = anet_stats
    # Real: 3.63 queries/video (2-27), length fraction median 0.245 / mean 0.32,
    # start median 0.23, prior R@1,IoU=0.5 = 28.2.
    assert 3.3 <= s["queries_per_video"]["mean"] <= 4.0
    assert s["queries_per_video"]["min"] >= 2
    assert 0.2 <= s["length_fraction"]["q50"] <= 0.3
    assert 0.28 <= s["length_fraction"]["mean"] <= 0.38
    assert 0.15 <= s["start_fraction"]["q50"] <= 0.35
    assert 22 <= s["prior_test_r1_iou05"] <= 34


def _examples(name, split, n):
    params = realistic.PRESETS[name]
    out = []
    for video in realistic.generate_split(params, split, n, SEED, feature_dim=0):
        example = realistic.to_example(video)
        example["queries"] = {k: np.array([q[k] for q in example["queries"]]) for k in example["queries"][0]}
        out.append(example)
    return out


def _prior(name, train, test, top_k=5):
    num_bins, nms, *_ = measure_lib.PROTOCOL[measure_lib.SYNTHETIC_PROTOCOL[name]]
    moments = np.concatenate(
        [
            metrics_lib.normalized_moments(
                np.stack([e["queries"]["start"], e["queries"]["end"]], -1),
                np.full(len(e["queries"]["start"]), e["duration"]),
            )
            for e in train
        ]
    )
    prior = metrics_lib.MomentPriorBaseline(num_bins, top_k, 0.5, nms).fit(moments)
    durations = np.concatenate([[e["duration"]] * len(e["queries"]["start"]) for e in test])
    truth = np.concatenate([np.stack([e["queries"]["start"], e["queries"]["end"]], -1) for e in test])
    return metrics_lib.recall_at(prior.predict(durations), truth, n=1, m=0.5)


@pytest.mark.parametrize("name, sizes, margin", [("tacos_like", (20, 10), 40), ("anet_like", (200, 60), 40)])
def test_oracle_beats_prior_by_a_wide_margin(name, sizes, margin):
    train, test = _examples(name, "train", sizes[0]), _examples(name, "test", sizes[1])
    metrics = oracle.oracle_metrics_from_examples(
        test, top_k=5, recall_at=(1, 5), iou_thresholds=(0.5,), strict=True
    )
    prior = 100 * _prior(name, train, test)
    assert metrics["R@1,IoU=0.5"] >= prior + margin
    assert metrics["R@5,IoU=0.5"] >= metrics["R@1,IoU=0.5"]


def test_oracle_reads_labels_not_times():
    # Shuffling the annotated times does not change the oracle's predictions.
    example = _examples("tacos_like", "val", 1)[0]
    q = example["queries"]
    first = oracle.oracle_moments(example["unit_labels"], q["actions"][0], int(q["occurrence"][0]), example["duration"], 5)
    assert first.shape == (5, 2) and (first[:, 0] < first[:, 1]).all()
    # The top moment is a run of units that shows the query's actions.
    labels = example["unit_labels"]
    spu = example["duration"] / len(labels)
    shown = labels[int(round(first[0, 0] / spu)) : int(round(first[0, 1] / spu))]
    wanted = [a for a in q["actions"][0] if a >= 0]
    runs = [int(v) for i, v in enumerate(shown) if i == 0 or shown[i - 1] != v]
    assert runs == wanted


def test_labels_are_consistent_and_repeats_occur():
    examples = _examples("tacos_like", "train", 5)
    repeated = named = said_again = 0
    for example in examples:
        labels, q = example["unit_labels"], example["queries"]
        assert labels.dtype == np.int32 and len(labels) == round(example["duration"])
        assert (labels == -1).any() and (labels >= 0).mean() > 0.8  # lead-in / tail background
        assert (q["actions"][:, 0] >= 0).all() and q["actions"].shape[1] == realistic.MAX_QUERY_STEPS
        for actions, occurrence, sentence in zip(q["actions"], q["occurrence"], q["sentence"]):
            steps = [a for a in actions if a >= 0]
            segment_labels = [int(v) for i, v in enumerate(labels) if v >= 0 and (i == 0 or labels[i - 1] != v)]
            if len(steps) == 1 and segment_labels.count(steps[0]) > 1:
                repeated += 1
                named += occurrence > 0
                said_again += occurrence == 2 and bool(re.search(r"again|second time|once more", sentence))
    total = sum(len(e["queries"]["start"]) for e in examples)
    assert repeated > 0.1 * total and 0 < named < repeated and said_again > 0


def test_same_seed_same_data_and_features():
    params = realistic.PRESETS["anet_like"]
    a = list(realistic.generate_split(params, "val", 2, SEED, 16))
    b = list(realistic.generate_split(params, "val", 2, SEED, 16))
    c = list(realistic.generate_split(params, "val", 2, SEED + 1, 16))
    for x, y, z in zip(a, b, c):
        np.testing.assert_array_equal(x.features, y.features)
        assert x.queries == y.queries and x.features.shape[1] == 16 and x.features.dtype == np.float32
        assert x.features.shape != z.features.shape or not np.allclose(x.features, z.features)


def test_features_carry_the_unit_labels():
    # Units of the same action are closer to each other than to units of other actions.
    video = next(realistic.generate_split(realistic.PRESETS["tacos_like"], "val", 1, SEED, 64))
    labels, features = video.unit_labels, video.features
    means = {a: features[labels == a].mean(0) for a in set(labels.tolist()) if a >= 0 and (labels == a).sum() >= 4}
    keys = list(means)
    correct = 0
    for a in keys:
        unit = features[labels == a][1]
        nearest = min(keys, key=lambda b: np.linalg.norm(unit - means[b]))
        correct += nearest == a
    assert correct >= 0.7 * len(keys)


class TacosLikeSmallTest(tfds.testing.DatasetBuilderTestCase):
    """Builds `tacos_like_small` the TFDS way (no download, no manual files)."""

    DATASET_CLASS = synthetic_moments_dataset_builder.Builder
    BUILDER_CONFIG_NAMES_TO_TEST = ["tacos_like_small"]
    SPLITS = {"train": 3, "val": 2, "test": 2}
    EXAMPLE_DIR = str(pathlib.Path(realistic.__file__).parent)


class AnetLikeSmallTest(tfds.testing.DatasetBuilderTestCase):
    DATASET_CLASS = synthetic_moments_dataset_builder.Builder
    BUILDER_CONFIG_NAMES_TO_TEST = ["anet_like_small"]
    SPLITS = {"train": 12, "val": 4, "test": 4}
    EXAMPLE_DIR = str(pathlib.Path(realistic.__file__).parent)


def test_oracle_metrics_on_the_built_dataset(tmp_path):
    builder = synthetic_moments_dataset_builder.Builder(config="anet_like_small", data_dir=str(tmp_path))
    builder.download_and_prepare()
    dataset = builder.as_dataset(split="test")
    assert oracle.has_oracle_labels(dataset.element_spec)
    metrics = oracle.oracle_metrics_from_examples(
        dataset.as_numpy_iterator(), top_k=5, recall_at=(1, 5), iou_thresholds=(0.5,), strict=True
    )
    assert metrics["R@1,IoU=0.5"] >= 60
    plain = synthetic_moments_dataset_builder.Builder(config="small", data_dir=str(tmp_path))
    assert "unit_labels" not in plain.info.features.keys()
