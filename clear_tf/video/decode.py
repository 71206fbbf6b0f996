"""Decoding a video file with PyAV and sampling its frames at the unit rule's rate.

PyAV (``av``) wraps FFmpeg; its wheels bundle the libraries, so every format and codec
FFmpeg reads (MP4/H.264, AVI, MKV, WebM, MOV, ...) works without a system FFmpeg.
"""

from __future__ import annotations

import os
from typing import Iterator

import numpy as np

from clear_tf.video.units import UnitRule

VIDEO_SUFFIXES = (
    ".mp4", ".m4v", ".mov", ".avi", ".mkv", ".webm", ".mpg", ".mpeg", ".wmv", ".flv", ".3gp", ".ts",
)


class VideoReadError(ValueError):
    """A video that cannot be decoded (missing, empty, corrupt, or without a video stream).

    The message is one line that names the file.
    """

    def __init__(self, path: str | os.PathLike, reason: str):
        self.path = os.fspath(path)
        self.reason = " ".join(str(reason).split()) or "unknown error"
        super().__init__(f"cannot read video {self.path}: {self.reason}")


def video_id(path: str | os.PathLike) -> str:
    """The key of a video in feature files: its file name without the extension."""
    return os.path.splitext(os.path.basename(os.fspath(path)))[0]


class FrameSampler:
    """The frames of one video at the sample times of a ``UnitRule``, in order.

    Iterating decodes the whole video once and yields one RGB frame (uint8 [H, W, 3]) per
    sample time t_k = (k + 0.5) / f: the frame on screen at t_k, i.e. the last frame
    whose presentation time is ≤ t_k. Times count from the first frame. Afterwards
    ``duration`` holds the video's length in seconds: the end of its last frame.

    Args:
        path: the video file.
        rule: the unit rule (only its ``frames_per_second`` matters here).

    Raises:
        VideoReadError: when the file is missing, empty or unreadable, has no video
            stream or no decodable frame, or decoding fails part way.
    """

    def __init__(self, path: str | os.PathLike, rule: UnitRule):
        self.path = os.fspath(path)
        self.rule = rule
        self.duration: float | None = None
        if not os.path.isfile(self.path):
            raise VideoReadError(self.path, "no such file")
        if os.path.getsize(self.path) == 0:
            raise VideoReadError(self.path, "the file is empty")

    def expected_samples(self) -> int | None:
        """N from the duration the container declares (for progress bars), or None."""
        import av

        try:
            with av.open(self.path) as container:
                declared = _declared_duration(container)
        except (av.error.FFmpegError, OSError, IndexError, ValueError):
            return None
        return None if declared is None else self.rule.num_samples(declared)

    def __iter__(self) -> Iterator[np.ndarray]:
        import av

        try:
            yield from self._samples(av)
        except VideoReadError:
            raise
        except (av.error.FFmpegError, OSError, ValueError, MemoryError) as error:
            raise VideoReadError(self.path, _reason(error)) from None

    def _samples(self, av) -> Iterator[np.ndarray]:
        frames_per_second = self.rule.frames_per_second
        with av.open(self.path) as container:
            if not container.streams.video:
                raise VideoReadError(self.path, "the file has no video stream")
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            fallback_frame_seconds = 1.0 / float(stream.average_rate) if stream.average_rate else None
            origin = None
            shown = None  # (time, frame) of the frame on screen at the next sample time
            shown_rgb = None  # its RGB array, converted once however often it is sampled
            size = None  # (width, height) of the first frame; later frames are scaled to it
            last_end = 0.0
            emitted = 0
            for index, frame in enumerate(container.decode(stream)):
                time = frame.time
                if time is None:
                    if fallback_frame_seconds is None:
                        raise VideoReadError(self.path, "frames carry no timestamps and no frame rate")
                    time = index * fallback_frame_seconds
                if origin is None:
                    origin = time
                time -= origin
                if shown is not None and time < shown[0]:
                    continue  # a frame out of order (a broken stream): keep the later one
                while shown is not None and (emitted + 0.5) / frames_per_second < time:
                    if shown_rgb is None:
                        shown_rgb = _rgb(shown[1], size)
                    yield shown_rgb
                    emitted += 1
                if size is None:
                    size = (frame.width, frame.height)
                shown, shown_rgb = (time, frame), None
                last_end = time + _frame_seconds(frame, fallback_frame_seconds)
            if shown is None:
                raise VideoReadError(self.path, "no video frame could be decoded")
            self.duration = max(last_end, 1e-3)
            while emitted < self.rule.num_samples(self.duration):
                if shown_rgb is None:
                    shown_rgb = _rgb(shown[1], size)
                yield shown_rgb
                emitted += 1


def _reason(error: BaseException) -> str:
    """FFmpeg's own words (without the file name PyAV appends), else the exception's."""
    reason = getattr(error, "strerror", None) or str(error) or type(error).__name__
    return f"{type(error).__name__}: {reason}"


def _rgb(frame, size: tuple[int, int]) -> np.ndarray:
    """uint8 [H, W, 3] at the video's first frame size (streams may change size midway)."""
    width, height = size
    if (frame.width, frame.height) == size:
        return frame.to_ndarray(format="rgb24")
    return frame.to_ndarray(format="rgb24", width=width, height=height)


def _frame_seconds(frame, fallback: float | None) -> float:
    """How long ``frame`` stays on screen: its own duration, else 1 / the stream's frame rate."""
    if frame.duration and frame.time_base is not None:
        return float(frame.duration * frame.time_base)
    return fallback if fallback is not None else 0.0


def _declared_duration(container) -> float | None:
    stream = container.streams.video[0]
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        import av

        return container.duration / av.time_base
    return None
