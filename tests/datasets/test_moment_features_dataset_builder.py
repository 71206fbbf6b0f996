"""The `moment_features` builder: your own JSONs and HDF5 file, any D, the encoder metadata."""

import json
import pathlib
import shutil

import h5py
import numpy as np
import pytest
import tensorflow_datasets as tfds
from dataset_test_utils import build, cli_build, write_json, write_tacos_features

from clear_tf_datasets.moment_features import moment_features_dataset_builder as moment_features

DUMMY_DATA = pathlib.Path(moment_features.__file__).parent / "dummy_data"
DIM = 16  # the dummy data's D: not a listed config, so `d16` is made on demand


class MomentFeaturesDummyDataTest(tfds.testing.DatasetBuilderTestCase):
    """Builds `moment_features/d16` from dummy_data/ the TFDS way."""

    DATASET_CLASS = moment_features.Builder
    BUILDER_CONFIG_NAMES_TO_TEST = [moment_features.config_for_dim(DIM)]
    SPLITS = {"train": 3, "val": 1, "test": 2}


def _examples(builder, split):
    return {
        example["video_id"].decode(): example
        for example in tfds.as_numpy(builder.as_dataset(split=split))
    }


def test_any_feature_dimension_is_a_config_named_after_it():
    assert [config.name for config in moment_features.Builder.BUILDER_CONFIGS] == [
        "d512", "d768", "d1024", "d2048", "d4096"
    ]
    assert tfds.builder("moment_features").builder_config.name == "d512"
    builder = tfds.builder("moment_features/d300")
    assert builder.info.features["features"].shape == (None, 300)
    assert builder.builder_config is moment_features.config_for_dim(300)
    for name in ("d0", "d-3", "dim300"):
        with pytest.raises(ValueError, match=f"BuilderConfig {name} not found"):
            tfds.builder(f"moment_features/{name}")


def test_dummy_data_records_the_encoder_in_the_metadata(tmp_path):
    builder = build(f"moment_features/d{DIM}", DUMMY_DATA, tmp_path)
    assert builder.info.metadata["feature_encoder"] == "dummy_encoder"
    assert builder.info.metadata["feature_attributes"] == {
        "encoder": "dummy_encoder", "unit_seconds": 0.5
    }
    # Restored from the dataset folder by a new builder (as training reads it).
    reloaded = tfds.builder(f"moment_features/d{DIM}", data_dir=str(tmp_path))
    assert reloaded.info.metadata["feature_encoder"] == "dummy_encoder"
    assert tfds.builder_from_directory(
        str(tmp_path / "moment_features" / f"d{DIM}" / "1.0.0")
    ).info.metadata["feature_attributes"]["unit_seconds"] == 0.5
    video = _examples(builder, "train")["kitchen_0001"]
    assert video["features"].shape == (5, DIM)
    assert [s.decode() for s in video["queries"]["sentence"]][1] == "He switches it on."
    np.testing.assert_allclose(video["queries"]["end"], [12.5, 30.0, 42.0])  # 44.0 clipped
    assert builder.generation_reports["train"]["query_clipped_to_duration"] == 1
    assert (tmp_path / "moment_features" / f"d{DIM}" / "1.0.0" / "generation_report_val.json").is_file()


def _manual_dir(directory, splits, features, attributes=None):
    directory.mkdir()
    for split, data in splits.items():
        write_json(directory / f"{split}.json", data)
    write_tacos_features(directory / moment_features.FEATURES_FILE, features)
    if attributes:
        with h5py.File(directory / moment_features.FEATURES_FILE, "a") as h5_file:
            h5_file.attrs.update(attributes)
    return directory


def _video(duration=10.0, timestamps=((1.0, 2.0),), sentences=("A man runs.",)):
    return {"duration": duration, "timestamps": [list(t) for t in timestamps],
            "sentences": list(sentences)}


def test_only_the_splits_with_a_file_are_built_and_no_encoder_is_empty(tmp_path):
    manual_dir = _manual_dir(
        tmp_path / "m",
        {"train": {"a": _video(), "b": _video()}, "test": {"c": _video()}},
        {v: np.ones((3, 4), np.float32) for v in "abc"},
    )
    builder = build("moment_features/d4", manual_dir, tmp_path / "d")
    assert set(builder.info.splits) == {"train", "test"}
    assert builder.info.metadata["feature_encoder"] == ""
    assert builder.info.metadata["feature_attributes"] == {}


def test_same_checks_and_counts_as_the_other_builders(tmp_path):
    text = (
        '{"a": %s, "b": %s, "c": %s, "a": %s, "d": %s}'
        % tuple(json.dumps(v) for v in (
            _video(sentences=["first a"]),
            _video(duration=0.0),
            _video(timestamps=[[5, 5], [-1, 3], [20, 30]], sentences=["x", "y", "z"]),
            _video(duration=8.0, sentences=["second a"]),
            _video(),
        ))
    )
    features = {"a": np.ones((3, 4)), "b": np.ones((3, 4)), "c.avi": np.ones((2, 4)),
                "c": np.zeros((2, 4))}
    manual_dir = _manual_dir(tmp_path / "m", {}, features, {"encoder": "my_encoder"})
    (manual_dir / "train.json").write_text(text)
    builder = build("moment_features/d4", manual_dir, tmp_path / "d")
    report = builder.generation_reports["train"]
    assert report.videos("video_duplicate_key") == ["a"]
    assert report.videos("video_bad_duration") == ["b"]
    assert report.videos("video_missing_features") == ["d"]
    # "c" is also stored as "c.avi": the annotated id's key is used, and noted.
    assert report.videos("video_feature_key_ambiguous") == ["c"]
    assert report.notes[-1].endswith("is stored under the keys 'c' and 'c.avi'; using 'c'")
    assert report["query_start_not_before_end"] == 1
    assert report["query_clipped_to_duration"] == 1
    assert report["query_outside_video"] == 1
    assert (report["videos_written"], report["queries_written"]) == (2, 2)
    videos = _examples(builder, "train")
    assert [s.decode() for s in videos["a"]["queries"]["sentence"]] == ["second a"]
    np.testing.assert_array_equal(videos["c"]["features"], 0)
    assert builder.info.metadata["feature_encoder"] == "my_encoder"


def test_features_h5_is_read_when_features_hdf5_is_absent(tmp_path):
    manual_dir = tmp_path / "m"
    shutil.copytree(DUMMY_DATA, manual_dir)
    shutil.copy(manual_dir / "features.hdf5", manual_dir / "features.h5")
    with pytest.raises(ValueError, match="has both features.hdf5 and features.h5"):
        build(f"moment_features/d{DIM}", manual_dir, tmp_path / "d")
    (manual_dir / "features.hdf5").unlink()
    builder = build(f"moment_features/d{DIM}", manual_dir, tmp_path / "d")
    assert builder.info.splits["train"].num_examples == 3


def test_other_feature_dimension_names_the_config_to_build(tmp_path):
    with pytest.raises(ValueError, match=r"holds 16-dimensional features .* build moment_features/d16"):
        build("moment_features/d512", DUMMY_DATA, tmp_path)


def test_mixed_feature_dimensions_are_named(tmp_path):
    manual_dir = _manual_dir(
        tmp_path / "m", {"train": {"a": _video()}},
        {"a": np.ones((3, 4), np.float32), "b": np.ones((3, 5), np.float32)},
    )
    with pytest.raises(ValueError, match=r"mixes feature dimensions 4 \(e\.g\. video 'a'\), 5"):
        build("moment_features/d4", manual_dir, tmp_path / "d")


def test_manual_dir_without_any_split_file_lists_them(tmp_path):
    manual_dir = _manual_dir(tmp_path / "m", {}, {"a": np.ones((3, 4), np.float32)})
    with pytest.raises(FileNotFoundError) as error:
        build("moment_features/d4", manual_dir, tmp_path / "d")
    assert f"{manual_dir / 'train.json'}  (missing)" in str(error.value)
    assert f"{manual_dir / 'features.hdf5'}\n" in str(error.value)


def test_builder_registered_by_import():
    assert tfds.builder_cls("moment_features") is moment_features.Builder


@pytest.mark.slow
def test_tfds_cli_builds_a_config_made_on_demand(tmp_path, subprocess_env):
    manual_dir = tmp_path / "manual"
    shutil.copytree(DUMMY_DATA, manual_dir)
    builder_dir = pathlib.Path(moment_features.__file__).parent
    result = cli_build(builder_dir, manual_dir, tmp_path / "data", subprocess_env, config=f"d{DIM}")
    assert result.returncode == 0, result.stderr[-3000:]
    folder = tmp_path / "data" / "moment_features" / f"d{DIM}" / "1.0.0"
    builder = tfds.builder_from_directory(str(folder))
    assert {split: info.num_examples for split, info in builder.info.splits.items()} == {
        "train": 3, "val": 1, "test": 2
    }
    assert builder.info.metadata["feature_encoder"] == "dummy_encoder"
