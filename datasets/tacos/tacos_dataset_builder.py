"""TACoS (2D-TAN release) with C3D fc6 unit features, one example per video."""

from __future__ import annotations

import h5py
import numpy as np
import tensorflow_datasets as tfds

# Absolute import: `tfds build datasets/tacos` imports this file as the top-level
# module `tacos.tacos_dataset_builder`, where a relative `..common` cannot resolve.
from clear_tf_datasets import common

FEATURE_DIM = 4096
FEATURES_FILE = "tall_c3d_features.hdf5"


def read_video_features(h5_file: h5py.File, video_id: str) -> np.ndarray | None:
    """The (T, 4096) dataset of `video_id`, keyed with or without the `.avi` suffix."""
    stem = video_id.removesuffix(".avi")
    for key in (video_id, stem, stem + ".avi"):
        if key in h5_file:
            dataset = h5_file[key]
            if not isinstance(dataset, h5py.Dataset):
                raise ValueError(
                    f"{h5_file.filename}: entry {key!r} of video {video_id!r} is a group; "
                    f"TACoS expects one (T, {FEATURE_DIM}) dataset per video"
                )
            return dataset[()]
    return None


class Builder(common.ManualFeaturesBuilder):
    """TACoS moment localization: cooking videos, sentences with start/end times."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "Initial release: 2D-TAN splits, C3D fc6 features."}
    MANUAL_DOWNLOAD_INSTRUCTIONS = f"""
    Put these four files directly inside the manual directory (`--manual_dir`, by
    default `~/tensorflow_datasets/downloads/manual/`), under exactly these names:

      train.json, val.json, test.json   the 2D-TAN TACoS annotations
                                        (github.com/microsoft/2D-TAN, folder data/TACoS)
      {FEATURES_FILE}     C3D fc6 features, one (T, {FEATURE_DIM}) float dataset per
                                        video, keyed by the video id ("s30-d52.avi" or
                                        "s30-d52"), from the 2D-TAN / TALL release

    Then run e.g. `tfds build datasets/tacos --manual_dir=DIR --data_dir=OUT`.
    """

    FEATURE_DIM = FEATURE_DIM
    FEATURES_FILE = FEATURES_FILE
    HOMEPAGE = "https://github.com/microsoft/2D-TAN"
    parse_annotations = staticmethod(common.parse_tacos_annotations)
    read_video_features = staticmethod(read_video_features)
