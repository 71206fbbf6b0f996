"""TACoS (2D-TAN release) with C3D fc6 unit features, one example per video."""

from __future__ import annotations

import h5py
import numpy as np
import tensorflow_datasets as tfds

# Absolute import: `tfds build datasets/tacos` imports this file as the top-level
# module `tacos.tacos_dataset_builder`, where a relative `..common` cannot resolve.
from clear_tf_datasets import common
from clear_tf_datasets.generation_report import GenerationReport

FEATURE_DIM = 4096
FEATURES_FILE = "tall_c3d_features.hdf5"
SPLIT_FILES = {"train": "train.json", "val": "val.json", "test": "test.json"}


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


class Builder(tfds.core.GeneratorBasedBuilder):
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

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.generation_reports: dict[str, GenerationReport] = {}

    def _info(self) -> tfds.core.DatasetInfo:
        return self.dataset_info_from_configs(
            features=common.moment_features(FEATURE_DIM),
            homepage="https://github.com/microsoft/2D-TAN",
        )

    def _split_generators(self, dl_manager: tfds.download.DownloadManager):
        manual_dir = common.require_manual_files(
            dl_manager.manual_dir, [*SPLIT_FILES.values(), FEATURES_FILE], self.name
        )
        return {
            split: self._generate_examples(
                split, manual_dir / file_name, manual_dir / FEATURES_FILE
            )
            for split, file_name in SPLIT_FILES.items()
        }

    def _generate_examples(self, split, annotation_path, features_path):
        videos = common.parse_tacos_annotations(
            common.load_annotation_json(annotation_path), annotation_path
        )
        report = GenerationReport(self.name, split)
        self.generation_reports[split] = report
        yield from common.generate_examples(
            videos, features_path, read_video_features, FEATURE_DIM, report
        )
