"""A small pipeline config shared by the data tests."""

import pytest

from clear_tf.config import Config


@pytest.fixture
def data_config():
    """N = 8 units, L = 4 clips, R = 3 anchors, K = 2, S = 8, B = 2."""
    config = Config()
    config.data.num_pre_clips = 8
    config.data.num_clips = 4
    config.data.queries_per_video = 2
    config.data.max_query_tokens = 8
    config.data.batch_size = 2
    config.data.eval_batch_size = 3
    config.data.shuffle_buffer = 16
    config.model.tree_depth = 2
    return config
