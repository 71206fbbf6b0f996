"""build_dataset end to end: keys, shapes, values, epoch coverage, determinism, bad input."""

import collections

import numpy as np
import pytest
import tensorflow as tf

from clear_tf import moments
from clear_tf.data import build_dataset, split_for_keras
from clear_tf.data.preprocess import validation_checks
from clear_tf.data.query_tokenizer import QueryTokenizer
from clear_tf.data.resample import resample_features
from video_examples import FEATURE_DIM, examples_dataset, make_video, random_videos


def epoch(dataset):
    return [{name: value.numpy() for name, value in batch.items()} for batch in dataset]


def query_counts(batches):
    """How often each (video, query index) appears in real (unpadded) slots."""
    counts = collections.Counter()
    for batch in batches:
        for video_id, indices, mask in zip(batch["video_id"], batch["query_index"], batch["query_mask"]):
            for index, real in zip(indices, mask):
                assert (index >= 0) == (real == 1.0)
                if real:
                    counts[(video_id.decode(), int(index))] += 1
    return counts


def all_queries(videos):
    return {(v["video_id"], q) for v in videos for q in range(len(v["queries"]["start"]))}


def test_training_batch_keys_shapes_dtypes(data_config):
    dataset = build_dataset(examples_dataset(random_videos(6)), data_config, training=True, seed=0)
    B, K, S, N, L = 2, 2, 8, 8, 4
    expected = {
        "features": ([B, N, FEATURE_DIM], tf.float32),
        "token_ids": ([B, K, S], tf.int32),
        "padding_mask": ([B, K, S], tf.bool),
        "query_mask": ([B, K], tf.float32),
        "iou_map": ([B, K, L, L], tf.float32),
        "times": ([B, K, 2], tf.float32),
        "duration": ([B], tf.float32),
        "video_id": ([B], tf.string),
        "query_index": ([B, K], tf.int32),
        "sentence": ([B, K], tf.string),
    }
    # Static shapes (drop_remainder) so that every replica compiles one graph.
    assert {name: (spec.shape.as_list(), spec.dtype) for name, spec in dataset.element_spec.items()} == expected


def test_values_match_the_source_examples(data_config):
    videos = random_videos(5, seed=3)
    by_id = {v["video_id"]: v for v in videos}
    tokenizer = QueryTokenizer("default", data_config.data.max_query_tokens)
    for batch in epoch(build_dataset(examples_dataset(videos), data_config, training=False)):
        for b, video_id in enumerate(batch["video_id"]):
            video = by_id[video_id.decode()]
            np.testing.assert_allclose(batch["features"][b], resample_features(tf.constant(video["features"]), 8).numpy())
            assert batch["duration"][b] == video["duration"]
            for k, index in enumerate(batch["query_index"][b]):
                if index < 0:
                    continue
                start, end = video["queries"]["start"][index], video["queries"]["end"][index]
                sentence = video["queries"]["sentence"][index]
                np.testing.assert_array_equal(batch["times"][b, k], [start, end])
                assert batch["sentence"][b, k].decode() == sentence
                token_ids, padding_mask = tokenizer(tf.constant([sentence]))
                np.testing.assert_array_equal(batch["token_ids"][b, k], token_ids[0])
                np.testing.assert_array_equal(batch["padding_mask"][b, k], padding_mask[0])
                cell_starts, cell_ends = moments.candidate_times(4, float(video["duration"]))
                expected_map = moments.temporal_iou(cell_starts, cell_ends, start, end) * moments.valid_mask(4)
                np.testing.assert_allclose(batch["iou_map"][b, k], expected_map, atol=1e-5)


def test_eval_three_queries_two_slots(data_config):
    video = make_video("only", 4, ["a", "b", "c"], [[0, 1], [1, 2], [2, 3]])
    batches = epoch(build_dataset(examples_dataset([video]), data_config, training=False))
    assert len(batches) == 1
    (batch,) = batches
    np.testing.assert_array_equal(batch["video_id"], [b"only", b"only"])
    np.testing.assert_array_equal(batch["query_index"], [[0, 1], [2, -1]])
    np.testing.assert_array_equal(batch["query_mask"], [[1, 1], [1, 0]])
    np.testing.assert_array_equal(batch["sentence"], [[b"a", b"b"], [b"c", b""]])
    assert batch["iou_map"][1, 1].sum() == 0.0
    # A padded slot is an empty sentence, [CLS] [SEP], so the text encoder never sees no tokens.
    assert batch["padding_mask"][1, 1].sum() == 2


def test_eval_keeps_order_and_remainder(data_config):
    videos = random_videos(7, seed=1)
    batches = epoch(build_dataset(examples_dataset(videos), data_config, training=False))
    counts = query_counts(batches)
    assert set(counts) == all_queries(videos) and set(counts.values()) == {1}
    order = [(v.decode(), tuple(q)) for batch in batches for v, q in zip(batch["video_id"], batch["query_index"])]
    expected_order = []
    for video in videos:
        indices = list(range(len(video["queries"]["start"])))
        indices += [-1] * (-len(indices) % 2)
        expected_order += [(video["video_id"], tuple(indices[c : c + 2])) for c in range(0, len(indices), 2)]
    assert order == expected_order
    full, remainder = divmod(len(expected_order), 3)
    assert [len(batch["video_id"]) for batch in batches] == [3] * full + ([remainder] if remainder else [])
    assert epoch(build_dataset(examples_dataset(videos), data_config, training=False))[0]["query_index"].tolist() == batches[0]["query_index"].tolist()


def test_pair_batching_visits_every_query_once_per_epoch(data_config):
    data_config.data.queries_per_video = 1
    videos = [make_video(f"v{i}", 5, [f"step {q}" for q in range(n)], [[q, q + 1] for q in range(n)]) for i, n in enumerate([3, 1, 4, 2])]
    dataset = build_dataset(examples_dataset(videos), data_config, training=True, seed=7)
    orders = []
    for _ in range(3):
        batches = epoch(dataset)
        assert len(batches) == 5  # 10 queries, 2 per batch
        counts = query_counts(batches)
        assert set(counts) == all_queries(videos) and set(counts.values()) == {1}
        assert all(batch["query_mask"].min() == 1.0 for batch in batches)
        orders.append([tuple(zip(b["video_id"], b["query_index"][:, 0])) for b in batches])
    assert orders[0] != orders[1] or orders[1] != orders[2], "the order must change between epochs"


def test_repeat_chains_passes_that_each_visit_every_query_once(data_config):
    data_config.data.queries_per_video = 1
    videos = [make_video(f"v{i}", 5, [f"step {q}" for q in range(n)], [[q, q + 1] for q in range(n)]) for i, n in enumerate([3, 1, 4, 2])]
    dataset = build_dataset(examples_dataset(videos), data_config, training=True, seed=7, repeat=True)
    batches = epoch(dataset.take(15))  # three passes of 10 queries, 2 per batch
    passes = [batches[start : start + 5] for start in (0, 5, 10)]
    for one_pass in passes:
        counts = query_counts(one_pass)
        assert set(counts) == all_queries(videos) and set(counts.values()) == {1}
    orders = [[(v, int(q)) for b in one_pass for v, q in zip(b["video_id"], b["query_index"][:, 0])] for one_pass in passes]
    assert orders[0] != orders[1] or orders[1] != orders[2], "each pass must draw a fresh order"


def test_training_visits_each_query_at_most_once_and_drops_only_the_remainder(data_config):
    videos = random_videos(9, seed=2)
    batches = epoch(build_dataset(examples_dataset(videos), data_config, training=True, seed=1))
    counts = query_counts(batches)
    assert set(counts.values()) == {1}
    num_elements = sum(-(-len(v["queries"]["start"]) // 2) for v in videos)
    assert len(batches) == num_elements // 2
    assert all(batch["features"].shape[0] == 2 for batch in batches)


def test_same_seed_same_batches_other_seed_other_batches(data_config):
    videos = random_videos(8, seed=4)

    def two_epochs(seed):
        dataset = build_dataset(examples_dataset(videos), data_config, training=True, seed=seed)
        return [[(b["video_id"].tolist(), b["query_index"].tolist()) for b in epoch(dataset)] for _ in range(2)]

    first = two_epochs(11)
    assert first == two_epochs(11)
    assert first[0] != first[1]
    assert first != two_epochs(12)


def test_normalize_features(data_config):
    data_config.data.normalize_features = True
    batch = epoch(build_dataset(examples_dataset(random_videos(3)), data_config, training=False))[0]
    np.testing.assert_allclose(np.linalg.norm(batch["features"], axis=-1), 1.0, rtol=1e-5)


def test_split_for_keras(data_config):
    batch = next(iter(build_dataset(examples_dataset(random_videos(4)), data_config, training=True, seed=0)))
    x, y, sample_weight = split_for_keras(batch, data_config)
    assert set(x) == {"features", "token_ids", "padding_mask"}
    # The chosen model's targets (CLEAR: Γ₁'s anchor IoU, Γ₂'s and the coarse map's IoU map).
    assert set(y) == {"anchor_similarity", "fine_logits", "coarse_scores"}
    assert y["fine_logits"] is batch["iou_map"]
    anchors = [(0, 3), (0, 2), (3, 3)]  # Eq. 2's anchors for L = 4, R = 3 (tree_depth 2)
    for b in range(2):
        for k in range(2):
            expected = [batch["iou_map"][b, k, i, j] for i, j in anchors]
            np.testing.assert_allclose(y["anchor_similarity"][b, k], expected, atol=1e-6)
    assert all(sample_weight[name] is batch["query_mask"] for name in y)


def run_checks(video):
    """Runs the per-video validation alone (no tokenizer, so each case is fast)."""

    def checked(example):
        with tf.control_dependencies(validation_checks(example)):
            return tf.identity(example["video_id"])

    return list(examples_dataset([video]).map(checked))


@pytest.mark.parametrize(
    "video, problem",
    [
        (make_video("bad_video", 4, ["fine", ""], [[0, 1], [1, 2]]), "the sentence of query 1 is empty"),
        (make_video("bad_video", 4, ["fine", "ok", "  \t"], [[0, 1], [1, 2], [2, 3]]), "the sentence of query 2 is empty"),
        (make_video("bad_video", 0, ["fine"], [[0, 1]]), r"features has no units \(shape \[0, 3\]\)"),
        (make_video("bad_video", 2, ["fine"], [[0, 1]], features=[[0, 1, 2], [np.nan, 0, 0]]), "features contain NaN or Inf"),
        (make_video("bad_video", 2, ["fine"], [[0, 1]], features=[[0, 1, 2], [np.inf, 0, 0]]), "features contain NaN or Inf"),
        (make_video("bad_video", 2, ["fine", "late"], [[0, 1], [3, 12]]), "query 1 does not satisfy 0 <= start < end <= duration"),
        (make_video("bad_video", 2, ["backwards"], [[2, 1]]), "query 0 does not satisfy"),
        (make_video("bad_video", 2, [], np.zeros([0, 2])), "queries is empty"),
        (make_video("bad_video", 2, ["fine"], [[0, 1]], duration=0.0), "duration must be positive, got 0"),
    ],
)
def test_validation_names_the_video_and_field(video, problem):
    with pytest.raises(tf.errors.InvalidArgumentError, match=f"video bad_video: {problem}"):
        run_checks(video)


def test_validation_passes_good_video():
    assert run_checks(make_video("good", 2, ["fine"], [[0, 10]])) == [b"good"]


def test_pipeline_stops_at_bad_video_and_names_it(data_config):
    videos = [make_video("good_video", 3, ["ok"], [[0, 1]]), make_video("bad_video", 4, ["fine", " "], [[0, 1], [1, 2]])]
    dataset = build_dataset(examples_dataset(videos), data_config, training=False)
    with pytest.raises(tf.errors.InvalidArgumentError, match="video bad_video: the sentence of query 1 is empty"):
        epoch(dataset)
