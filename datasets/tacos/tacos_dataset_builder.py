"""TACoS (2D-TAN release) with C3D fc6 unit features, one example per video."""

from __future__ import annotations

import tensorflow_datasets as tfds

# Absolute import: `tfds build datasets/tacos` imports this file as the top-level
# module `tacos.tacos_dataset_builder`, where a relative `..common` cannot resolve.
from clear_tf_datasets import common

FEATURE_DIM = 4096
FEATURES_FILE = "tall_c3d_features.hdf5"


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
    # One (T, 4096) dataset per video, keyed with or without ".avi"; when both keys
    # exist, the annotated one (with ".avi") is used and noted in the report.
    read_video_features = staticmethod(common.read_video_dataset)
