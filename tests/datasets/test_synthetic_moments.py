"""`synthetic_moments`: the generator's guarantees and the TFDS builder."""

import collections
import pathlib

import numpy as np
import pytest
import tensorflow_datasets as tfds

from clear_tf.moments import temporal_iou
from clear_tf_datasets.synthetic_moments import generator, synthetic_moments_dataset_builder

SEED, DIM = 0, 256
SIZES = {"train": 120, "val": 40, "test": 40}


@pytest.fixture(scope="module")
def splits():
    return {
        split: list(generator.generate_split(split, size, SEED, DIM))
        for split, size in SIZES.items()
    }


class SyntheticMomentsSmallTest(tfds.testing.DatasetBuilderTestCase):
    """Builds the `small` config the TFDS way (no download, no manual files)."""

    DATASET_CLASS = synthetic_moments_dataset_builder.Builder
    BUILDER_CONFIG_NAMES_TO_TEST = ["small"]
    SPLITS = {"train": 24, "val": 8, "test": 8}
    # The builder reads nothing; its README.md stands in for the dummy_data folder.
    EXAMPLE_DIR = str(pathlib.Path(generator.__file__).parent)


def test_same_seed_same_data_other_seed_other_data():
    first = list(generator.generate_split("val", 3, SEED, 16))
    again = list(generator.generate_split("val", 3, SEED, 16))
    other = list(generator.generate_split("val", 3, SEED + 1, 16))
    for a, b, c in zip(first, again, other):
        np.testing.assert_array_equal(a.features, b.features)
        assert a.queries == b.queries and a.duration == b.duration
        assert a.features.shape != c.features.shape or not np.allclose(a.features, c.features)


def test_splits_have_disjoint_videos(splits):
    ids = {split: {video.video_id for video in videos} for split, videos in splits.items()}
    assert not (ids["train"] & ids["val"] or ids["train"] & ids["test"] or ids["val"] & ids["test"])
    # Disjoint in content too, not only in name.
    first_units = {
        split: {video.features[:3].tobytes() for video in videos}
        for split, videos in splits.items()
    }
    assert not (first_units["train"] & first_units["test"])


def test_sizes_and_consistency(splits):
    for video in splits["train"]:
        num_units = video.features.shape[0]
        assert video.features.shape[1] == DIM and video.features.dtype == np.float32
        assert 40 <= num_units <= 400
        assert video.step_spans[0][2] == 0 and video.step_spans[-1][3] == num_units
        assert 0.8 * num_units <= video.duration <= 1.25 * num_units
        assert 1 <= len(video.queries) <= 10
        for query in video.queries:
            assert 0 <= query.start < query.end <= video.duration + 1e-9
    mean_queries = np.mean([len(v.queries) for v in splits["train"]])
    assert 6 <= mean_queries <= 10
    mean_units = np.mean([v.features.shape[0] for v in splits["train"]])
    assert 100 <= mean_units <= 220


def test_summary_and_repeated_action_queries(splits):
    queries = [q for video in splits["train"] for q in video.queries]
    kinds = collections.Counter(q.kind for q in queries)
    assert kinds["summary"] > 0.3 * len(queries) and kinds["detailed"] > 0.3 * len(queries)
    assert all(2 <= len(q.steps) <= 4 for q in queries if q.kind == "summary")
    repeated = [q for q in queries if q.kind == "detailed" and q.num_occurrences > 1]
    assert len(repeated) > 0.1 * len(queries)
    seconds = [q for q in repeated if q.occurrence == 2]
    assert any(q.sentence.rstrip(".").endswith(" again") for q in seconds)
    assert all(
        not q.sentence.rstrip(".").endswith(" again") for q in repeated if q.occurrence != 2
    )
    assert any("for the first time" in q.sentence for q in repeated if q.occurrence == 1)


def test_repeated_step_queries_point_at_the_named_occurrence(splits):
    for video in splits["train"][:30]:
        for query in video.queries:
            if query.kind != "detailed":
                continue
            step = query.steps[0]
            spans = [s for s in video.step_spans if (s[0], s[1]) == step]
            assert len(spans) == query.num_occurrences
            start_unit = spans[query.occurrence - 1][2]
            seconds_per_unit = video.duration / video.features.shape[0]
            assert query.start == pytest.approx(start_unit * seconds_per_unit)


def test_summary_runs_occur_once_in_their_video(splits):
    for video in splits["train"]:
        steps = [(verb, obj) for verb, obj, _, _ in video.step_spans]
        for query in video.queries:
            if query.kind == "summary":
                n = len(query.steps)
                runs = [tuple(steps[i : i + n]) for i in range(len(steps) - n + 1)]
                assert runs.count(query.steps) == 1


def test_wording_varies(splits):
    sentences = [q.sentence for video in splits["train"] for q in video.queries]
    assert len(set(sentences)) > 0.6 * len(sentences)
    washes = {
        s for s in sentences if "carrot" in s and any(v in s for v in ("wash", "rins", "clean"))
    }
    assert len(washes) >= 5


def _normalized_moments(videos):
    return np.array([(q.start / v.duration, q.end / v.duration) for v in videos for q in v.queries])


def test_query_blind_prior_scores_low(splits):
    """Best fixed moment on train (normalized times, a 0.02 grid), R@1,IoU=0.5 on test."""
    train = _normalized_moments(splits["train"])
    test = _normalized_moments(splits["test"])
    grid = np.linspace(0.0, 1.0, 51)
    starts, ends = np.meshgrid(grid, grid, indexing="ij")
    keep = starts < ends
    starts, ends = starts[keep], ends[keep]
    hits = temporal_iou(starts[:, None], ends[:, None], train[None, :, 0], train[None, :, 1]) > 0.5
    best = int(np.argmax(hits.mean(axis=1)))
    test_recall = np.mean(temporal_iou(starts[best], ends[best], test[:, 0], test[:, 1]) > 0.5)
    assert test_recall < 0.12
    # Moments are spread: short and long, early and late.
    lengths = train[:, 1] - train[:, 0]
    assert np.percentile(lengths, 10) < 0.05 and np.percentile(lengths, 90) > 0.25
    centers = train.mean(axis=1)
    assert np.percentile(centers, 10) < 0.2 and np.percentile(centers, 90) > 0.8


def test_features_carry_the_step(splits):
    """Nearest prototype of a step's mean unit feature is its own step (most of the time)."""
    prototypes = generator.step_prototypes(SEED, DIM)
    correct = total = 0
    for video in splits["val"]:
        for verb, obj, start, stop in video.step_spans:
            mean = video.features[start:stop].mean(axis=0)
            correct += int(np.argmax(prototypes @ mean)) == generator.STEPS.index((verb, obj))
            total += 1
    assert correct / total > 0.9


def test_builder_examples_match_the_generator(tmp_path):
    builder = tfds.builder("synthetic_moments/small", data_dir=str(tmp_path))
    builder.download_and_prepare()
    expected = {v.video_id: v for v in generator.generate_split("test", 8, SEED, DIM)}
    examples = list(tfds.as_numpy(builder.as_dataset(split="test")))
    assert len(examples) == 8
    for example in examples:
        video = expected[example["video_id"].decode()]
        np.testing.assert_array_equal(example["features"], video.features)
        sentences = [s.decode() for s in example["queries"]["sentence"]]
        assert sentences == [q.sentence for q in video.queries]
        ends = [q.end for q in video.queries]
        np.testing.assert_allclose(example["queries"]["end"], ends, rtol=1e-6)
    report = builder.generation_reports["test"]
    assert report["videos_written"] == 8
    assert report["queries_written"] == sum(len(v.queries) for v in expected.values())
