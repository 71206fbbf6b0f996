"""Facts about a dataset that are known from its builder's code, before any data exists."""

from __future__ import annotations

import tensorflow_datasets as tfds

from clear_tf.config import Config


def builder(config: Config) -> tfds.core.DatasetBuilder:
    """The TFDS builder of ``config.data.dataset`` (registers clear-tf's builders first)."""
    import clear_tf_datasets  # noqa: F401  (registers tacos, activitynet_captions, synthetic_moments)

    kwargs = {"data_dir": config.data.data_dir} if config.data.data_dir else {}
    try:
        return tfds.builder(config.data.dataset, **kwargs)
    except tfds.core.registered.DatasetNotFoundError as error:
        raise ValueError(f"--dataset={config.data.dataset!r} is not a known TFDS dataset") from error


def feature_dim(config: Config) -> int:
    """D, the unit feature dimension the dataset declares (4096 TACoS, 500 ActivityNet)."""
    return int(builder(config).info.features["features"].shape[-1])


def region_shape(config: Config) -> tuple[int, int] | None:
    """(O, D_r) of the dataset's optional ``region_features`` [T, O, D_r]; None without them."""
    features = builder(config).info.features
    if "region_features" not in features.keys():
        return None
    shape = features["region_features"].shape
    return int(shape[-2]), int(shape[-1])


def feature_metadata(config: Config) -> dict:
    """What a prepared dataset records about its features (``moment_features``: the
    ``feature_encoder`` spec and the feature file's root attributes, ``feature_attributes``);
    empty for datasets that record nothing or are not prepared yet."""
    return dict(builder(config).info.metadata or {})
