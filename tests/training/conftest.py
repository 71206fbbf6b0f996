"""Fixtures of the training tests: the synthetic dataset built once and a tiny text preset."""

import pytest

from training_runs import build_text_preset


@pytest.fixture(scope="session")
def training_inputs(tmp_path_factory):
    """``(data_dir, text_preset)``: the synthetic benchmark, built once, and the tiny preset."""
    from clear_tf.config import Config
    from clear_tf.data import load_split

    root = tmp_path_factory.mktemp("training_inputs")
    preset = build_text_preset(str(root / "preset"))
    config = Config()
    config.data.data_dir = str(root / "tfds")
    load_split(config, "train")  # builds the dataset now, not in two processes at once
    return config.data.data_dir, preset

