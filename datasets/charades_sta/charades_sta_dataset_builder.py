"""Charades-STA (2D-TAN release) with VGG or I3D unit features, one example per video.

Charades-STA has a train and a test file only. The `val` split is carved out of train
by video, deterministically: a train video goes to `val` when
`common.hash_bucket(video_id) < val_percent` (the first 8 bytes of the SHA-256 of the
id, modulo 100; `val_percent` is 10 in both configs, 520 of the 5,338 train videos).
The same video never lands in both splits, and the carve is the same on every machine
and run. To train on the whole train file as 2D-TAN does, train on `train+val`
(`--train_splits=train,val`).

Durations are the `length` column of `Charades_v1_{train,test}.csv` (as in 2D-TAN);
moments ending after it are clipped to it, moments with start >= end are skipped, both
counted in the split's `GenerationReport` (see `common`).
"""

from __future__ import annotations

import dataclasses

import tensorflow_datasets as tfds
from etils import epath

# Absolute import: `tfds build datasets/charades_sta` imports this file as the top-level
# module `charades_sta.charades_sta_dataset_builder`.
from clear_tf_datasets import common

ANNOTATION_FILES = {"train": "charades_sta_train.txt", "test": "charades_sta_test.txt"}
DURATION_FILES = {"train": "Charades_v1_train.csv", "test": "Charades_v1_test.csv"}
VAL_PERCENT = 10
# Which file each split reads, and whether it keeps the val videos (True), the others
# (False) or all (None).
SPLIT_SOURCES = {"train": ("train", False), "val": ("train", True), "test": ("test", None)}


@dataclasses.dataclass(eq=False)
class CharadesStaConfig(common.ManualFeaturesConfig):
    """Which features a `charades_sta` variant reads, and how much of train is val.

    Attributes:
        feature_dim: D of the unit features.
        features_file: the HDF5 file in the manual directory, one (T, D) dataset per
            video id (2D-TAN reads `<VIS_INPUT_TYPE>_features.hdf5`).
        other_features_files: names the same file is known by elsewhere; finding one
            of them instead of `features_file` gives a hint to rename it.
        val_percent: percent of the train videos (by id hash) that form `val`.
    """

    other_features_files: tuple[str, ...] = ()
    val_percent: int = VAL_PERCENT


def is_val_video(video_id: str, val_percent: int = VAL_PERCENT) -> bool:
    """Whether a video of the train file belongs to the carved `val` split."""
    return common.hash_bucket(video_id) < val_percent


class Builder(common.ManualFeaturesBuilder):
    """Charades-STA moment localization: indoor activity videos, sentences with times."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {
        "1.0.0": "Initial release: 2D-TAN files, VGG or I3D features, val carved from train."
    }
    BUILDER_CONFIGS = [
        CharadesStaConfig(
            name="vgg",
            description="VGG16 fc7 RGB features (4096-d), 2D-TAN's vgg_rgb_features.hdf5.",
            feature_dim=4096,
            features_file="vgg_rgb_features.hdf5",
            # The name 2D-TAN's data/Charades-STA/convert_vgg_features_to_hdf5.py writes.
            other_features_files=("charades_vgg_rgb.hdf5",),
        ),
        CharadesStaConfig(
            name="i3d",
            description="I3D RGB features (1024-d), i3d_features.hdf5.",
            feature_dim=1024,
            features_file="i3d_features.hdf5",
            other_features_files=("charades_i3d_features.hdf5",),
        ),
    ]
    DEFAULT_BUILDER_CONFIG_NAME = "vgg"
    MANUAL_DOWNLOAD_INSTRUCTIONS = """
    Put these files directly inside the manual directory (`--manual_dir`, by default
    `~/tensorflow_datasets/downloads/manual/`), under exactly these names:

      charades_sta_train.txt, charades_sta_test.txt
                    Charades-STA moments, one `VID START END##SENTENCE` per line
      Charades_v1_train.csv, Charades_v1_test.csv
                    Charades metadata; the `length` column gives each video's duration
                    (all four from github.com/microsoft/2D-TAN, folder data/Charades-STA)

    and the features file of the config you build:

      vgg_rgb_features.hdf5   (config `vgg`, the default) VGG16 fc7 RGB features, one
                    (T, 4096) float dataset per video id. 2D-TAN's
                    data/Charades-STA/download.sh fetches the official Charades RGB
                    features and its convert_vgg_features_to_hdf5.py writes them as
                    `charades_vgg_rgb.hdf5`: rename that file to vgg_rgb_features.hdf5
                    (the name 2D-TAN's loader reads).
      i3d_features.hdf5       (config `i3d`) I3D RGB features, one (T, 1024) float
                    dataset per video id (as distributed by later Charades-STA work,
                    e.g. CPL, github.com/minghangz/cpl).

    Then run e.g. `tfds build datasets/charades_sta --config=vgg --manual_dir=DIR
    --data_dir=OUT` (without --config the TFDS command line builds every config and
    needs both features files). There is no official validation split: `val` is 10% of
    the train videos, chosen by a hash of the video id (see the module docstring).
    """

    HOMEPAGE = "https://github.com/jiyanggao/TALL"
    read_video_features = staticmethod(common.read_video_dataset)

    def _split_generators(self, dl_manager: tfds.download.DownloadManager):
        manual_dir = epath.Path(dl_manager.manual_dir)
        features_path = manual_dir / self.features_file
        if not features_path.is_file():
            for other in self.builder_config.other_features_files:
                if (manual_dir / other).is_file():
                    raise FileNotFoundError(
                        f"{manual_dir} has {other} but not {self.features_file}: rename it "
                        f"to {self.features_file} (the name config {self.builder_config.name!r} "
                        f"of {self.name} reads)"
                    )
        common.require_manual_files(
            manual_dir,
            [*ANNOTATION_FILES.values(), *DURATION_FILES.values(), self.features_file],
            self.name,
        )
        return {
            split: self._generate_examples(split, manual_dir, source, val_videos)
            for split, (source, val_videos) in SPLIT_SOURCES.items()
        }

    def _generate_examples(self, split, manual_dir, source, val_videos):
        report = self._new_report(split)
        durations_path = manual_dir / DURATION_FILES[source]
        keep_video = None
        if val_videos is not None:
            val_percent = self.builder_config.val_percent

            def keep_video(video_id):
                return is_val_video(video_id, val_percent) == val_videos

        videos = common.parse_charades_sta_annotations(
            manual_dir / ANNOTATION_FILES[source],
            common.load_charades_durations(durations_path),
            durations_path,
            report,
            keep_video,
        )
        yield from common.generate_examples(
            videos,
            manual_dir / self.features_file,
            self.read_video_features,
            self.feature_dim,
            report,
        )

