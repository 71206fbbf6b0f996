"""Annotation parsing, query cleaning and feature checks shared by the real builders."""

import math

import numpy as np
import pytest

from clear_tf_datasets import common
from clear_tf_datasets.generation_report import GenerationReport


def _report():
    return GenerationReport("test", "train")


def test_tacos_frames_become_seconds():
    entry = {"num_frames": 300, "fps": 30.0, "timestamps": [[15, 60]], "sentences": ["x"]}
    data = {"s1.avi": entry}
    (video,) = common.parse_tacos_annotations(data, "train.json")
    assert video.duration == 10.0
    assert video.moments == ((0.5, 2.0),)


def test_clean_queries_hand_computed_cases():
    video = common.VideoAnnotation(
        video_id="v",
        duration=10.0,
        moments=((1.0, 2.0), (-1.0, 3.0), (8.0, 12.0), (4.0, 4.0), (11.0, 12.0),
                 (math.nan, 2.0), (2.0, 5.0)),
        sentences=(" a ", "b", "c", "d", "e", "f", "\t\n"),
    )
    report = _report()
    assert common.clean_queries(video, report) == [
        {"sentence": "a", "start": 1.0, "end": 2.0},
        {"sentence": "b", "start": 0.0, "end": 3.0},
        {"sentence": "c", "start": 8.0, "end": 10.0},
    ]
    assert report["query_clipped_to_duration"] == 2
    assert report["query_start_not_before_end"] == 1
    assert report["query_outside_video"] == 1
    assert report["query_nonfinite_time"] == 1
    assert report["query_empty_sentence"] == 1


@pytest.mark.parametrize(
    "entry, message",
    [
        ({"fps": 30, "timestamps": [], "sentences": []}, "no field 'num_frames'"),
        ({"num_frames": 30, "fps": 0, "timestamps": [], "sentences": []}, "'fps' must be > 0"),
        ({"num_frames": "30", "fps": 30, "timestamps": [], "sentences": []}, "must be a number"),
        ({"num_frames": 30, "fps": 30, "timestamps": [[1, 2]], "sentences": []},
         "1 timestamps but 0 sentences"),
        ({"num_frames": 30, "fps": 30, "timestamps": [[1, 2, 3]], "sentences": ["a"]},
         r"timestamps\[0\] must be a pair"),
        ({"num_frames": 30, "fps": 30, "timestamps": [[1, 2]], "sentences": [None]},
         r"sentences\[0\] must be a string"),
    ],
)
def test_malformed_tacos_entry_names_file_video_and_field(entry, message):
    with pytest.raises(ValueError, match=rf"val\.json: video 's7\.avi'.*{message}"):
        common.parse_tacos_annotations({"s7.avi": entry}, "val.json")


def test_annotation_file_must_be_a_json_object(tmp_path):
    path = tmp_path / "test.json"
    path.write_text("[1, 2]")
    with pytest.raises(ValueError, match=r"test\.json: expected a JSON object"):
        common.load_annotation_json(path)
    path.write_bytes(b"\xff\xfe{}")
    with pytest.raises(ValueError, match=r"test\.json is not a valid JSON annotation file"):
        common.load_annotation_json(path)


def test_check_features():
    report = _report()
    good = np.ones((3, 4), np.float64)
    checked = common.check_features(good, 4, "f.hdf5", "v1", report)
    assert checked.dtype == np.float32 and checked.shape == (3, 4)
    assert common.check_features(np.ones((0, 4)), 4, "f.hdf5", "v2", report) is None
    assert common.check_features(np.full((2, 4), -np.inf), 4, "f.hdf5", "v3", report) is None
    assert report["video_empty_features"] == 1 and report["video_nonfinite_features"] == 1
    with pytest.raises(ValueError, match=r"f\.hdf5: video 'v4' has features of shape \(4,\)"):
        common.check_features(np.ones(4), 4, "f.hdf5", "v4", report)


def test_require_manual_files_lists_every_expected_file(tmp_path):
    (tmp_path / "train.json").write_text("{}")
    with pytest.raises(FileNotFoundError) as error:
        common.require_manual_files(tmp_path, ["train.json", "features.hdf5"], "tacos")
    message = str(error.value)
    assert "lacks features.hdf5" in message
    assert f"{tmp_path / 'features.hdf5'}  (missing)" in message
    assert f"{tmp_path / 'train.json'}\n" in message
    assert common.require_manual_files(tmp_path, ["train.json"], "tacos") == tmp_path
