"""GenerationReport: counting, accounting, the one-line summary and the full report file."""

import json

import pytest

from clear_tf_datasets.generation_report import COUNTERS, GenerationReport


def test_counts_skips_and_names_example_videos():
    report = GenerationReport("tacos", "val")
    report.add("videos_annotated", 3)
    report.add("video_missing_features", video_id="s1.avi")
    report.add("video_nonfinite_features", video_id="s2.avi")
    for video_id in ("a", "a", "b", "c", "d"):
        report.add("query_empty_sentence", video_id=video_id)
    assert report["videos_annotated"] == 3
    assert report.skipped_videos == 2
    assert report.skipped_queries == 5
    # Up to three distinct examples per reason.
    assert report.example_videos("query_empty_sentence") == ["a", "b", "c"]
    summary = report.summary()
    assert summary.startswith("tacos/val: videos_annotated=3 ")
    assert "query_empty_sentence=5" in summary and "query_outside_video=0" in summary
    assert "video_missing_features: s1.avi" in summary


def test_as_dict_lists_every_counter_in_order():
    report = GenerationReport("synthetic_moments", "train")
    report.add("queries_written", 7)
    assert list(report.as_dict()) == list(COUNTERS)
    assert report.as_dict()["queries_written"] == 7
    assert sum(report.as_dict().values()) == 7


def test_unknown_counter_is_rejected():
    report = GenerationReport("tacos", "train")
    with pytest.raises(KeyError, match="query_too_long"):
        report.add("query_too_long")
    with pytest.raises(KeyError, match="videos"):
        report["videos"]


def test_log_warns_only_when_something_was_skipped_or_clipped(caplog):
    clean = GenerationReport("tacos", "train")
    clean.add("videos_written")
    clipped = GenerationReport("tacos", "test")
    clipped.add("query_clipped_to_duration", video_id="s3.avi")
    with caplog.at_level("INFO"):
        clean.log()
        clipped.log()
    levels = {record.getMessage().split(":")[0]: record.levelname for record in caplog.records}
    assert levels == {
        "Generation report tacos/train": "INFO",
        "Generation report tacos/test": "WARNING",
    }


def test_full_report_lists_every_video_and_is_written_next_to_the_data(tmp_path, caplog):
    report = GenerationReport("charades_sta", "train")
    report.add("videos_annotated", 5)
    for video_id in ("a", "b", "c", "d", "b"):
        report.add("query_clipped_to_duration", video_id=video_id)
    report.add("video_feature_key_ambiguous", video_id="e", note="used 'e.avi'")
    assert report.example_videos("query_clipped_to_duration") == ["a", "b", "c"]
    assert report.videos("query_clipped_to_duration") == ["a", "b", "c", "d"]
    assert report.notes == ["charades_sta/train: used 'e.avi'"]
    with caplog.at_level("INFO"):
        path = report.write(tmp_path)
    assert path == tmp_path / "generation_report_train.json"
    assert str(path) in caplog.text
    written = json.loads(path.read_text())
    assert written == report.to_dict()
    assert written["counts"]["query_clipped_to_duration"] == 5
    assert written["videos"] == {
        "query_clipped_to_duration": {"a": 1, "b": 2, "c": 1, "d": 1},
        "video_feature_key_ambiguous": {"e": 1},
    }
    assert written["notes"] == ["charades_sta/train: used 'e.avi'"]


def test_note_is_logged_and_makes_the_summary_a_warning(caplog):
    report = GenerationReport("tacos", "val")
    with caplog.at_level("INFO"):
        report.add("video_feature_key_ambiguous", video_id="s1.avi", note="both keys")
        report.log()
    assert [r.levelname for r in caplog.records] == ["WARNING", "WARNING"]
    assert caplog.records[0].getMessage() == "tacos/val: both keys"
