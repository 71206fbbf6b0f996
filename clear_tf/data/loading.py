"""Reading the per-video TFDS examples of a dataset split."""

from __future__ import annotations

import importlib
from typing import Sequence

import tensorflow as tf

from clear_tf.config import Config

# The TFDS builders (``datasets/`` in the repo) register their names on import.
BUILDER_PACKAGE = "clear_tf_datasets"


def _register_builders() -> ImportError | None:
    """Imports the builder package; returns the import error instead of raising it,
    because a dataset registered some other way can still be loaded without it."""
    try:
        importlib.import_module(BUILDER_PACKAGE)
    except ModuleNotFoundError as error:
        if error.name != BUILDER_PACKAGE:
            raise
        return error
    return None


def split_expression(split: str | Sequence[str]) -> str:
    """``"train"`` stays; ``["train", "val"]`` becomes TFDS's concatenation ``"train+val"``."""
    if isinstance(split, str):
        names = [name.strip() for name in split.replace(",", "+").split("+")]
    else:
        names = [str(name).strip() for name in split]
    if not names or not all(names):
        raise ValueError(f"bad split {split!r}: expected a name or a list of names")
    return "+".join(names)


def load_split(
    config: Config,
    split: str | Sequence[str],
    *,
    shuffle_files: bool = False,
    seed: int | None = None,
) -> tf.data.Dataset:
    """The per-video examples of ``config.data.dataset`` for one split or several.

    Builds the dataset first if needed (``download_and_prepare`` with
    ``config.data.manual_dir`` for the real datasets).

    Args:
        config: uses ``config.data.dataset``, ``data_dir`` and ``manual_dir``.
        split: a split name, a list of names (concatenated, e.g. ``["train", "val"]``,
            the original code's training protocol) or a TFDS split expression.
        shuffle_files: let TFDS interleave the files in a random order (training).
        seed: seed of that file order.

    Returns:
        A ``tf.data.Dataset`` of TFDS examples (see ``build_dataset``).
    """
    import tensorflow_datasets as tfds

    builders_missing = _register_builders()
    data = config.data
    download_config = tfds.download.DownloadConfig(manual_dir=data.manual_dir or None)
    try:
        return tfds.load(
            data.dataset,
            split=split_expression(split),
            data_dir=data.data_dir or None,
            shuffle_files=shuffle_files,
            read_config=tfds.ReadConfig(shuffle_seed=seed),
            download_and_prepare_kwargs={"download_config": download_config},
        )
    except tfds.core.registered.DatasetNotFoundError as error:
        if builders_missing is None:
            raise
        raise ValueError(
            f"TFDS does not know the dataset {data.dataset!r} and the builder package "
            f"{BUILDER_PACKAGE!r} (the repo's datasets/ folder) is not importable: install "
            "the project with `pip install -e .`"
        ) from error
