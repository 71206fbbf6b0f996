"""What one split's generation wrote, clipped and skipped."""

from __future__ import annotations

import collections

from absl import logging

# Video-level reasons: the whole video (and all its queries) is left out.
VIDEO_SKIP_REASONS = (
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
# Totals, so that every annotated query is accounted for:
#   queries_annotated = queries_written + sum(QUERY_SKIP_REASONS) + queries_in_skipped_videos
TOTALS = (
    "videos_annotated",
    "videos_written",
    "queries_annotated",
    "queries_written",
    "queries_in_skipped_videos",
)
COUNTERS = TOTALS + VIDEO_SKIP_REASONS + QUERY_SKIP_REASONS + QUERY_FIX_REASONS
# How many example video ids the summary names per reason.
_EXAMPLES_PER_REASON = 3


class GenerationReport:
    """Counts what the generation of one split wrote, clipped and skipped.

    Every builder fills one report per split while it generates examples and logs its
    summary (one line with every counter) when the split is done; tests and users read
    the counts back from `builder.generation_reports[split]`.

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
        self._example_videos: dict[str, list[str]] = collections.defaultdict(list)

    def add(self, counter: str, amount: int = 1, video_id: str | None = None) -> None:
        """Adds `amount` to `counter`, remembering `video_id` as an example of it."""
        if counter not in COUNTERS:
            raise KeyError(f"unknown counter {counter!r}; known counters: {COUNTERS}")
        self._counts[counter] += amount
        examples = self._example_videos[counter]
        if video_id is not None and len(examples) < _EXAMPLES_PER_REASON:
            if video_id not in examples:
                examples.append(video_id)

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

    def example_videos(self, counter: str) -> list[str]:
        """Up to three video ids that incremented `counter`."""
        return list(self._example_videos.get(counter, []))

    def summary(self) -> str:
        """One line: every counter, then example video ids of each non-zero reason."""
        counts = " ".join(f"{name}={value}" for name, value in self.as_dict().items())
        examples = "; ".join(
            f"{reason}: {', '.join(videos)}"
            for reason, videos in self._example_videos.items()
            if videos
        )
        line = f"{self.dataset_name}/{self.split}: {counts}"
        return f"{line} (e.g. {examples})" if examples else line

    def log(self) -> None:
        """Logs the summary: as a warning when anything was skipped or clipped."""
        changed = self.skipped_videos + self.skipped_queries
        changed += sum(self._counts[reason] for reason in QUERY_FIX_REASONS)
        log = logging.warning if changed else logging.info
        log("Generation report %s", self.summary())

    def __repr__(self) -> str:
        return f"GenerationReport({self.summary()})"
