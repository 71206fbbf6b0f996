"""A tiny random BERT text preset for fast model tests (a plain module tests import).

``build_tiny_preset(folder)`` writes a keras-hub preset holding a one-layer BERT of
width 16 with random weights and the ``BertTokenizer`` of the default all-MiniLM-L6-v2
vocabulary, so that token ids, the tokenizer and the data pipeline behave as with the
real encoder while the model costs almost nothing. Pass the folder (absolute) as
``text_preset``: ``clear_tf.text_presets`` accepts an absolute folder.

Use it from a ``conftest.py`` (the folder of this module must be on ``sys.path``)::

    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
    from tiny_text_preset import tiny_text_preset  # noqa: F401  (the session fixture)

and take ``tiny_text_preset`` (a ``str``, the preset folder) as a fixture argument.
"""

from __future__ import annotations

import os

import pytest

HIDDEN_DIM = 16
NUM_LAYERS = 1
NUM_HEADS = 2
INTERMEDIATE_DIM = 32
MAX_SEQUENCE_LENGTH = 64


def build_tiny_preset(folder: str, seed: int = 0) -> str:
    """Writes the tiny preset into ``folder`` (created if needed); returns its absolute path."""
    import keras
    import keras_hub

    from clear_tf import text_presets

    folder = os.path.abspath(folder)
    os.makedirs(folder, exist_ok=True)
    vocabulary = os.path.join(text_presets.default_preset_path(), "vocab.txt")
    tokenizer = keras_hub.models.BertTokenizer(vocabulary=vocabulary, lowercase=True)
    keras.utils.set_random_seed(seed)
    backbone = keras_hub.models.BertBackbone(
        vocabulary_size=tokenizer.vocabulary_size(),
        num_layers=NUM_LAYERS,
        num_heads=NUM_HEADS,
        hidden_dim=HIDDEN_DIM,
        intermediate_dim=INTERMEDIATE_DIM,
        dropout=0.0,
        max_sequence_length=MAX_SEQUENCE_LENGTH,
    )
    backbone.save_to_preset(folder)
    tokenizer.save_to_preset(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_text_preset(tmp_path_factory) -> str:
    """The absolute folder of a tiny random BERT preset, built once per session."""
    return build_tiny_preset(str(tmp_path_factory.mktemp("tiny_text_preset")))
