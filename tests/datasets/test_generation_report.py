"""GenerationReport: counting, accounting and the one-line summary."""

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
