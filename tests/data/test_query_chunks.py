"""Cutting a video's queries into chunks of K slots, padding, and per-batch targets."""

import numpy as np
import tensorflow as tf

from clear_tf.data.batching import add_targets, merge_parts, query_chunks, video_chunks

PADDING_QUERY = {
    "sentence": tf.constant(""),
    "token_ids": tf.constant([101, 102, 0, 0], tf.int32),
    "padding_mask": tf.constant([True, True, False, False]),
    "times": tf.zeros([2]),
}


def three_query_video():
    return {
        "video_id": tf.constant("v"),
        "features": tf.ones([4, 2]),
        "duration": tf.constant(8.0),
        "sentence": tf.constant(["first", "second", "third"]),
        "token_ids": tf.constant([[101, 5, 102, 0], [101, 6, 7, 102], [101, 8, 102, 0]], tf.int32),
        "padding_mask": tf.constant([[1, 1, 1, 0], [1, 1, 1, 1], [1, 1, 1, 0]]) > 0,
        "times": tf.constant([[0.0, 2.0], [2.0, 6.0], [4.0, 8.0]]),
    }


def test_chunks_in_order_with_padding():
    np.testing.assert_array_equal(query_chunks(tf.constant(3), 2).numpy(), [[0, 1], [2, -1]])
    np.testing.assert_array_equal(query_chunks(tf.constant(4), 2).numpy(), [[0, 1], [2, 3]])
    np.testing.assert_array_equal(query_chunks(tf.constant(2), 1).numpy(), [[0], [1]])


def test_shuffled_chunks_hold_every_query_once():
    chunks = query_chunks(tf.constant(7), 3, shuffle_seed=tf.constant([5, 0], tf.int64)).numpy()
    assert chunks.shape == (3, 3)
    np.testing.assert_array_equal(np.sort(chunks.ravel()), [-1, -1, 0, 1, 2, 3, 4, 5, 6])
    assert np.all(chunks.ravel()[-2:] == -1)
    other = query_chunks(tf.constant(7), 3, shuffle_seed=tf.constant([6, 0], tf.int64)).numpy()
    same = query_chunks(tf.constant(7), 3, shuffle_seed=tf.constant([5, 0], tf.int64)).numpy()
    np.testing.assert_array_equal(chunks, same)
    assert not np.array_equal(chunks, other)


def test_three_queries_two_slots_give_two_elements_the_second_padded():
    elements = [merge_parts(*pair) for pair in video_chunks(three_query_video(), 2, PADDING_QUERY)]
    assert len(elements) == 2
    first, second = elements
    np.testing.assert_array_equal(second["features"], tf.ones([4, 2]))
    np.testing.assert_array_equal(first["query_index"], [0, 1])
    np.testing.assert_array_equal(first["query_mask"], [1.0, 1.0])
    np.testing.assert_array_equal(second["query_index"], [2, -1])
    np.testing.assert_array_equal(second["query_mask"], [1.0, 0.0])
    np.testing.assert_array_equal(second["sentence"], [b"third", b""])
    np.testing.assert_array_equal(second["token_ids"], [[101, 8, 102, 0], [101, 102, 0, 0]])
    np.testing.assert_array_equal(second["padding_mask"], [[1, 1, 1, 0], [1, 1, 0, 0]])
    np.testing.assert_array_equal(second["times"], [[4.0, 8.0], [0.0, 0.0]])
    np.testing.assert_array_equal(first["times"], [[0.0, 2.0], [2.0, 6.0]])
    assert second["video_id"] == b"v" and second["duration"] == 8.0


def test_targets_are_zero_in_padded_slots():
    element = merge_parts(*list(video_chunks(three_query_video(), 2, PADDING_QUERY))[1])
    batch = {name: value[tf.newaxis] for name, value in element.items()}
    batch = add_targets(batch, num_clips=4)
    assert batch["iou_map"].shape == (1, 2, 4, 4)
    # Query "third" is [4, 8] of 8 s: clips 2..3 exactly (IoU 1), clips 1..3 2/3 of it.
    assert batch["iou_map"][0, 0, 2, 3] == 1.0
    np.testing.assert_allclose(batch["iou_map"][0, 0, 1, 3], 4 / 6, atol=1e-6)
    assert np.all(batch["iou_map"][0, 1].numpy() == 0.0)
