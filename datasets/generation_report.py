"""What one split's generation wrote, clipped and skipped."""

from __future__ import annotations

import collections
import json

from absl import logging
from etils import epath

# Video-level reasons: the whole video (and all its queries) is left out.
VIDEO_SKIP_REASONS = (
    "video_duplicate_key",  # an earlier entry of a video id the same annotation file repeats
    "video_bad_duration",  # duration (or num_frames, fps) not a number > 0, or none known
    "video_missing_features",  # annotated video absent from the HDF5 file
    "video_empty_features",  # feature array with zero units
    "video_nonfinite_features",  # NaN or Inf anywhere in the features
    "video_no_valid_queries",  # every query of the video was skipped
)
# Query-level reasons: that one query is left out, the video is kept.
QUERY_SKIP_REASONS = (
    "query_empty_sentence",  # empty or whitespace-only sentence
    "query_nonfinite_time",  # NaN or Inf start or end
    "query_start_not_before_end",  # start >= end as annotated
    "query_outside_video",  # nothing of [start, end] lies inside [0, duration]
)
# Queries kept after their times were clipped to [0, duration].
QUERY_FIX_REASONS = ("query_clipped_to_duration",)
# Videos kept, with something worth knowing (each also gets a note saying what).
VIDEO_NOTE_REASONS = (
    "video_feature_key_ambiguous",  # the HDF5 file has the id both with and without ".avi"
)
# Totals, so that every annotated video and query is accounted for:
#   videos_annotated = videos_written + sum(VIDEO_SKIP_REASONS)
#   queries_annotated = queries_written + sum(QUERY_SKIP_REASONS) + queries_in_skipped_videos
TOTALS = (
    "videos_annotated",
    "videos_written",
    "queries_annotated",
    "queries_written",
    "queries_in_skipped_videos",
)
COUNTERS = TOTALS + VIDEO_SKIP_REASONS + QUERY_SKIP_REASONS + QUERY_FIX_REASONS + VIDEO_NOTE_REASONS
# How many example video ids the one-line summary names per reason (the file has all).
_EXAMPLES_PER_REASON = 3


def report_file_name(split: str) -> str:
    """The name of a split's full report inside the dataset folder (see `GenerationReport.write`)."""
    return f"generation_report_{split}.json"


class GenerationReport:
    """Counts what the generation of one split wrote, clipped and skipped.

    Every builder fills one report per split while it generates examples and logs its
    summary (one line with every counter and up to three example video ids per reason)
    when the split is done; tests and users read the counts back from
    `builder.generation_reports[split]`. The manual builders also write every report
    in full (every video id per reason, and the notes) to
    `<data_dir>/<name>/<config>/<version>/generation_report_<split>.json` (`write`).

    Args:
        dataset_name: TFDS name of the dataset, used in the summary line.
        split: split name, used in the summary line.

    Example:

    >>> report = GenerationReport("tacos", "train")
    >>> report.add("videos_annotated")
    >>> report.add("query_clipped_to_duration", video_id="s13-d21.avi")
    >>> report["query_clipped_to_duration"]
    1
    >>> report.skipped_videos
    0
    """

    def __init__(self, dataset_name: str, split: str):
        self.dataset_name = dataset_name
        self.split = split
        self._counts: collections.Counter[str] = collections.Counter()
        # Every video id per counter, with how often it incremented it (insertion order).
        self._videos: dict[str, collections.Counter[str]] = collections.defaultdict(
            collections.Counter
        )
        self._notes: list[str] = []

    def add(
        self,
        counter: str,
        amount: int = 1,
        video_id: str | None = None,
        note: str | None = None,
    ) -> None:
        """Adds `amount` to `counter`, remembering `video_id` (and logging `note`).

        Args:
            counter: one of `COUNTERS`.
            amount: how much to add.
            video_id: the video that incremented it; the summary names up to three per
                counter, `to_dict` and the report file all of them.
            note: a sentence saying what happened (e.g. which of two feature keys was
                used); logged as a warning now and kept in the report file.

        Raises:
            KeyError: for an unknown counter.
        """
        if counter not in COUNTERS:
            raise KeyError(f"unknown counter {counter!r}; known counters: {COUNTERS}")
        self._counts[counter] += amount
        if video_id is not None:
            self._videos[counter][video_id] += amount
        if note is not None:
            note = f"{self.dataset_name}/{self.split}: {note}"
            self._notes.append(note)
            logging.warning("%s", note)

    def __getitem__(self, counter: str) -> int:
        if counter not in COUNTERS:
            raise KeyError(f"unknown counter {counter!r}; known counters: {COUNTERS}")
        return self._counts[counter]

    def as_dict(self) -> dict[str, int]:
        """Every counter (zeros included), in a fixed order."""
        return {counter: self._counts[counter] for counter in COUNTERS}

    @property
    def skipped_videos(self) -> int:
        return sum(self._counts[reason] for reason in VIDEO_SKIP_REASONS)

    @property
    def skipped_queries(self) -> int:
        """Queries left out for a query-level reason (not those of skipped videos)."""
        return sum(self._counts[reason] for reason in QUERY_SKIP_REASONS)

    @property
    def notes(self) -> list[str]:
        """The notes added so far (e.g. which feature key was used), in order."""
        return list(self._notes)

    def example_videos(self, counter: str) -> list[str]:
        """Up to three video ids that incremented `counter`, the first ones seen."""
        return self.videos(counter)[:_EXAMPLES_PER_REASON]

    def videos(self, counter: str) -> list[str]:
        """Every video id that incremented `counter`, in the order first seen."""
        return list(self._videos.get(counter, {}))

    def summary(self) -> str:
        """One line: every counter, then example video ids of each non-zero reason."""
        counts = " ".join(f"{name}={value}" for name, value in self.as_dict().items())
        examples = "; ".join(
            f"{reason}: {', '.join(self.example_videos(reason))}"
            for reason in COUNTERS
            if self._videos.get(reason)
        )
        line = f"{self.dataset_name}/{self.split}: {counts}"
        return f"{line} (e.g. {examples})" if examples else line

    def to_dict(self) -> dict:
        """The full report: counts, every video id per reason (with its count), notes."""
        return {
            "dataset": self.dataset_name,
            "split": self.split,
            "counts": self.as_dict(),
            "videos": {
                reason: dict(self._videos[reason])
                for reason in COUNTERS
                if reason not in TOTALS and self._videos.get(reason)
            },
            "notes": self.notes,
        }

    def write(self, directory: epath.PathLike) -> epath.Path:
        """Writes `to_dict()` as `directory/generation_report_<split>.json`; logs the path.

        Returns:
            The path written.
        """
        path = epath.Path(directory) / report_file_name(self.split)
        path.write_text(json.dumps(self.to_dict(), indent=1) + "\n", encoding="utf-8")
        logging.info(
            "Generation report %s/%s with every video id per reason: %s",
            self.dataset_name,
            self.split,
            path,
        )
        return path

    def log(self) -> None:
        """Logs the summary: as a warning when anything was skipped, clipped or noted."""
        changed = self.skipped_videos + self.skipped_queries
        changed += sum(self._counts[reason] for reason in QUERY_FIX_REASONS + VIDEO_NOTE_REASONS)
        log = logging.warning if changed else logging.info
        log("Generation report %s", self.summary())

    def __repr__(self) -> str:
        return f"GenerationReport({self.summary()})"
