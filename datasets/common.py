"""Parsing and validation shared by the builders that read manual files.

`tacos`, `activitynet_captions`, `charades_sta` and `moment_features` read annotation
files (2D-TAN's `{split}.json`, one entry per video, or Charades-STA's text lines and
csv durations) and an HDF5 file of unit features, and write one example per video.
Defects in the files are handled here, the same way for every dataset, by one policy:

* **The file's structure is wrong: stop.** A file that is not UTF-8 JSON (or csv), a
  top level that is not an object, a missing field, a field of the wrong type (a
  string where a number belongs, a timestamp that is not a pair), a field repeated
  inside one video's entry, as many timestamps as sentences not given, a Charades-STA
  line not of the form `VID START END##SENTENCE`, features that are not a (T, D)
  array of the expected D: `ValueError` naming the file, the video (or line) and the
  field. These mean a wrong or broken file; every video would likely be affected.
* **A value is unusable: skip it and count it** in the split's `GenerationReport`
  (`generation_report.py` lists every reason). A video whose duration is not a
  finite number > 0 (TACoS: `num_frames` or `fps` <= 0; Charades-STA: no usable
  `length` in the csv) is skipped; a video id that the same annotation file repeats
  keeps its last entry (as `json.load` and 2D-TAN's loaders do) and each earlier entry
  is skipped with its queries; a query with an empty sentence, non-finite times,
  start >= end, or no overlap with the video is skipped; a query reaching outside
  [0, duration] is clipped; a video missing from the HDF5 file, with zero units, or
  with NaN/Inf features is skipped; a video whose queries were all skipped is skipped.
  One bad video does not abort a long build: the summary logged at the end of each
  split names up to three videos per reason, and the manual builders write every video
  id per reason to `<data_dir>/<name>/<config>/<version>/generation_report_<split>.json`.
  A split left without any usable video is an error.
* **Worth knowing, nothing lost: note it.** A video stored in the HDF5 file both with
  and without `.avi` is read from the key the annotation uses (then the bare id, then
  `<id>.avi`); the report counts it (`video_feature_key_ambiguous`) and the log and
  the report file say which key was used.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import json
import math
from collections.abc import Callable, Iterable, Iterator, Sequence

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
        duration: seconds (> 0: videos without a usable duration are skipped while
            parsing).
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


def skip_video(
    report: GenerationReport,
    reason: str,
    video_id: str,
    num_queries: int,
    note: str | None = None,
) -> None:
    """Counts a video left out before its queries are looked at, with all its queries."""
    report.add("videos_annotated")
    report.add("queries_annotated", num_queries)
    report.add(reason, video_id=video_id, note=note)
    report.add("queries_in_skipped_videos", num_queries)


class _JsonObject(dict):
    """A JSON object that remembers the earlier values of keys it repeats."""

    def __init__(self, pairs: list[tuple[str, object]]):
        super().__init__()
        self.repeated: list[tuple[str, object]] = []  # (key, earlier value), in order
        for key, value in pairs:
            if key in self:
                self.repeated.append((key, self[key]))
            self[key] = value


def _num_sentences(entry: object) -> int:
    sentences = entry.get("sentences") if isinstance(entry, dict) else None
    return len(sentences) if isinstance(sentences, list) else 0


def load_annotation_json(path: epath.PathLike, report: GenerationReport | None = None) -> dict:
    """Reads a 2D-TAN split file: a JSON object with one entry per video.

    A video id the file repeats keeps its last entry (what `json.load` and 2D-TAN's
    loaders see); every earlier entry is skipped and counted in `report` as
    `video_duplicate_key` with its queries, and logged.

    Args:
        path: the split file.
        report: receives the counts of repeated video ids (logged only when None).

    Raises:
        ValueError: naming the file when it is not UTF-8 JSON (e.g. truncated) or its
            top level is not an object.
    """
    path = epath.Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=_JsonObject)
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
    report = report if report is not None else GenerationReport(path.name, "load")
    for video_id, earlier in data.repeated:
        num_queries = _num_sentences(earlier)
        skip_video(
            report,
            "video_duplicate_key",
            video_id,
            num_queries,
            note=f"{path}: video {video_id!r} appears more than once; its last entry is "
            f"used and an earlier one ({num_queries} "
            f"{'query' if num_queries == 1 else 'queries'}) is skipped",
        )
    return data


def _field(entry: object, field: str, path: epath.PathLike, video_id: str) -> object:
    if not isinstance(entry, dict):
        raise ValueError(
            f"{path}: video {video_id!r}: expected an object with its annotation, got "
            f"{type(entry).__name__}"
        )
    repeated = [key for key, _ in getattr(entry, "repeated", ())]
    if repeated:
        raise ValueError(
            f"{path}: video {video_id!r} repeats the field {repeated[0]!r}; which value "
            f"is meant is unknown"
        )
    if field not in entry:
        raise ValueError(
            f"{path}: video {video_id!r} has no field {field!r} (fields: {sorted(entry)})"
        )
    return entry[field]


def _number(value: object, field: str, path: epath.PathLike, video_id: str) -> float:
    """The value as a float; raises when it is not a JSON number (a structural error)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{path}: video {video_id!r}: {field!r} must be a number, got {value!r}")
    return float(value)


def _not_positive(field: str, value: float) -> str | None:
    """Why `value` cannot be used as `field` (None when it is a finite number > 0)."""
    if math.isfinite(value) and value > 0:
        return None
    return f"{field!r} must be a finite number > 0, got {value!r}"


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


def parse_tacos_annotations(
    data: dict, path: epath.PathLike, report: GenerationReport | None = None
) -> list[VideoAnnotation]:
    """TACoS entries (`num_frames`, `fps`, frame `timestamps`, `sentences`) in seconds.

    duration = num_frames / fps and a moment [s, e] in frames becomes [s/fps, e/fps]
    (clipping to [0, duration] happens in `clean_queries`). A video whose `num_frames`
    or `fps` is not a finite number > 0 is skipped and counted in `report` as
    `video_bad_duration`.
    """
    report = report if report is not None else GenerationReport(str(path), "parse")
    videos = []
    for video_id, entry in data.items():
        num_frames = _number(
            _field(entry, "num_frames", path, video_id), "num_frames", path, video_id
        )
        fps = _number(_field(entry, "fps", path, video_id), "fps", path, video_id)
        frame_pairs, sentences = _timestamps_and_sentences(entry, path, video_id)
        problem = _not_positive("num_frames", num_frames) or _not_positive("fps", fps)
        if problem:
            skip_video(
                report, "video_bad_duration", video_id, len(sentences),
                note=f"{path}: video {video_id!r} skipped: {problem}",
            )
            continue
        videos.append(
            VideoAnnotation(
                video_id=video_id,
                duration=num_frames / fps,
                moments=tuple((start / fps, end / fps) for start, end in frame_pairs),
                sentences=tuple(sentences),
            )
        )
    return videos


def parse_activitynet_annotations(
    data: dict, path: epath.PathLike, report: GenerationReport | None = None
) -> list[VideoAnnotation]:
    """ActivityNet-style entries (`duration`, `timestamps` and `sentences` in seconds).

    Also the format of `moment_features`. A video whose `duration` is not a finite
    number > 0 is skipped and counted in `report` as `video_bad_duration`.
    """
    report = report if report is not None else GenerationReport(str(path), "parse")
    videos = []
    for video_id, entry in data.items():
        duration = _number(
            _field(entry, "duration", path, video_id), "duration", path, video_id
        )
        pairs, sentences = _timestamps_and_sentences(entry, path, video_id)
        problem = _not_positive("duration", duration)
        if problem:
            skip_video(
                report, "video_bad_duration", video_id, len(sentences),
                note=f"{path}: video {video_id!r} skipped: {problem}",
            )
            continue
        videos.append(
            VideoAnnotation(
                video_id=video_id,
                duration=duration,
                moments=tuple(pairs),
                sentences=tuple(sentences),
            )
        )
    return videos


def load_charades_durations(path: epath.PathLike) -> dict[str, float]:
    """Video id -> the csv's `length` column in seconds (Charades_v1_{train,test}.csv).

    An empty or non-numeric `length`, or two rows of one id that disagree, give NaN:
    the video is then skipped as `video_bad_duration` by
    `parse_charades_sta_annotations`.

    Raises:
        ValueError: naming the file when it is not UTF-8 or lacks the `id` or
            `length` column.
    """
    path = epath.Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(f"{path} is not a UTF-8 csv file: {error}") from error
    reader = csv.DictReader(text.splitlines(keepends=True))
    columns = reader.fieldnames or []
    if "id" not in columns or "length" not in columns:
        raise ValueError(
            f"{path}: expected the Charades csv columns 'id' and 'length', got {columns}"
        )
    durations: dict[str, float] = {}
    for row in reader:
        try:
            length = float(row["length"])
        except (TypeError, ValueError):
            length = math.nan
        video_id = row["id"]
        if video_id in durations and durations[video_id] != length:
            length = math.nan
        durations[video_id] = length
    return durations


def read_charades_sta_lines(
    path: epath.PathLike,
) -> dict[str, list[tuple[float, float, str]]]:
    """Charades-STA's `VID START END##SENTENCE` lines, grouped by video (first seen first).

    Returns:
        video id -> [(start, end, sentence)] in the file's order; blank lines are
        ignored.

    Raises:
        ValueError: naming the file and line when a line has another form or a time
            is not a number.
    """
    path = epath.Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as error:
        raise ValueError(f"{path} is not a UTF-8 text file: {error}") from error
    videos: dict[str, list[tuple[float, float, str]]] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        moment, separator, sentence = line.partition("##")
        fields = moment.split()
        if not separator or len(fields) != 3:
            raise ValueError(
                f"{path}:{number}: expected 'VIDEO_ID START END##SENTENCE', got {line!r}"
            )
        video_id, start, end = fields
        try:
            times = float(start), float(end)
        except ValueError as error:
            raise ValueError(
                f"{path}:{number}: video {video_id!r}: start and end must be numbers, "
                f"got {start!r} and {end!r}"
            ) from error
        videos.setdefault(video_id, []).append((*times, sentence))
    return videos


def parse_charades_sta_annotations(
    path: epath.PathLike,
    durations: dict[str, float],
    durations_path: epath.PathLike,
    report: GenerationReport,
    keep_video: Callable[[str], bool] | None = None,
) -> list[VideoAnnotation]:
    """Charades-STA's moments in seconds, one `VideoAnnotation` per video.

    Args:
        path: `charades_sta_{train,test}.txt`.
        durations: `load_charades_durations(durations_path)`.
        durations_path: the csv, named in notes.
        report: receives the videos without a usable duration (`video_bad_duration`).
        keep_video: only videos for which it is True are parsed and counted (a split
            carved out of the file); all when None.
    """
    videos = []
    for video_id, moments in read_charades_sta_lines(path).items():
        if keep_video is not None and not keep_video(video_id):
            continue
        duration = durations.get(video_id)
        if duration is None:
            problem = f"it is absent from {durations_path}"
        elif not (math.isfinite(duration) and duration > 0):
            problem = f"its length in {durations_path} is not a number > 0 ({duration!r})"
        else:
            problem = None
        if problem:
            skip_video(
                report, "video_bad_duration", video_id, len(moments),
                note=f"{path}: video {video_id!r} skipped: {problem}",
            )
            continue
        videos.append(
            VideoAnnotation(
                video_id=video_id,
                duration=duration,
                moments=tuple((start, end) for start, end, _ in moments),
                sentences=tuple(sentence for _, _, sentence in moments),
            )
        )
    return videos


def hash_bucket(video_id: str, num_buckets: int = 100) -> int:
    """A stable bucket in [0, num_buckets) of a video id (SHA-256; the same on every run,
    machine and Python version, unlike `hash`)."""
    digest = hashlib.sha256(video_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % num_buckets


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


def open_hdf5(path: epath.PathLike) -> h5py.File:
    """Opens an HDF5 file for reading, local or remote (e.g. gs://, through a file object)."""
    path = epath.Path(path)
    if "://" in str(path):
        return h5py.File(path.open("rb"), "r")
    return h5py.File(str(path), "r")


def feature_key_candidates(video_id: str) -> list[str]:
    """HDF5 keys tried for a video: the annotated id, then without and with `.avi`."""
    stem = video_id.removesuffix(".avi")
    return list(dict.fromkeys((video_id, stem, stem + ".avi")))


def find_feature_key(h5_file: h5py.File, video_id: str, report: GenerationReport) -> str | None:
    """The key of `video_id` in the HDF5 file (see `feature_key_candidates`), or None.

    When the file has the video under two keys (`s14-d26.avi` and `s14-d26`), the first
    candidate is used; the report counts it as `video_feature_key_ambiguous` and notes
    (and logs) which key was used.
    """
    present = [key for key in feature_key_candidates(video_id) if key in h5_file]
    if not present:
        return None
    if len(present) > 1:
        report.add(
            "video_feature_key_ambiguous",
            video_id=video_id,
            note=f"{h5_file.filename}: video {video_id!r} is stored under the keys "
            f"{' and '.join(map(repr, present))}; using {present[0]!r}",
        )
    return present[0]


def read_video_dataset(
    h5_file: h5py.File, video_id: str, report: GenerationReport
) -> np.ndarray | None:
    """The one (T, D) dataset of `video_id` (keyed with or without `.avi`), or None.

    The layout of TACoS, Charades-STA (2D-TAN) and `moment_features`.

    Raises:
        ValueError: naming the file and the video when its entry is a group.
    """
    key = find_feature_key(h5_file, video_id, report)
    if key is None:
        return None
    dataset = h5_file[key]
    if not isinstance(dataset, h5py.Dataset):
        raise ValueError(
            f"{h5_file.filename}: entry {key!r} of video {video_id!r} is a group; this "
            f"dataset reads one (num_units, D) dataset per video id"
        )
    return dataset[()]


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
    videos: Iterable[VideoAnnotation],
    features_path: epath.Path,
    read_video_features: Callable[[h5py.File, str, GenerationReport], np.ndarray | None],
    feature_dim: int,
    report: GenerationReport,
) -> Iterator[tuple[str, dict]]:
    """Yields (video_id, example) per usable video, reading the HDF5 file video by video.

    The file is opened once and only one video's features are in memory at a time, so
    memory does not grow with the number of videos. The report is logged at the end.

    Args:
        videos: the split's annotations (those skipped while loading or parsing are
            already counted in `report`).
        features_path: the HDF5 file.
        read_video_features: returns one video's array from the open file, or None
            when the video is absent from it (e.g. `read_video_dataset`).
        feature_dim: D, the expected number of columns.
        report: receives every count.

    Raises:
        ValueError: when not one video of the split is usable (the summary says why).
    """
    with open_hdf5(features_path) as h5_file:
        for video in videos:
            report.add("videos_annotated")
            report.add("queries_annotated", len(video.sentences))
            queries = clean_queries(video, report)
            features = None
            if not queries:
                report.add("video_no_valid_queries", video_id=video.video_id)
            else:
                raw = read_video_features(h5_file, video.video_id, report)
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


@dataclasses.dataclass(eq=False)
class ManualFeaturesConfig(tfds.core.BuilderConfig):
    """A variant of a manual builder that reads another features file.

    Attributes:
        feature_dim: D of the unit features (0: the builder's `FEATURE_DIM`).
        features_file: name of the HDF5 file in the manual directory (empty: the
            builder's `FEATURES_FILE`).
    """

    feature_dim: int = 0
    features_file: str = ""


class ManualFeaturesBuilder(tfds.core.GeneratorBasedBuilder, skip_registration=True):
    """What the manual builders share: manual files in, one example per video.

    A subclass sets ``FEATURE_DIM`` and ``FEATURES_FILE`` (or builder configs with
    ``feature_dim`` and ``features_file``, see `ManualFeaturesConfig`), ``HOMEPAGE``,
    ``parse_annotations`` (a ``parse_*_annotations`` function of this module) and
    ``read_video_features`` (reads one video's (T, D) array from the open HDF5 file, or
    None when it is absent); or overrides ``_split_generators`` for other files. Skips
    and clips of each split are counted in ``generation_reports[split]``, logged when
    the split is done, and written in full next to the dataset
    (``<data_dir>/<name>/<config>/<version>/generation_report_<split>.json``) once
    ``download_and_prepare`` has finished.
    """

    FEATURE_DIM: int = 0
    FEATURES_FILE: str = ""
    HOMEPAGE: str
    SPLIT_FILES = {"train": "train.json", "val": "val.json", "test": "test.json"}

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.generation_reports: dict[str, GenerationReport] = {}

    @property
    def feature_dim(self) -> int:
        """D: the builder config's ``feature_dim``, else ``FEATURE_DIM``."""
        return getattr(self.builder_config, "feature_dim", 0) or self.FEATURE_DIM

    @property
    def features_file(self) -> str:
        """The HDF5 file name: the builder config's ``features_file``, else ``FEATURES_FILE``."""
        return getattr(self.builder_config, "features_file", "") or self.FEATURES_FILE

    @staticmethod
    def parse_annotations(
        entries: dict, path: epath.PathLike, report: GenerationReport
    ) -> list[VideoAnnotation]:
        raise NotImplementedError

    @staticmethod
    def read_video_features(
        h5_file: h5py.File, video_id: str, report: GenerationReport
    ) -> np.ndarray | None:
        raise NotImplementedError

    def _info(self) -> tfds.core.DatasetInfo:
        return self.dataset_info_from_configs(
            features=moment_features(self.feature_dim), homepage=self.HOMEPAGE
        )

    def _new_report(self, split: str) -> GenerationReport:
        report = GenerationReport(self.name, split)
        self.generation_reports[split] = report
        return report

    def _split_generators(self, dl_manager: tfds.download.DownloadManager):
        manual_dir = require_manual_files(
            dl_manager.manual_dir, [*self.SPLIT_FILES.values(), self.features_file], self.name
        )
        return {
            split: self._generate_examples(
                split, manual_dir / file_name, manual_dir / self.features_file
            )
            for split, file_name in self.SPLIT_FILES.items()
        }

    def _generate_examples(self, split, annotation_path, features_path):
        report = self._new_report(split)
        data = load_annotation_json(annotation_path, report)
        videos = self.parse_annotations(data, annotation_path, report)
        yield from generate_examples(
            videos, features_path, self.read_video_features, self.feature_dim, report
        )

    def download_and_prepare(self, **kwargs) -> None:
        """TFDS's `download_and_prepare`, then every split's full report next to the data.

        Writes ``generation_report_<split>.json`` into ``self.data_path`` when this call
        generated the dataset (nothing when it already existed).
        """
        self.generation_reports = {}
        super().download_and_prepare(**kwargs)
        for report in self.generation_reports.values():
            report.write(self.data_path)
