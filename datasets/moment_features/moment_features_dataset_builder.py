"""`moment_features`: your own videos and sentences, unit features of any size D.

The manual directory holds one annotation JSON per split, in the ActivityNet Captions
style (times in seconds)::

    {"video_id": {"duration": 82.7, "timestamps": [[0.8, 19.9], ...],
                  "sentences": ["A woman dances.", ...]}, ...}

named `train.json`, `val.json` and `test.json` (the splits whose file is there are
built; at least one), and `features.hdf5` (or `features.h5`): one (T, D) float
dataset per video id.

D is chosen by the config name, `d<D>`: `moment_features/d512`,
`moment_features/d1024`, ... Any positive D works (`d300`, `d2304`), not only the
listed configs, because the feature dimension is part of the dataset's schema and
must be known before the files are read (training reads it from the builder). The
build checks the HDF5 file first and, when it holds another D, stops with the config
name to use.

When `features.hdf5` has a root attribute `encoder` (written by
`python -m clear_tf.extract_features`), it is recorded in the dataset's metadata as
`feature_encoder` (empty when absent), with every root attribute (e.g.
`unit_seconds`) under `feature_attributes`; read them back with
`tfds.builder("moment_features/d512", data_dir=...).info.metadata`.
"""

from __future__ import annotations

import dataclasses
import functools
import re

import numpy as np
import tensorflow_datasets as tfds
from etils import epath

# Absolute import: `tfds build datasets/moment_features` imports this file as the
# top-level module `moment_features.moment_features_dataset_builder`.
from clear_tf_datasets import common

FEATURES_FILE = "features.hdf5"
# Also read under this name (the other suffix `python -m clear_tf.extract_features`
# writes) when FEATURES_FILE is absent.
OTHER_FEATURES_FILE = "features.h5"
# Feature sizes of common image and video encoders, listed as configs. Other sizes
# work too (`config_for_dim`).
LISTED_DIMS = (512, 768, 1024, 2048, 4096)
ENCODER_ATTRIBUTE = "encoder"
_CONFIG_NAME = re.compile(r"d([1-9][0-9]*)")


@dataclasses.dataclass(eq=False)
class MomentFeaturesConfig(common.ManualFeaturesConfig):
    """`moment_features` with D-dimensional unit features; named `d<D>`."""


@functools.lru_cache(maxsize=None)
def config_for_dim(feature_dim: int) -> MomentFeaturesConfig:
    """The config `d<feature_dim>` (the same object on every call)."""
    if feature_dim <= 0:
        raise ValueError(f"moment_features: the feature dimension must be > 0, got {feature_dim}")
    return MomentFeaturesConfig(
        name=f"d{feature_dim}",
        description=f"Your own annotations with {feature_dim}-dimensional unit features.",
        feature_dim=feature_dim,
        features_file=FEATURES_FILE,
    )


def _json_value(value):
    """An HDF5 attribute value as plain JSON (str, number, bool, list)."""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, np.ndarray):
        return [_json_value(item) for item in value.tolist()]
    if isinstance(value, list):
        return [_json_value(item) for item in value]
    if isinstance(value, np.generic):
        return _json_value(value.item())
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def read_feature_file_info(path: epath.PathLike) -> tuple[dict, dict[int, str]]:
    """The root attributes of the HDF5 file and its feature dimensions.

    Returns:
        (attributes as plain JSON values, {D: an example video id} for every D found
        among its 2-D datasets; only shapes are read, not the features).
    """
    attributes, dims = {}, {}
    with common.open_hdf5(path) as h5_file:
        for name, value in h5_file.attrs.items():
            attributes[name] = _json_value(value)
        for key, entry in h5_file.items():
            shape = getattr(entry, "shape", None)
            if shape is not None and len(shape) == 2:
                dims.setdefault(int(shape[1]), key)
    return attributes, dims


class Builder(common.ManualFeaturesBuilder):
    """Your own moment localization data: ActivityNet-style JSONs and one HDF5 file."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "Initial release."}
    BUILDER_CONFIGS = [config_for_dim(dim) for dim in LISTED_DIMS]
    DEFAULT_BUILDER_CONFIG_NAME = "d512"
    MANUAL_DOWNLOAD_INSTRUCTIONS = f"""
    Put your files directly inside the manual directory (`--manual_dir`):

      train.json, val.json, test.json   one per split (the splits whose file is there
                  are built, at least one): {{video_id: {{"duration": seconds,
                  "timestamps": [[start, end], ...] (seconds), "sentences": [...]}}}}
      {FEATURES_FILE} (or {OTHER_FEATURES_FILE})
                  one (T, D) float dataset per video id, e.g. written by
                  `python -m clear_tf.extract_features`; its root attribute `encoder`
                  is recorded in the dataset's metadata as `feature_encoder`

    and build the config named after D, e.g. for 512-dimensional features
    `tfds build datasets/moment_features --config=d512 --manual_dir=DIR --data_dir=OUT`
    (any D: d300, d2304, ...; train with `--dataset=moment_features/d512`). Keep one
    --data_dir per dataset of your own: two datasets with the same D share a name.
    """

    HOMEPAGE = "https://github.com/microsoft/2D-TAN"
    parse_annotations = staticmethod(common.parse_activitynet_annotations)
    read_video_features = staticmethod(common.read_video_dataset)

    @classmethod
    def get_builder_config(cls, name: str, version=None):
        """The listed config `name`, or `d<D>` for any other D > 0 (else None)."""
        config = super().get_builder_config(name=name, version=version)
        if config is None:
            match = _CONFIG_NAME.fullmatch(name.split(":")[0])
            if match:
                config = config_for_dim(int(match.group(1)))
        return config

    def _info(self) -> tfds.core.DatasetInfo:
        return self.dataset_info_from_configs(
            features=common.moment_features(self.feature_dim),
            homepage=self.HOMEPAGE,
            metadata=tfds.core.MetadataDict(),
        )

    def _split_generators(self, dl_manager: tfds.download.DownloadManager):
        manual_dir = epath.Path(dl_manager.manual_dir)
        features_file = self.features_file
        if (manual_dir / OTHER_FEATURES_FILE).is_file():
            if (manual_dir / features_file).is_file():
                raise ValueError(
                    f"{manual_dir} has both {features_file} and {OTHER_FEATURES_FILE}; "
                    f"keep the one to build from"
                )
            features_file = OTHER_FEATURES_FILE
        common.require_manual_files(manual_dir, [features_file], self.name)
        splits = {
            split: manual_dir / file_name
            for split, file_name in self.SPLIT_FILES.items()
            if (manual_dir / file_name).is_file()
        }
        if not splits:
            # Lists every split file as missing.
            common.require_manual_files(
                manual_dir, [*self.SPLIT_FILES.values(), features_file], self.name
            )
        features_path = manual_dir / features_file
        attributes, dims = read_feature_file_info(features_path)
        self._check_dims(features_path, dims)
        self.info.metadata["feature_encoder"] = str(attributes.get(ENCODER_ATTRIBUTE, ""))
        self.info.metadata["feature_attributes"] = attributes
        return {
            split: self._generate_examples(split, annotation_path, features_path)
            for split, annotation_path in splits.items()
        }

    def _check_dims(self, features_path: epath.Path, dims: dict[int, str]) -> None:
        """Stops with the config to use when the file's D is not this config's."""
        found = ", ".join(f"{dim} (e.g. video {key!r})" for dim, key in sorted(dims.items()))
        if len(dims) > 1:
            raise ValueError(
                f"{features_path} mixes feature dimensions {found}; moment_features "
                f"needs one D for every video"
            )
        if dims and self.feature_dim not in dims:
            (dim,) = dims
            raise ValueError(
                f"{features_path} holds {dim}-dimensional features (e.g. video "
                f"{dims[dim]!r}) but the config {self.builder_config.name!r} expects "
                f"{self.feature_dim}: build moment_features/d{dim} (`tfds build "
                f"datasets/moment_features --config=d{dim}`, or train with "
                f"--dataset=moment_features/d{dim})"
            )
