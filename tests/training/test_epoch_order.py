"""The training order is seeded by epoch, the cache fills once, and cut queries are counted."""

import pytest
import tensorflow as tf

from clear_tf import data as data_lib
from clear_tf.config import Config
from clear_tf.data.pipeline import QueryReport


@pytest.fixture(scope="module")
def config(training_inputs):
    data_dir, preset = training_inputs
    config = Config()
    config.data.data_dir = data_dir
    config.model.text_preset = preset
    config.data.num_pre_clips, config.data.num_clips = 16, 8
    config.data.queries_per_video, config.data.batch_size, config.data.max_query_tokens = 2, 4, 8
    return config


def _order(dataset, batches=6):
    return [
        tuple(video.decode() for video in batch["video_id"].numpy()) + tuple(batch["query_index"].numpy()[:, 0])
        for batch in dataset.take(batches)
    ]


@pytest.mark.parametrize("seed", [0, 7])  # 0 once broke tf.data's seed handling
def test_the_order_is_a_function_of_seed_and_epoch(config, seed):
    epoch = tf.Variable(0, dtype=tf.int64)

    def build(epoch_value, repeat=True, report=None):
        examples = data_lib.load_split(config, "train[:12]", shuffle_files=True, seed=seed)
        return data_lib.build_dataset(
            examples, config, training=True, seed=seed, repeat=repeat, epoch=epoch_value, report=report
        )

    dataset = build(epoch)
    first = _order(dataset)
    epoch.assign(3)
    third = _order(dataset)
    epoch.assign(0)
    assert _order(dataset) == first, "the same epoch twice in one process"
    assert third != first
    # Another process (another dataset) at epoch 3 sees the same batches.
    assert _order(build(3)) == third
    # One pass without repeat: the whole batches of the pass's chunks of K queries.
    report = QueryReport()
    batches = list(build(1, repeat=False, report=report))
    assert len(batches) == int(report.chunks.numpy()) // config.data.batch_size


def test_the_cache_is_filled_once_and_the_report_counts_cut_queries(config):
    calls = tf.Variable(0, dtype=tf.int64)

    def counted(example):
        calls.assign_add(1)
        return example

    examples = data_lib.load_split(config, "train[:12]").map(counted)
    report = QueryReport()
    assert report.message(8) is None
    dataset = data_lib.build_dataset(examples, config, training=True, seed=1, repeat=True, epoch=0, report=report)
    for _ in range(3):  # each iterator stops long before the end of a pass
        _order(dataset, batches=1)
    assert int(calls.numpy()) == 12, "a partly read cache was discarded and read again"
    assert int(report.videos.numpy()) == 12 and int(report.queries.numpy()) > 0
    message = report.message(8)
    assert f"of {int(report.queries.numpy())} training queries" in message
    assert "longer than --max_query_tokens=8 and are cut" in message
    cut = int(report.cut.numpy())
    assert 0 < cut < int(report.queries.numpy()) and "raise --max_query_tokens" in message
    assert int(report.chunks.numpy()) >= int(report.queries.numpy()) // 2


def test_epoch_is_for_training_only(config):
    with pytest.raises(ValueError, match="epoch seeds the training order"):
        data_lib.build_dataset(data_lib.load_split(config, "val[:2]"), config, training=False, epoch=0)
