"""ActivityNet Captions (2D-TAN release) with PCA-reduced C3D unit features."""

from __future__ import annotations

import h5py
import numpy as np
import tensorflow_datasets as tfds

# Absolute import: `tfds build datasets/activitynet_captions` imports this file as the
# top-level module `activitynet_captions.activitynet_captions_dataset_builder`.
from clear_tf_datasets import common
from clear_tf_datasets.generation_report import GenerationReport

FEATURE_DIM = 500
FEATURES_FILE = "sub_activitynet_v1-3.c3d.hdf5"
FEATURES_FIELD = "c3d_features"
# Split files (`common.ManualFeaturesBuilder.SPLIT_FILES`): val.json is val_1 and
# test.json is val_2 of ActivityNet Captions, as in 2D-TAN.


def read_video_features(
    h5_file: h5py.File, video_id: str, report: GenerationReport
) -> np.ndarray | None:
    """`h5_file[video_id]["c3d_features"]`, shape (T, 500), or None when absent."""
    del report  # nothing to note: the key is the video id
    if video_id not in h5_file:
        return None
    group = h5_file[video_id]
    if not isinstance(group, h5py.Group) or FEATURES_FIELD not in group:
        raise ValueError(
            f"{h5_file.filename}: video {video_id!r} has no dataset {FEATURES_FIELD!r}; "
            f"ActivityNet features are read from f[video_id][{FEATURES_FIELD!r}]"
        )
    return group[FEATURES_FIELD][()]


class Builder(common.ManualFeaturesBuilder):
    """ActivityNet Captions moment localization: open-domain videos and sentences."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "Initial release: 2D-TAN splits, C3D PCA-500 features."}
    MANUAL_DOWNLOAD_INSTRUCTIONS = f"""
    Put these four files directly inside the manual directory (`--manual_dir`, by
    default `~/tensorflow_datasets/downloads/manual/`), under exactly these names:

      train.json   2D-TAN ActivityNet Captions train annotations
      val.json     val_1 annotations (2D-TAN's val.json)
      test.json    val_2 annotations (2D-TAN's test.json)
                   (all three from github.com/microsoft/2D-TAN, folder
                   data/ActivityNet)
      {FEATURES_FILE}
                   the official ActivityNet C3D features (PCA to 500 dims):
                   f[video_id]["{FEATURES_FIELD}"] has shape (T, {FEATURE_DIM})

    Then run e.g. `tfds build datasets/activitynet_captions --manual_dir=DIR
    --data_dir=OUT`. Note: val and test annotate the same 4,885 videos with different
    sentences (the benchmark's convention).
    """

    FEATURE_DIM = FEATURE_DIM
    FEATURES_FILE = FEATURES_FILE
    HOMEPAGE = "https://cs.stanford.edu/people/ranjaykrishna/densevid/"
    parse_annotations = staticmethod(common.parse_activitynet_annotations)
    read_video_features = staticmethod(read_video_features)
