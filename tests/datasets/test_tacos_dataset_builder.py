"""The `tacos` builder: dummy data, the real annotation files, bad input, the TFDS CLI."""

import json
import pathlib
import shutil

import numpy as np
import pytest
import tensorflow_datasets as tfds
from dataset_test_utils import build, cli_build, write_json, write_tacos_features

from clear_tf_datasets.tacos import tacos_dataset_builder

FPS = 29.4
DUMMY_DATA = pathlib.Path(tacos_dataset_builder.__file__).parent / "dummy_data"


class TacosDummyDataTest(tfds.testing.DatasetBuilderTestCase):
    """Builds `tacos` from its dummy_data/ (the real file layout) the TFDS way."""

    DATASET_CLASS = tacos_dataset_builder.Builder
    SPLITS = {"train": 3, "val": 1, "test": 2}


def _video(num_frames, timestamps, sentences):
    return {"num_frames": num_frames, "fps": FPS, "timestamps": timestamps, "sentences": sentences}


def _units(num_units=3, value=0.5):
    return np.full((num_units, tacos_dataset_builder.FEATURE_DIM), value, np.float32)


def _tacos_manual_dir(directory: pathlib.Path, splits: dict, features: dict) -> pathlib.Path:
    """Split files and features; a split not in `splits` gets one valid video."""
    directory.mkdir(parents=True, exist_ok=True)
    features = {"s9-d9.avi": _units(), **features}
    for split in ("train", "val", "test"):
        default = {"s9-d9.avi": _video(300, [[0, 30]], ["He takes out a knife."])}
        write_json(directory / f"{split}.json", splits.get(split, default))
    write_tacos_features(directory / tacos_dataset_builder.FEATURES_FILE, features)
    return directory


def _examples(builder, split):
    return {
        example["video_id"].decode(): example
        for example in tfds.as_numpy(builder.as_dataset(split=split))
    }


def test_dummy_data_moments_are_seconds_clipped_to_the_duration(tmp_path):
    builder = build("tacos", DUMMY_DATA, tmp_path)
    video = _examples(builder, "train")["s13-d21.avi"]
    assert video["duration"] == pytest.approx(3000 / FPS)
    np.testing.assert_allclose(
        video["queries"]["start"], [10 / FPS, 420 / FPS, 2500 / FPS], rtol=1e-6
    )
    # The last moment ends at frame 3100 of 3000: clipped to the duration.
    np.testing.assert_allclose(
        video["queries"]["end"], [400 / FPS, 1200 / FPS, 3000 / FPS], rtol=1e-6
    )
    assert video["features"].shape == (5, 4096)
    assert builder.generation_reports["train"]["query_clipped_to_duration"] == 1
    # Feature keys with and without ".avi" were both found.
    assert builder.generation_reports["train"]["video_missing_features"] == 0


def test_real_annotation_files_give_the_published_counts(tmp_path, shared_datasets):
    annotations = shared_datasets / "tacos"
    manual_dir = tmp_path / "manual"
    manual_dir.mkdir()
    video_ids = []
    for split in ("train", "val", "test"):
        shutil.copy(annotations / f"{split}.json", manual_dir / f"{split}.json")
        video_ids += json.loads((annotations / f"{split}.json").read_text())
    # Tiny features (2 units) keep the build fast; half the keys without ".avi".
    write_tacos_features(
        manual_dir / tacos_dataset_builder.FEATURES_FILE,
        {
            (video_id if index % 2 else video_id.removesuffix(".avi")): _units(2)
            for index, video_id in enumerate(video_ids)
        },
    )
    builder = build("tacos", manual_dir, tmp_path / "data")
    expected = {
        "train": (75, 9790, 43),
        "val": (27, 4436, 0),
        "test": (25, 4001, 5),
    }
    for split, (videos, sentences, clipped) in expected.items():
        report = builder.generation_reports[split]
        assert report["videos_annotated"] == videos
        assert report["queries_annotated"] == sentences
        assert report["query_clipped_to_duration"] == clipped
        assert report.skipped_videos == 0
        written = sentences - report.skipped_queries
        assert report["queries_written"] == written
        assert builder.info.splits[split].num_examples == videos
        num_queries = sum(
            len(example["queries"]["sentence"])
            for example in tfds.as_numpy(builder.as_dataset(split=split))
        )
        assert num_queries == written


def test_missing_manual_dir_says_which_files_go_where(tmp_path):
    with pytest.raises(AssertionError, match="tall_c3d_features.hdf5") as error:
        build("tacos", tmp_path / "nowhere", tmp_path / "data")
    assert "train.json" in str(error.value)


def test_manual_dir_lacking_a_file_lists_the_expected_files(tmp_path):
    manual_dir = tmp_path / "manual"
    manual_dir.mkdir()
    for split in ("train", "val", "test"):
        write_json(manual_dir / f"{split}.json", {})
    with pytest.raises(FileNotFoundError) as error:
        build("tacos", manual_dir, tmp_path / "data")
    message = str(error.value)
    assert f"{manual_dir / 'tall_c3d_features.hdf5'}  (missing)" in message
    assert f"{manual_dir / 'train.json'}\n" in message


def test_truncated_annotation_file_is_named(tmp_path):
    manual_dir = _tacos_manual_dir(tmp_path / "manual", {}, {"s1-d1.avi": _units()})
    text = json.dumps({"s1-d1.avi": _video(300, [[0, 30]], ["He cuts."])})
    (manual_dir / "val.json").write_text(text[: len(text) // 2])
    with pytest.raises(ValueError, match=r"val\.json is not a valid JSON annotation file"):
        build("tacos", manual_dir, tmp_path / "data")


def test_wrong_feature_dimension_names_file_and_video(tmp_path):
    manual_dir = _tacos_manual_dir(
        tmp_path / "manual",
        {"train": {"s1-d1.avi": _video(300, [[0, 30]], ["He cuts."])}},
        {"s1-d1.avi": np.zeros((3, 500), np.float32)},
    )
    expected = r"tall_c3d_features\.hdf5: video 's1-d1\.avi'.*\(3, 500\)"
    with pytest.raises(ValueError, match=expected):
        build("tacos", manual_dir, tmp_path / "data")


def test_bad_videos_and_queries_are_skipped_and_counted(tmp_path):
    nan_units = _units()
    nan_units[1, 7] = np.nan
    inf_units = _units()
    inf_units[0, 0] = np.inf
    train = {
        # Frames 300 of 29.4 fps: duration 10.2 s.
        "s1-d1.avi": _video(
            300,
            [[0, 30], [60, 60], [90, 30], [-15, 60], [150, 450], [400, 500], [0, 30]],
            ["He cuts.", "start equals end", "start after end", "She washes.",
             "He peels.", "after the video", "   "],
        ),
        "s2-d2.avi": _video(300, [[0, 30]], ["not in the features file"]),
        "s3-d3.avi": _video(300, [[0, 30]], ["features with a NaN"]),
        "s4-d4.avi": _video(300, [[0, 30]], ["features with an Inf"]),
        "s5-d5.avi": _video(300, [[30, 0], [0, 30]], ["start after end", ""]),
        "s6-d6.avi": _video(300, [[0, 30]], ["zero units"]),
    }
    features = {
        "s1-d1.avi": _units(),
        "s3-d3.avi": nan_units,
        "s4-d4.avi": inf_units,
        "s5-d5.avi": _units(),
        "s6-d6.avi": np.zeros((0, 4096), np.float32),
    }
    manual_dir = _tacos_manual_dir(tmp_path / "manual", {"train": train}, features)
    builder = build("tacos", manual_dir, tmp_path / "data")
    report = builder.generation_reports["train"]
    assert report.as_dict() == {
        "videos_annotated": 6,
        "videos_written": 1,
        "queries_annotated": 13,
        "queries_written": 3,
        "queries_in_skipped_videos": 4,
        "video_duplicate_key": 0,
        "video_bad_duration": 0,
        "video_missing_features": 1,
        "video_empty_features": 1,
        "video_nonfinite_features": 2,
        "video_no_valid_queries": 1,
        "query_empty_sentence": 2,
        "query_nonfinite_time": 0,
        "query_start_not_before_end": 3,
        "query_outside_video": 1,
        "query_clipped_to_duration": 2,
        "video_feature_key_ambiguous": 0,
    }
    assert report.example_videos("video_nonfinite_features") == ["s3-d3.avi", "s4-d4.avi"]
    assert "video_missing_features=1" in report.summary()
    video = _examples(builder, "train")["s1-d1.avi"]
    sentences = [s.decode() for s in video["queries"]["sentence"]]
    assert sentences == ["He cuts.", "She washes.", "He peels."]
    np.testing.assert_allclose(video["queries"]["start"], [0.0, 0.0, 150 / FPS], rtol=1e-6)
    np.testing.assert_allclose(video["queries"]["end"], [30 / FPS, 60 / FPS, 300 / FPS], rtol=1e-6)


def test_zero_fps_repeated_key_and_double_feature_key_do_not_stop_the_build(tmp_path):
    text = (
        '{"s1-d1.avi": %s, "s2-d2.avi": %s, "s3-d3.avi": %s, "s1-d1.avi": %s}'
        % tuple(json.dumps(v) for v in (
            _video(300, [[0, 30], [30, 60]], ["He cuts.", "He peels."]),
            {**_video(300, [[0, 30]], ["zero fps"]), "fps": 0},
            _video(300, [[0, 30]], ["He washes."]),
            _video(600, [[0, 90]], ["He slices."]),
        ))
    )
    manual_dir = _tacos_manual_dir(
        tmp_path / "manual", {}, {"s1-d1.avi": _units(), "s3-d3.avi": _units(), "s3-d3": _units(2)}
    )
    (manual_dir / "train.json").write_text(text)
    builder = build("tacos", manual_dir, tmp_path / "data")
    report = builder.generation_reports["train"]
    assert report.videos("video_bad_duration") == ["s2-d2.avi"]
    assert report.videos("video_duplicate_key") == ["s1-d1.avi"]
    assert report.videos("video_feature_key_ambiguous") == ["s3-d3.avi"]
    assert (report["videos_annotated"], report["videos_written"]) == (4, 2)
    assert (report["queries_annotated"], report["queries_written"]) == (5, 2)
    assert report["queries_in_skipped_videos"] == 3
    videos = _examples(builder, "train")
    assert videos["s1-d1.avi"]["duration"] == pytest.approx(600 / FPS)  # the last entry
    assert videos["s3-d3.avi"]["features"].shape == (3, 4096)  # the ".avi" key's array
    written = json.loads(
        (tmp_path / "data" / "tacos" / "1.0.0" / "generation_report_train.json").read_text()
    )
    assert written["videos"]["video_bad_duration"] == {"s2-d2.avi": 1}
    assert "using 's3-d3.avi'" in written["notes"][-1]


def test_split_without_any_usable_video_is_an_error(tmp_path):
    manual_dir = _tacos_manual_dir(
        tmp_path / "manual",
        {"test": {"s1-d1.avi": _video(300, [[0, 30]], ["He cuts."])}},
        {},
    )
    with pytest.raises(ValueError, match=r"no usable video.*tacos/test.*video_missing_features=1"):
        build("tacos", manual_dir, tmp_path / "data")


def test_builder_registered_by_import():
    assert tfds.builder_cls("tacos") is tacos_dataset_builder.Builder


@pytest.mark.slow
def test_tfds_cli_builds_from_the_folder(tmp_path, subprocess_env):
    builder_dir = pathlib.Path(tacos_dataset_builder.__file__).parent
    result = cli_build(builder_dir, DUMMY_DATA, tmp_path, subprocess_env)
    assert result.returncode == 0, result.stderr[-3000:]
    # Loaded from the folder, as the module `tacos.tacos_dataset_builder`.
    assert "'tacos.tacos_dataset_builder'" in result.stdout
    builder = tfds.builder_from_directory(str(tmp_path / "tacos" / "1.0.0"))
    assert {split: info.num_examples for split, info in builder.info.splits.items()} == {
        "train": 3, "val": 1, "test": 2
    }
    assert "Generation report tacos/train:" in result.stderr
    report_file = tmp_path / "tacos" / "1.0.0" / "generation_report_train.json"
    assert f"every video id per reason: {report_file}" in result.stderr
