"""The `charades_sta` builder: dummy data, the real 2D-TAN files, the carved val split."""

import json
import pathlib
import shutil

import numpy as np
import pytest
import tensorflow_datasets as tfds
from dataset_test_utils import write_tacos_features

from clear_tf_datasets import common
from clear_tf_datasets.charades_sta import charades_sta_dataset_builder as charades
from clear_tf_datasets.generation_report import GenerationReport

DUMMY_DATA = pathlib.Path(charades.__file__).parent / "dummy_data"
MANUAL_FILES = [*charades.ANNOTATION_FILES.values(), *charades.DURATION_FILES.values()]
# Measured on the 2D-TAN files (../shared/datasets/charades_sta), per split after the
# val carve: videos and pairs annotated, pairs clipped to the duration, pairs with
# start >= end (skipped), videos left without a query (skipped), videos and pairs
# written.
REAL_COUNTS = {
    "train": dict(videos=4818, pairs=11179, clipped=1606, start_not_before_end=4,
                  no_valid_queries=2, videos_written=4816, pairs_written=11175),
    "val": dict(videos=520, pairs=1229, clipped=196, start_not_before_end=0,
                no_valid_queries=0, videos_written=520, pairs_written=1229),
    "test": dict(videos=1334, pairs=3720, clipped=562, start_not_before_end=0,
                 no_valid_queries=0, videos_written=1334, pairs_written=3720),
}


class CharadesStaDummyDataTest(tfds.testing.DatasetBuilderTestCase):
    """Builds both configs (`vgg`, `i3d`) from dummy_data/ (the real file layout)."""

    DATASET_CLASS = charades.Builder
    SPLITS = {"train": 3, "val": 1, "test": 2}


def _build(manual_dir, data_dir, config="vgg"):
    builder = tfds.builder(f"charades_sta/{config}", data_dir=str(data_dir))
    builder.download_and_prepare(
        download_config=tfds.download.DownloadConfig(manual_dir=str(manual_dir))
    )
    return builder


def _examples(builder, split):
    return {
        example["video_id"].decode(): example
        for example in tfds.as_numpy(builder.as_dataset(split=split))
    }


def test_dummy_data_queries_grouped_by_video_clipped_and_skipped(tmp_path):
    builder = _build(DUMMY_DATA, tmp_path)
    train = _examples(builder, "train")
    assert set(train) == {"Y6R7T", "IGDIE", "KRF68"}
    assert set(_examples(builder, "val")) == {"AO8RW"}  # hash bucket 4 < 10
    assert set(_examples(builder, "test")) == {"3MSZA", "Z9O3I"}
    # Lines of one video apart in the file are one example, in file order.
    phone = train["Y6R7T"]
    assert [s.decode() for s in phone["queries"]["sentence"]] == [
        "person picks up a phone.", "the person opens the door.", "person laughs at the phone."
    ]
    assert phone["duration"] == pytest.approx(30.6)
    assert phone["features"].shape == (5, 4096)
    # IGDIE 12.0 40.0 of a 31.2 s video: clipped; KRF68 5.0 5.0: skipped.
    np.testing.assert_allclose(train["IGDIE"]["queries"]["end"], [31.2], rtol=1e-6)
    assert len(train["KRF68"]["queries"]["sentence"]) == 1
    report = builder.generation_reports["train"]
    assert report["query_clipped_to_duration"] == 1
    assert report.videos("query_start_not_before_end") == ["KRF68"]
    assert builder.generation_reports["val"]["queries_written"] == 1


def test_full_generation_report_is_written_next_to_the_dataset(tmp_path):
    builder = _build(DUMMY_DATA, tmp_path, config="i3d")
    assert builder.info.features["features"].shape == (None, 1024)
    folder = tmp_path / "charades_sta" / "i3d" / "1.0.0"
    assert pathlib.Path(builder.data_dir) == folder
    for split in ("train", "val", "test"):
        written = json.loads((folder / f"generation_report_{split}.json").read_text())
        assert written == builder.generation_reports[split].to_dict()
    train = json.loads((folder / "generation_report_train.json").read_text())
    assert train["videos"] == {
        "query_start_not_before_end": {"KRF68": 1},
        "query_clipped_to_duration": {"IGDIE": 1},
    }
    # TFDS still reads the folder (the report files are extra files in it).
    reloaded = tfds.builder_from_directory(str(folder))
    assert reloaded.info.splits["val"].num_examples == 1


def test_val_is_carved_from_train_by_a_stable_hash_of_the_video_id():
    assert charades.is_val_video("AO8RW") and not charades.is_val_video("Y6R7T")
    assert charades.is_val_video("Y6R7T", val_percent=63)
    assert not charades.is_val_video("AO8RW", val_percent=0)


def _parse_split(annotations: pathlib.Path, split: str) -> tuple[list, GenerationReport]:
    """What the builder's split generator parses and cleans, without the features."""
    source, val_videos = charades.SPLIT_SOURCES[split]
    report = GenerationReport("charades_sta", split)
    durations_path = annotations / charades.DURATION_FILES[source]
    keep = None if val_videos is None else (lambda v: charades.is_val_video(v) == val_videos)
    videos = common.parse_charades_sta_annotations(
        annotations / charades.ANNOTATION_FILES[source],
        common.load_charades_durations(durations_path),
        durations_path,
        report,
        keep,
    )
    for video in videos:
        report.add("videos_annotated")
        report.add("queries_annotated", len(video.sentences))
        if not common.clean_queries(video, report):
            report.add("video_no_valid_queries", video_id=video.video_id)
    return videos, report


def test_real_files_pair_counts_and_the_val_carve(shared_datasets):
    annotations = shared_datasets / "charades_sta"
    for split, pairs, videos in (("train", 12408, 5338), ("test", 3720, 1334)):
        lines = common.read_charades_sta_lines(annotations / charades.ANNOTATION_FILES[split])
        assert sum(map(len, lines.values())) == pairs and len(lines) == videos
    parsed = {split: _parse_split(annotations, split) for split in REAL_COUNTS}
    for split, expected in REAL_COUNTS.items():
        videos, report = parsed[split]
        assert report["videos_annotated"] == len(videos) == expected["videos"]
        assert report["queries_annotated"] == expected["pairs"]
        assert report["query_clipped_to_duration"] == expected["clipped"]
        assert report["query_start_not_before_end"] == expected["start_not_before_end"]
        assert report["video_no_valid_queries"] == expected["no_valid_queries"]
        # Every test video has a duration in the csv; nothing else is skipped.
        assert report["video_bad_duration"] == 0
        assert report.skipped_queries == expected["start_not_before_end"]
    assert set(parsed["train"][1].videos("video_no_valid_queries")) == {"LEOL6", "AKKWU"}
    # 12,408 train pairs before skips, split by video into train and val.
    assert REAL_COUNTS["train"]["pairs"] + REAL_COUNTS["val"]["pairs"] == 12408
    original = set(
        common.read_charades_sta_lines(annotations / charades.ANNOTATION_FILES["train"])
    )
    train_ids = {video.video_id for video in parsed["train"][0]}
    val_ids = {video.video_id for video in parsed["val"][0]}
    assert train_ids | val_ids == original and not train_ids & val_ids
    assert not (train_ids | val_ids) & {video.video_id for video in parsed["test"][0]}


def test_real_files_build_with_generated_features(tmp_path, shared_datasets):
    manual_dir = tmp_path / "manual"
    manual_dir.mkdir()
    video_ids = set()
    for name in MANUAL_FILES:
        shutil.copy(shared_datasets / "charades_sta" / name, manual_dir / name)
    for name in charades.ANNOTATION_FILES.values():
        video_ids |= set(common.read_charades_sta_lines(manual_dir / name))
    # One 1024-d unit per video keeps the build fast (the i3d layout).
    unit = np.ones((1, 1024), np.float32)
    write_tacos_features(manual_dir / "i3d_features.hdf5", {v: unit for v in video_ids})
    builder = _build(manual_dir, tmp_path / "data", config="i3d")
    for split, expected in REAL_COUNTS.items():
        report = builder.generation_reports[split]
        assert report["videos_annotated"] == expected["videos"]
        assert report["queries_annotated"] == expected["pairs"]
        assert report["query_clipped_to_duration"] == expected["clipped"]
        assert report["query_start_not_before_end"] == expected["start_not_before_end"]
        assert report["videos_written"] == expected["videos_written"]
        assert report["queries_written"] == expected["pairs_written"]
        assert builder.info.splits[split].num_examples == expected["videos_written"]
    examples = {
        split: {example["video_id"].decode() for example in tfds.as_numpy(
            builder.as_dataset(split=split).map(lambda x: {"video_id": x["video_id"]})
        )}
        for split in ("train", "val")
    }
    assert not examples["train"] & examples["val"]
    assert len(examples["train"] | examples["val"]) == 5338 - 2


def _manual_dir(directory: pathlib.Path) -> pathlib.Path:
    directory.mkdir()
    for name in MANUAL_FILES:
        shutil.copy(DUMMY_DATA / name, directory / name)
    return directory


def test_2d_tan_converted_vgg_file_name_gets_a_rename_hint(tmp_path):
    manual_dir = _manual_dir(tmp_path / "manual")
    shutil.copy(DUMMY_DATA / "vgg_rgb_features.hdf5", manual_dir / "charades_vgg_rgb.hdf5")
    with pytest.raises(FileNotFoundError, match="rename it to vgg_rgb_features.hdf5"):
        _build(manual_dir, tmp_path / "data")


def test_missing_features_file_lists_every_expected_file(tmp_path):
    manual_dir = _manual_dir(tmp_path / "manual")
    with pytest.raises(FileNotFoundError) as error:
        _build(manual_dir, tmp_path / "data", config="i3d")
    message = str(error.value)
    assert f"{manual_dir / 'i3d_features.hdf5'}  (missing)" in message
    assert f"{manual_dir / 'Charades_v1_train.csv'}\n" in message


def test_vgg_features_in_the_i3d_file_name_file_and_video(tmp_path):
    manual_dir = _manual_dir(tmp_path / "manual")
    shutil.copy(DUMMY_DATA / "vgg_rgb_features.hdf5", manual_dir / "i3d_features.hdf5")
    with pytest.raises(ValueError, match=r"i3d_features\.hdf5: video '\w+' .*\(5, 4096\)"):
        _build(manual_dir, tmp_path / "data", config="i3d")


def test_builder_registered_by_import():
    assert tfds.builder_cls("charades_sta") is charades.Builder
    assert tfds.builder("charades_sta").builder_config.name == "vgg"
