"""CNM never sees a timestamp in training: random timestamps train bit-identical weights.

Two short trainings on the synthetic benchmark (tiny settings, ``--deterministic``), the
second with every training query's start and end replaced by random values where the
training split is read (the hook below; ``times`` and ``iou_map`` of every batch follow
from them). Validation and test read the real timestamps in both runs, for their
metrics only. Every weight of the two final models must be equal, bit for bit.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

pytestmark = pytest.mark.slow


def _random_times(example):
    """The example with every query's (start, end) drawn at random (0 <= start < end <= duration)."""
    queries = dict(example["queries"])
    seed = tf.stack([tf.strings.to_hash_bucket_fast(example["video_id"], 2**31 - 1), tf.constant(7, tf.int64)])
    draws = tf.random.stateless_uniform(tf.stack([tf.size(queries["start"]), 2]), seed=seed)
    duration = tf.cast(example["duration"], tf.float32)
    start = draws[:, 0] * 0.9 * duration
    end = start + (duration - start) * (0.05 + 0.95 * draws[:, 1])
    queries["start"] = tf.cast(start, queries["start"].dtype)
    queries["end"] = tf.cast(tf.minimum(end, duration), queries["end"].dtype)
    return {**example, "queries": queries}


def _install_hook(monkeypatch, calls):
    """Randomises the timestamps of the training reads (``shuffle_files=True``) of ``load_split``."""
    import clear_tf.data as data_package
    from clear_tf.data import loading, pipeline

    real = loading.load_split

    def load_split(config, split, *, shuffle_files=False, seed=None):
        examples = real(config, split, shuffle_files=shuffle_files, seed=seed)
        if not shuffle_files:  # validation, test, the prior, the vocabulary: untouched
            return examples
        calls.append(split)
        return examples.map(_random_times)

    for module in (loading, data_package, pipeline):
        monkeypatch.setattr(module, "load_split", load_split, raising=False)


def _config(run_dir, data_dir, tiny_text_preset):
    from clear_tf.config import config_from_values, validate

    config = config_from_values(
        {
            "model": "cnm",
            "dataset": "synthetic_moments/small",
            "data_dir": data_dir,
            "text_preset": tiny_text_preset,
            "train_splits": ["train[:8]"],
            "val_split": "val[:3]",
            "test_split": "test[:3]",
            "num_pre_clips": 16,
            "num_clips": 8,
            "queries_per_video": 2,
            "max_query_tokens": 16,
            "batch_size": 4,
            "hidden_dim": 8,
            "attention_heads": 2,
            "decoder_layers": 1,
            "epochs": 2,
            "seed": 3,
            "deterministic": True,
            "export": False,
            "num_plot_queries": 1,
            "monitor": "val_mIoU",
            "run_dir": str(run_dir),
        }
    )
    validate(config)
    return config


def _weights(run_dir):
    from clear_tf.models import load_model
    from clear_tf.run_dir import RunDir

    return load_model(RunDir(str(run_dir)).last_model).get_weights()


def test_random_training_timestamps_give_bit_identical_weights(tmp_path, tiny_text_preset, monkeypatch):
    from clear_tf.training import train

    data_dir = str(tmp_path / "tfds")
    train(_config(tmp_path / "true_times", data_dir, tiny_text_preset))
    true_weights = _weights(tmp_path / "true_times")

    calls = []
    _install_hook(monkeypatch, calls)
    config = _config(tmp_path / "random_times", data_dir, tiny_text_preset)
    train(config)
    assert calls, "the training split was never read through the hook"
    random_weights = _weights(tmp_path / "random_times")

    assert len(true_weights) == len(random_weights) > 20
    for true, random in zip(true_weights, random_weights):
        np.testing.assert_array_equal(true, random)
    # The model did train (its weights left their initial values).
    assert not all(np.array_equal(a, b) for a, b in zip(true_weights, _initial_weights(config)))


def _initial_weights(config):
    from clear_tf import dataset_info
    from clear_tf.models import build_model

    keras.utils.set_random_seed(config.train.seed)
    return build_model(config, dataset_info.feature_dim(config)).get_weights()


def test_the_hook_changes_the_training_times(tmp_path, tiny_text_preset, monkeypatch):
    from clear_tf.data import loading
    from clear_tf.data.targets import moment_iou_map

    config = _config(tmp_path / "run", str(tmp_path / "tfds"), tiny_text_preset)
    real = [e for e in loading.load_split(config, "train[:8]").as_numpy_iterator()]
    _install_hook(monkeypatch, [])
    drawn = [e for e in loading.load_split(config, "train[:8]", shuffle_files=True, seed=0).as_numpy_iterator()]
    by_id = {e["video_id"]: e for e in drawn}
    for example in real:
        other = by_id[example["video_id"]]
        start, end = other["queries"]["start"], other["queries"]["end"]
        assert np.all((0 <= start) & (start < end) & (end <= example["duration"] + 1e-4))
        assert not np.allclose(start, example["queries"]["start"])
        true_map = moment_iou_map(np.stack([example["queries"]["start"], example["queries"]["end"]], -1), example["duration"], 8)
        drawn_map = moment_iou_map(np.stack([start, end], -1), example["duration"], 8)
        assert not np.allclose(true_map, drawn_map)
