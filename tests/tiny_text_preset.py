"""A tiny random BERT saved as a local keras-hub preset, for unit tests (keras-hub's own tests do this).

The tokenizer is the default preset's (the real MiniLM vocabulary, so queries tokenize
as in production); the backbone has one layer of width 16 and random weights, so a unit
test builds, saves and exports models in a fraction of the real encoder's time. The
real weights are left to the tests marked slow.
"""

from __future__ import annotations

import os
import tempfile

_FOLDER = None


def write_tiny_text_preset(folder: str, seed: int = 1234) -> str:
    """Writes the tiny preset (weights drawn with ``seed``) to ``folder``; returns ``folder``."""
    import keras
    import keras_hub

    from clear_tf import text_presets

    tokenizer = text_presets.load_tokenizer()
    keras.utils.set_random_seed(seed)
    backbone = keras_hub.models.BertBackbone(
        vocabulary_size=tokenizer.vocabulary_size(),
        num_layers=1,
        num_heads=2,
        hidden_dim=16,
        intermediate_dim=32,
        dropout=0.0,
        max_sequence_length=64,
    )
    backbone.save_to_preset(folder)
    tokenizer.save_to_preset(folder)
    return folder


def tiny_text_preset() -> str:
    """The absolute folder of the tiny preset, written once per process (a ``--text_preset`` value)."""
    global _FOLDER
    if _FOLDER is None:
        _FOLDER = write_tiny_text_preset(os.path.join(tempfile.mkdtemp(prefix="clear_tf_tiny_bert_"), "tiny_bert"))
    return _FOLDER
