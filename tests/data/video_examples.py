"""Tiny per-video examples with the TFDS element structure, for the pipeline tests."""

import numpy as np
import tensorflow as tf

FEATURE_DIM = 3

EXAMPLE_SIGNATURE = {
    "video_id": tf.TensorSpec([], tf.string),
    "features": tf.TensorSpec([None, FEATURE_DIM], tf.float32),
    "duration": tf.TensorSpec([], tf.float32),
    "queries": {
        "sentence": tf.TensorSpec([None], tf.string),
        "start": tf.TensorSpec([None], tf.float32),
        "end": tf.TensorSpec([None], tf.float32),
    },
}


def make_video(video_id, num_units, sentences, times, duration=10.0, features=None):
    """One example as ``tfds`` yields it (a Sequence feature becomes a dict of lists)."""
    if features is None:
        features = np.arange(num_units * FEATURE_DIM, dtype=np.float32).reshape(num_units, FEATURE_DIM)
    times = np.asarray(times, np.float32).reshape(-1, 2)
    return {
        "video_id": video_id,
        "features": np.asarray(features, np.float32),
        "duration": np.float32(duration),
        "queries": {"sentence": np.asarray(sentences), "start": times[:, 0], "end": times[:, 1]},
    }


def examples_dataset(videos):
    """A ``tf.data.Dataset`` of the given example dicts, with the TFDS element structure."""
    return tf.data.Dataset.from_generator(lambda: iter(videos), output_signature=EXAMPLE_SIGNATURE)


def random_videos(num_videos, seed=0, max_queries=7):
    """Videos of 1..max_queries queries (ids v0, v1, ...) with random times and lengths."""
    rng = np.random.default_rng(seed)
    videos = []
    for index in range(num_videos):
        num_queries = int(rng.integers(1, max_queries + 1))
        starts = rng.uniform(0.0, 6.0, num_queries)
        times = np.stack([starts, starts + rng.uniform(0.5, 4.0, num_queries)], axis=-1)
        sentences = [f"the person does step {index} {q}" for q in range(num_queries)]
        videos.append(make_video(f"v{index}", int(rng.integers(2, 20)), sentences, times))
    return videos
