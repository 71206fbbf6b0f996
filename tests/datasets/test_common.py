"""Annotation parsing, query cleaning and feature checks shared by the real builders."""

import hashlib
import json
import math

import h5py
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


def test_unusable_duration_skips_the_video_and_counts_it():
    data = json.loads(
        '{"s1.avi": {"num_frames": 0, "fps": 30, "timestamps": [[1, 2]], "sentences": ["a"]},'
        ' "s2.avi": {"num_frames": 300, "fps": -1, "timestamps": [], "sentences": []},'
        ' "s3.avi": {"num_frames": 300, "fps": NaN, "timestamps": [[1, 2], [3, 4]],'
        ' "sentences": ["b", "c"]},'
        ' "s4.avi": {"num_frames": 300, "fps": 30, "timestamps": [[3, 6]], "sentences": ["d"]}}'
    )
    report = _report()
    (video,) = common.parse_tacos_annotations(data, "train.json", report)
    assert video.video_id == "s4.avi" and video.duration == 10.0
    assert report["video_bad_duration"] == 3
    assert report.videos("video_bad_duration") == ["s1.avi", "s2.avi", "s3.avi"]
    # Counted with their queries, so that every annotated query is accounted for.
    assert report["videos_annotated"] == 3
    assert report["queries_annotated"] == report["queries_in_skipped_videos"] == 3
    assert "'fps' must be a finite number > 0, got -1.0" in report.notes[1]
    anet = {"v1": {"duration": 0, "timestamps": [[0, 1]], "sentences": ["a"]}}
    assert common.parse_activitynet_annotations(anet, "val.json", report) == []
    assert report["video_bad_duration"] == 4


def test_repeated_video_key_keeps_the_last_entry_and_counts_the_earlier(tmp_path):
    path = tmp_path / "train.json"
    path.write_text(
        '{"v1": {"duration": 9, "timestamps": [[0, 1], [1, 2]], "sentences": ["a", "b"]},'
        ' "v2": {"duration": 5, "timestamps": [[0, 1]], "sentences": ["c"]},'
        ' "v1": {"duration": 10, "timestamps": [[2, 3]], "sentences": ["d"]}}'
    )
    report = _report()
    data = common.load_annotation_json(path, report)
    videos = common.parse_activitynet_annotations(data, path, report)
    assert [(v.video_id, v.duration, v.sentences) for v in videos] == [
        ("v1", 10.0, ("d",)),
        ("v2", 5.0, ("c",)),
    ]
    assert report["video_duplicate_key"] == 1
    assert report.videos("video_duplicate_key") == ["v1"]
    assert report["videos_annotated"] == 1 and report["queries_in_skipped_videos"] == 2
    assert f"{path}: video 'v1' appears more than once" in report.notes[0]


def test_repeated_field_inside_an_entry_names_file_video_and_field(tmp_path):
    path = tmp_path / "val.json"
    path.write_text(
        '{"v1": {"duration": 9, "duration": 10, "timestamps": [], "sentences": []}}'
    )
    data = common.load_annotation_json(path)
    with pytest.raises(ValueError, match=r"val\.json: video 'v1' repeats the field 'duration'"):
        common.parse_activitynet_annotations(data, path, _report())


def test_feature_key_with_and_without_avi_uses_the_annotated_one_and_says_so(tmp_path):
    path = tmp_path / "features.hdf5"
    with h5py.File(path, "w") as h5_file:
        h5_file.create_dataset("s14-d26.avi", data=np.ones((2, 3)))
        h5_file.create_dataset("s14-d26", data=np.zeros((2, 3)))
        h5_file.create_dataset("s15-d29", data=np.full((2, 3), 2.0))
        h5_file.create_group("s16-d30").create_dataset("x", data=np.ones((2, 3)))
    report = _report()
    with h5py.File(path, "r") as h5_file:
        np.testing.assert_array_equal(common.read_video_dataset(h5_file, "s14-d26.avi", report), 1)
        np.testing.assert_array_equal(common.read_video_dataset(h5_file, "s14-d26", report), 0)
        np.testing.assert_array_equal(common.read_video_dataset(h5_file, "s15-d29.avi", report), 2)
        assert common.read_video_dataset(h5_file, "s99-d99.avi", report) is None
        with pytest.raises(ValueError, match=r"entry 's16-d30' of video 's16-d30\.avi' is a group"):
            common.read_video_dataset(h5_file, "s16-d30.avi", report)
    assert report["video_feature_key_ambiguous"] == 2
    assert report.videos("video_feature_key_ambiguous") == ["s14-d26.avi", "s14-d26"]
    assert report.notes[0].endswith(
        "video 's14-d26.avi' is stored under the keys 's14-d26.avi' and 's14-d26'; "
        "using 's14-d26.avi'"
    )
    assert report.notes[1].endswith("using 's14-d26'")


def _write_charades(tmp_path, lines, csv_rows):
    text_path = tmp_path / "charades_sta_train.txt"
    text_path.write_text("".join(line + "\n" for line in lines))
    csv_path = tmp_path / "Charades_v1_train.csv"
    csv_path.write_text("id,script,length\n" + "".join(row + "\n" for row in csv_rows))
    return text_path, csv_path


def test_charades_sta_lines_group_by_video_with_durations_from_the_csv(tmp_path):
    text_path, csv_path = _write_charades(
        tmp_path,
        ["AAAAA 0.0 6.9##a person sits.", "BBBBB 1 2##x", "", "AAAAA 2.5 40##person stands.",
         "CCCCC 0 1##no length", "DDDDD 0 1##not in the csv", "EEEEE 0 1##two lengths"],
        ['AAAAA,"sits, then stands",30.5', "BBBBB,x,12", "CCCCC,x,", "EEEEE,x,10",
         "EEEEE,x,11"],
    )
    report = _report()
    durations = common.load_charades_durations(csv_path)
    assert durations["AAAAA"] == 30.5 and math.isnan(durations["CCCCC"])
    assert math.isnan(durations["EEEEE"])  # two rows disagree
    videos = common.parse_charades_sta_annotations(text_path, durations, csv_path, report)
    assert videos == [
        common.VideoAnnotation("AAAAA", 30.5, ((0.0, 6.9), (2.5, 40.0)),
                               ("a person sits.", "person stands.")),
        common.VideoAnnotation("BBBBB", 12.0, ((1.0, 2.0),), ("x",)),
    ]
    assert report.videos("video_bad_duration") == ["CCCCC", "DDDDD", "EEEEE"]
    assert "'DDDDD' skipped: it is absent from" in report.notes[1]
    only_b = common.parse_charades_sta_annotations(
        text_path, durations, csv_path, _report(), keep_video=lambda v: v == "BBBBB"
    )
    assert [video.video_id for video in only_b] == ["BBBBB"]


@pytest.mark.parametrize(
    "line, message",
    [
        ("AAAAA 0.0 6.9 a person sits.", "expected 'VIDEO_ID START END##SENTENCE'"),
        ("AAAAA 0.0##a person sits.", "expected 'VIDEO_ID START END##SENTENCE'"),
        ("AAAAA 0.0 six##a person sits.", "video 'AAAAA': start and end must be numbers"),
    ],
)
def test_malformed_charades_sta_line_names_file_and_line(tmp_path, line, message):
    text_path, _ = _write_charades(tmp_path, ["BBBBB 1 2##x", line], [])
    with pytest.raises(ValueError, match=rf"charades_sta_train\.txt:2: {message}"):
        common.read_charades_sta_lines(text_path)


def test_charades_csv_without_length_column_is_named(tmp_path):
    path = tmp_path / "Charades_v1_test.csv"
    path.write_text("id,script\nAAAAA,x\n")
    with pytest.raises(ValueError, match=r"Charades_v1_test\.csv: expected .* 'length'"):
        common.load_charades_durations(path)


def test_hash_bucket_is_stable():
    # Pinned: the carved Charades-STA val split depends on these values.
    assert [common.hash_bucket(v) for v in ("AO8RW", "Y6R7T", "3MSZA")] == [4, 62, 19]
    digest = hashlib.sha256(b"AO8RW").digest()
    assert common.hash_bucket("AO8RW", 7) == int.from_bytes(digest[:8], "big") % 7
