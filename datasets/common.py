"""Parsing and validation shared by the `tacos` and `activitynet_captions` builders.

Both builders read the 2D-TAN annotation files (`{split}.json`, one entry per video)
and an HDF5 file of unit features, and write one example per video. Defects in the
files are handled here, the same way for both datasets:

* structural errors (a file that is not JSON, a missing field, a wrong feature
  dimension) raise `ValueError` naming the file, the video and the field;
* bad entries are skipped or clipped and counted in a `GenerationReport`: a query
  with an empty sentence, non-finite times, start >= end, or no overlap with the
  video is skipped; a query reaching outside [0, duration] is clipped; a video missing
  from the HDF5 file, with zero units, or with NaN/Inf features is skipped (one bad
  video should not abort a long build; the summary names it); a video whose queries
  were all skipped is skipped.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable, Iterator, Sequence

import h5py
import numpy as np
import tensorflow_datasets as tfds
from etils import epath

from clear_tf_datasets.generation_report import GenerationReport


@dataclasses.dataclass(frozen=True)
class VideoAnnotation:
    """One video's annotation in seconds, as read from a split file (not yet cleaned).

    Attributes:
        video_id: the key of the video in the annotation file.
        duration: seconds.
        moments: (start, end) seconds per query, as annotated.
        sentences: one sentence per moment, as annotated.
    """

    video_id: str
    duration: float
    moments: tuple[tuple[float, float], ...]
    sentences: tuple[str, ...]


def moment_features(feature_dim: int) -> tfds.features.FeaturesDict:
    """The example schema shared by every clear-tf dataset (one example per video)."""
    return tfds.features.FeaturesDict(
        {
            "video_id": tfds.features.Text(),
            # Raw bytes: ~40x faster to serialize than a float list (matters at
            # (T, 4096) per TACoS video), and decodes to the same tensor.
            "features": tfds.features.Tensor(
                shape=(None, feature_dim),
                dtype=np.float32,
                encoding=tfds.features.Encoding.BYTES,
            ),
            "duration": tfds.features.Scalar(dtype=np.float32),
            "queries": tfds.features.Sequence(
                {
                    "sentence": tfds.features.Text(),
                    "start": tfds.features.Scalar(dtype=np.float32),
                    "end": tfds.features.Scalar(dtype=np.float32),
                }
            ),
        }
    )


def require_manual_files(
    manual_dir: epath.PathLike, file_names: Sequence[str], dataset_name: str
) -> epath.Path:
    """Checks that every file the builder reads is in `manual_dir`.

    Raises:
        FileNotFoundError: listing every expected file and whether it was found.
    """
    manual_dir = epath.Path(manual_dir)
    missing = [name for name in file_names if not (manual_dir / name).is_file()]
    if missing:
        if manual_dir.is_dir():
            where = f"The manual directory {manual_dir} lacks {', '.join(missing)}."
        else:
            where = f"The manual directory {manual_dir} does not exist."
        expected = "\n".join(
            f"  {manual_dir / name}{'  (missing)' if name in missing else ''}"
            for name in file_names
        )
        raise FileNotFoundError(
            f"{where}\n{dataset_name} expects these files directly inside the manual "
            f"directory (--manual_dir):\n{expected}\nSee the MANUAL_DOWNLOAD_INSTRUCTIONS "
            f"of {dataset_name} for where to get them."
        )
    return manual_dir


def load_annotation_json(path: epath.PathLike) -> dict:
    """Reads a 2D-TAN split file: a JSON object with one entry per video.

    Raises:
        ValueError: naming the file when it is not UTF-8 JSON (e.g. truncated) or its
            top level is not an object.
    """
    path = epath.Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(
            f"{path} is not a valid JSON annotation file (is it truncated or "
            f"corrupted?): {error}"
        ) from error
    if not isinstance(data, dict):
        raise ValueError(
            f"{path}: expected a JSON object mapping video ids to annotations, got "
            f"{type(data).__name__}"
        )
    return data


def _field(entry: object, field: str, path: epath.PathLike, video_id: str) -> object:
    if not isinstance(entry, dict):
        raise ValueError(
            f"{path}: video {video_id!r}: expected an object with its annotation, got "
            f"{type(entry).__name__}"
        )
    if field not in entry:
        raise ValueError(
            f"{path}: video {video_id!r} has no field {field!r} (fields: {sorted(entry)})"
        )
    return entry[field]


def _positive_number(value: object, field: str, path: epath.PathLike, video_id: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{path}: video {video_id!r}: {field!r} must be a number, got {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{path}: video {video_id!r}: {field!r} must be > 0, got {value!r}")
    return float(value)


def _timestamps_and_sentences(
    entry: dict, path: epath.PathLike, video_id: str
) -> tuple[list[tuple[float, float]], list[str]]:
    timestamps = _field(entry, "timestamps", path, video_id)
    sentences = _field(entry, "sentences", path, video_id)
    if not isinstance(timestamps, list) or not isinstance(sentences, list):
        raise ValueError(
            f"{path}: video {video_id!r}: 'timestamps' and 'sentences' must be lists"
        )
    if len(timestamps) != len(sentences):
        raise ValueError(
            f"{path}: video {video_id!r} has {len(timestamps)} timestamps but "
            f"{len(sentences)} sentences"
        )
    pairs = []
    for index, pair in enumerate(timestamps):
        if (
            not isinstance(pair, (list, tuple))
            or len(pair) != 2
            or any(isinstance(t, bool) or not isinstance(t, (int, float)) for t in pair)
        ):
            raise ValueError(
                f"{path}: video {video_id!r}: timestamps[{index}] must be a pair of "
                f"numbers, got {pair!r}"
            )
        pairs.append((float(pair[0]), float(pair[1])))
    for index, sentence in enumerate(sentences):
        if not isinstance(sentence, str):
            raise ValueError(
                f"{path}: video {video_id!r}: sentences[{index}] must be a string, got "
                f"{sentence!r}"
            )
    return pairs, sentences


def parse_tacos_annotations(data: dict, path: epath.PathLike) -> list[VideoAnnotation]:
    """TACoS entries (`num_frames`, `fps`, frame `timestamps`, `sentences`) in seconds.

    duration = num_frames / fps and a moment [s, e] in frames becomes [s/fps, e/fps]
    (clipping to [0, duration] happens in `clean_queries`).
    """
    videos = []
    for video_id, entry in data.items():
        num_frames = _positive_number(
            _field(entry, "num_frames", path, video_id), "num_frames", path, video_id
        )
        fps = _positive_number(_field(entry, "fps", path, video_id), "fps", path, video_id)
        frame_pairs, sentences = _timestamps_and_sentences(entry, path, video_id)
        videos.append(
            VideoAnnotation(
                video_id=video_id,
                duration=num_frames / fps,
                moments=tuple((start / fps, end / fps) for start, end in frame_pairs),
                sentences=tuple(sentences),
            )
        )
    return videos


def parse_activitynet_annotations(data: dict, path: epath.PathLike) -> list[VideoAnnotation]:
    """ActivityNet Captions entries (`duration`, `timestamps` and `sentences` in s)."""
    videos = []
    for video_id, entry in data.items():
        duration = _positive_number(
            _field(entry, "duration", path, video_id), "duration", path, video_id
        )
        pairs, sentences = _timestamps_and_sentences(entry, path, video_id)
        videos.append(
            VideoAnnotation(
                video_id=video_id,
                duration=duration,
                moments=tuple(pairs),
                sentences=tuple(sentences),
            )
        )
    return videos


def clean_queries(video: VideoAnnotation, report: GenerationReport) -> list[dict]:
    """The video's usable queries, clipped to [0, duration]; counts every skip and clip.

    Returns:
        A list of {"sentence", "start", "end"} with 0 <= start < end <= duration and the
        sentence stripped of surrounding whitespace.
    """
    queries = []
    for (start, end), sentence in zip(video.moments, video.sentences):
        sentence = sentence.strip()
        if not sentence:
            report.add("query_empty_sentence", video_id=video.video_id)
        elif not (math.isfinite(start) and math.isfinite(end)):
            report.add("query_nonfinite_time", video_id=video.video_id)
        elif start >= end:
            report.add("query_start_not_before_end", video_id=video.video_id)
        else:
            clipped_start = max(start, 0.0)
            clipped_end = min(end, video.duration)
            if clipped_start >= clipped_end:
                report.add("query_outside_video", video_id=video.video_id)
                continue
            if (clipped_start, clipped_end) != (start, end):
                report.add("query_clipped_to_duration", video_id=video.video_id)
            queries.append({"sentence": sentence, "start": clipped_start, "end": clipped_end})
    return queries


def _open_hdf5(path: epath.Path) -> h5py.File:
    if "://" in str(path):  # remote (e.g. gs://): h5py reads through a file object
        return h5py.File(path.open("rb"), "r")
    return h5py.File(str(path), "r")


def check_features(
    features: np.ndarray,
    feature_dim: int,
    features_path: epath.PathLike,
    video_id: str,
    report: GenerationReport,
) -> np.ndarray | None:
    """Returns `features` as float32 (T, D), or None for a counted skip.

    Raises:
        ValueError: naming the file and the video when the array is not 2-D with
            `feature_dim` columns (the wrong features file for this dataset).
    """
    if features.ndim != 2 or features.shape[1] != feature_dim:
        raise ValueError(
            f"{features_path}: video {video_id!r} has features of shape "
            f"{features.shape}; expected (num_units, {feature_dim}). Is this the right "
            f"features file for this dataset?"
        )
    if features.shape[0] == 0:
        report.add("video_empty_features", video_id=video_id)
        return None
    features = features.astype(np.float32, copy=False)
    if not np.isfinite(features).all():
        report.add("video_nonfinite_features", video_id=video_id)
        return None
    return features


def generate_examples(
    videos: Sequence[VideoAnnotation],
    features_path: epath.Path,
    read_video_features: Callable[[h5py.File, str], np.ndarray | None],
    feature_dim: int,
    report: GenerationReport,
) -> Iterator[tuple[str, dict]]:
    """Yields (video_id, example) per usable video, reading the HDF5 file video by video.

    The file is opened once and only one video's features are in memory at a time, so
    memory does not grow with the number of videos. The report is logged at the end.

    Args:
        videos: the split's annotations.
        features_path: the HDF5 file.
        read_video_features: returns one video's array from the open file, or None
            when the video is absent from it.
        feature_dim: D, the expected number of columns.
        report: receives every count.

    Raises:
        ValueError: when not one video of the split is usable (the summary says why).
    """
    with _open_hdf5(features_path) as h5_file:
        for video in videos:
            report.add("videos_annotated")
            report.add("queries_annotated", len(video.sentences))
            queries = clean_queries(video, report)
            features = None
            if not queries:
                report.add("video_no_valid_queries", video_id=video.video_id)
            else:
                raw = read_video_features(h5_file, video.video_id)
                if raw is None:
                    report.add("video_missing_features", video_id=video.video_id)
                else:
                    features = check_features(
                        raw, feature_dim, features_path, video.video_id, report
                    )
            if features is None:
                report.add("queries_in_skipped_videos", len(queries))
                continue
            report.add("videos_written")
            report.add("queries_written", len(queries))
            yield video.video_id, {
                "video_id": video.video_id,
                "features": features,
                "duration": np.float32(video.duration),
                "queries": queries,
            }
    report.log()
    if report["videos_written"] == 0:
        raise ValueError(
            f"There is no usable video in {features_path} for {report.summary()}"
        )


class ManualFeaturesBuilder(tfds.core.GeneratorBasedBuilder, skip_registration=True):
    """What the TACoS and ActivityNet builders share: manual files in, one example per video.

    A subclass sets ``FEATURE_DIM``, ``FEATURES_FILE``, ``HOMEPAGE``, ``parse_annotations``
    (a ``parse_*_annotations`` function of this module) and ``read_video_features``
    (reads one video's (T, D) array from the open HDF5 file, or None when it is
    absent). Skips and clips of each split are counted in ``generation_reports[split]``
    and logged when the split is done.
    """

    FEATURE_DIM: int
    FEATURES_FILE: str
    HOMEPAGE: str
    SPLIT_FILES = {"train": "train.json", "val": "val.json", "test": "test.json"}

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.generation_reports: dict[str, GenerationReport] = {}

    @staticmethod
    def parse_annotations(entries: dict, path: epath.PathLike) -> list[VideoAnnotation]:
        raise NotImplementedError

    @staticmethod
    def read_video_features(h5_file: h5py.File, video_id: str) -> np.ndarray | None:
        raise NotImplementedError

    def _info(self) -> tfds.core.DatasetInfo:
        return self.dataset_info_from_configs(
            features=moment_features(self.FEATURE_DIM), homepage=self.HOMEPAGE
        )

    def _split_generators(self, dl_manager: tfds.download.DownloadManager):
        manual_dir = require_manual_files(
            dl_manager.manual_dir, [*self.SPLIT_FILES.values(), self.FEATURES_FILE], self.name
        )
        return {
            split: self._generate_examples(split, manual_dir / file_name, manual_dir / self.FEATURES_FILE)
            for split, file_name in self.SPLIT_FILES.items()
        }

    def _generate_examples(self, split, annotation_path, features_path):
        videos = self.parse_annotations(load_annotation_json(annotation_path), annotation_path)
        report = GenerationReport(self.name, split)
        self.generation_reports[split] = report
        yield from generate_examples(
            videos, features_path, self.read_video_features, self.FEATURE_DIM, report
        )
