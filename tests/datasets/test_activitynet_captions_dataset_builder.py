"""The `activitynet_captions` builder: dummy data, the real annotation files, bad input."""

import json
import pathlib
import shutil

import h5py
import numpy as np
import pytest
import tensorflow_datasets as tfds
from dataset_test_utils import build, write_activitynet_features, write_json

from clear_tf_datasets import common
from clear_tf_datasets.activitynet_captions import activitynet_captions_dataset_builder
from clear_tf_datasets.generation_report import GenerationReport

DUMMY_DATA = pathlib.Path(activitynet_captions_dataset_builder.__file__).parent / "dummy_data"
FEATURES_FILE = activitynet_captions_dataset_builder.FEATURES_FILE
# Published sizes of the 2D-TAN files: videos, sentences, pairs with start >= end,
# pairs whose end lies past the duration (clipped).
REAL_COUNTS = {
    "train": (10009, 37421, 4, 261),
    "val": (4917, 17505, 0, 134),
    "test": (4885, 17031, 0, 111),
}


class ActivityNetCaptionsDummyDataTest(tfds.testing.DatasetBuilderTestCase):
    """Builds `activitynet_captions` from its dummy_data/ (the real file layout)."""

    DATASET_CLASS = activitynet_captions_dataset_builder.Builder
    SPLITS = {"train": 3, "val": 2, "test": 2}
    # val and test annotate the same videos (the benchmark's val_1 / val_2).
    OVERLAPPING_SPLITS = ["val", "test"]


def test_val_and_test_share_videos_with_their_own_sentences(tmp_path):
    builder = build("activitynet_captions", DUMMY_DATA, tmp_path)
    splits = {
        split: {
            example["video_id"].decode(): example
            for example in tfds.as_numpy(builder.as_dataset(split=split))
        }
        for split in ("val", "test")
    }
    assert set(splits["val"]) == set(splits["test"]) == {"v_uqiMw7tQ1Cc", "v_bXdq2zI1Ms0"}
    val, test = splits["val"]["v_uqiMw7tQ1Cc"], splits["test"]["v_uqiMw7tQ1Cc"]
    np.testing.assert_array_equal(val["features"], test["features"])
    # Sentences are stripped of the spaces the real files carry.
    assert [s.decode() for s in val["queries"]["sentence"]] == [
        "A weight lifting tutorial is given.",
        "The coach helps.",
    ]
    assert [s.decode() for s in test["queries"]["sentence"]][0] == "Two men stand in a gym."
    # Train's last moment [56.26, 84.0] of a 82.73 s video is clipped.
    train = {
        example["video_id"].decode(): example
        for example in tfds.as_numpy(builder.as_dataset(split="train"))
    }["v_QOlSCBRmfWY"]
    assert train["queries"]["end"][-1] == pytest.approx(82.73)
    assert builder.generation_reports["train"]["query_clipped_to_duration"] == 1


@pytest.mark.parametrize("split", ["train", "val", "test"])
def test_real_annotation_files_parse_with_the_known_defects(split, shared_datasets):
    path = shared_datasets / "activitynet_captions" / f"{split}.json"
    videos = common.parse_activitynet_annotations(common.load_annotation_json(path), path)
    report = GenerationReport("activitynet_captions", split)
    num_queries = sum(len(common.clean_queries(video, report)) for video in videos)
    num_videos, num_sentences, start_not_before_end, clipped = REAL_COUNTS[split]
    assert len(videos) == num_videos
    assert sum(len(video.sentences) for video in videos) == num_sentences
    assert report["query_start_not_before_end"] == start_not_before_end
    assert report["query_clipped_to_duration"] == clipped
    assert num_queries == num_sentences - report.skipped_queries


@pytest.mark.slow
def test_real_annotation_files_build_with_tiny_features(tmp_path, shared_datasets):
    manual_dir = tmp_path / "manual"
    manual_dir.mkdir()
    video_ids = set()
    for split in ("train", "val", "test"):
        source = shared_datasets / "activitynet_captions" / f"{split}.json"
        shutil.copy(source, manual_dir / f"{split}.json")
        video_ids |= set(json.loads(source.read_text()))
    unit = np.ones((1, 500), np.float32)
    write_activitynet_features(manual_dir / FEATURES_FILE, {v: unit for v in video_ids})
    builder = build("activitynet_captions", manual_dir, tmp_path / "data")
    for split, (num_videos, num_sentences, start_not_before_end, clipped) in REAL_COUNTS.items():
        report = builder.generation_reports[split]
        assert builder.info.splits[split].num_examples == num_videos
        assert report["videos_written"] == num_videos
        assert report["query_start_not_before_end"] == start_not_before_end
        assert report["query_clipped_to_duration"] == clipped
        assert report["queries_written"] == num_sentences - report.skipped_queries


def _manual_dir(directory: pathlib.Path, train: dict, features: dict) -> pathlib.Path:
    directory.mkdir()
    valid = {"v_ok": {"duration": 10.0, "timestamps": [[1.0, 2.0]], "sentences": ["A man runs."]}}
    write_json(directory / "train.json", train)
    write_json(directory / "val.json", valid)
    write_json(directory / "test.json", valid)
    write_activitynet_features(
        directory / FEATURES_FILE, {"v_ok": np.zeros((2, 500), np.float32), **features}
    )
    return directory


def test_video_absent_from_features_is_skipped_and_counted(tmp_path):
    train = {
        "v_ok": {"duration": 10.0, "timestamps": [[1.0, 2.0]], "sentences": ["A man runs."]},
        "v_gone": {"duration": 5.0, "timestamps": [[0, 1], [1, 2]], "sentences": ["a", "b"]},
    }
    builder = build("activitynet_captions", _manual_dir(tmp_path / "m", train, {}), tmp_path / "d")
    report = builder.generation_reports["train"]
    assert report["video_missing_features"] == 1
    assert report["queries_in_skipped_videos"] == 2
    assert report.example_videos("video_missing_features") == ["v_gone"]
    assert builder.info.splits["train"].num_examples == 1


def test_wrong_feature_dimension_names_file_and_video(tmp_path):
    train = {"v_wide": {"duration": 10.0, "timestamps": [[1.0, 2.0]], "sentences": ["A cat."]}}
    manual_dir = _manual_dir(tmp_path / "m", train, {"v_wide": np.zeros((4, 4096), np.float32)})
    expected = r"c3d\.hdf5: video 'v_wide' has features of shape \(4, 4096\)"
    with pytest.raises(ValueError, match=expected):
        build("activitynet_captions", manual_dir, tmp_path / "d")


def test_video_without_c3d_features_dataset_is_named(tmp_path):
    train = {"v_odd": {"duration": 10.0, "timestamps": [[1.0, 2.0]], "sentences": ["A cat."]}}
    manual_dir = _manual_dir(tmp_path / "m", train, {})
    with h5py.File(manual_dir / FEATURES_FILE, "a") as h5_file:
        h5_file.create_group("v_odd").create_dataset("fc6", data=np.zeros((2, 500)))
    with pytest.raises(ValueError, match=r"video 'v_odd' has no dataset 'c3d_features'"):
        build("activitynet_captions", manual_dir, tmp_path / "d")


def test_missing_field_names_file_video_and_field(tmp_path):
    train = {"v_ok": {"timestamps": [[1.0, 2.0]], "sentences": ["A man runs."]}}
    manual_dir = _manual_dir(tmp_path / "m", train, {})
    with pytest.raises(ValueError, match=r"train\.json: video 'v_ok' has no field 'duration'"):
        build("activitynet_captions", manual_dir, tmp_path / "d")


def test_builder_registered_by_import():
    assert tfds.builder_cls("activitynet_captions") is activitynet_captions_dataset_builder.Builder
