"""The unit rule: which frames are sampled from a video and how they are pooled into units.

Frames are sampled at ``frames_per_second`` (f), at the middle of each sampling
interval: sample k is the frame on screen at t_k = (k + 0.5) / f seconds, for every
t_k < duration, so a video of D seconds gives N = ceil(D·f − 0.5) samples (at least 1).
Consecutive samples are grouped into units of ``unit_seconds`` (u), i.e. k = f·u
samples per unit, which must be a whole number; a unit's feature is the mean of its
samples' embeddings. The video gets T = ceil(N / k) units; the last unit averages the
samples left over. Unit i covers [i·u, (i + 1)·u) seconds, so T ≈ D / u.

The default, 2 frames per second in 1-second units, gives one unit per second, each the
mean of the embeddings of the frames at 0.25 s and 0.75 s into it.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

DEFAULT_FRAMES_PER_SECOND = 2.0
DEFAULT_UNIT_SECONDS = 1.0
# Tolerance when checking that f·u is a whole number (0.1 s at 10 fps is 1.0000000000000002).
_WHOLE_TOLERANCE = 1e-6


@dataclass(frozen=True)
class UnitRule:
    """Frame sampling rate and unit length (see the module docstring).

    Args:
        frames_per_second: f, frames sampled per second of video.
        unit_seconds: u, the length of one unit; f·u must be a whole number ≥ 1.

    Raises:
        ValueError: naming the flag (``--frames_per_second`` or ``--unit_seconds``)
            that is out of range.
    """

    frames_per_second: float = DEFAULT_FRAMES_PER_SECOND
    unit_seconds: float = DEFAULT_UNIT_SECONDS

    def __post_init__(self):
        for name in ("frames_per_second", "unit_seconds"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) or value <= 0:
                raise ValueError(f"--{name} must be a positive number, got {value!r}")
        product = self.frames_per_second * self.unit_seconds
        if product < 1 - _WHOLE_TOLERANCE or abs(product - round(product)) > _WHOLE_TOLERANCE:
            raise ValueError(
                f"--unit_seconds × --frames_per_second must be a whole number of frames per "
                f"unit (≥ 1), got {self.unit_seconds:g} × {self.frames_per_second:g} = {product:g}"
            )

    @property
    def frames_per_unit(self) -> int:
        """k = f·u, the samples averaged into one unit."""
        return int(round(self.frames_per_second * self.unit_seconds))

    def sample_times(self, duration: float) -> np.ndarray:
        """t_k = (k + 0.5) / f for every t_k < ``duration`` (at least t_0), in seconds."""
        return (np.arange(self.num_samples(duration)) + 0.5) / self.frames_per_second

    def num_samples(self, duration: float) -> int:
        """N, the frames sampled from a video of ``duration`` seconds (≥ 1)."""
        # The smallest N with (N + 0.5) / f >= duration; 1e-9 keeps exact boundaries out.
        return max(1, math.ceil(duration * self.frames_per_second - 0.5 - 1e-9))

    def num_units(self, num_samples: int) -> int:
        """T = ceil(N / k), the units of a video with N samples."""
        return -(-num_samples // self.frames_per_unit)

    def pool(self, embeddings: np.ndarray) -> np.ndarray:
        """Unit features [T, D]: the mean of each run of k consecutive sample embeddings [N, D]."""
        embeddings = np.asarray(embeddings, dtype=np.float32)
        if embeddings.ndim != 2 or embeddings.shape[0] == 0:
            raise ValueError(f"expected sample embeddings [N >= 1, D], got shape {embeddings.shape}")
        starts = np.arange(0, embeddings.shape[0], self.frames_per_unit)
        counts = np.diff(np.append(starts, embeddings.shape[0]))
        sums = np.add.reduceat(embeddings.astype(np.float64), starts, axis=0)
        return (sums / counts[:, np.newaxis]).astype(np.float32)

    def description(self) -> str:
        """The rule in words, as recorded in feature files."""
        return (
            f"frames sampled at {self.frames_per_second:g} per second (at (k + 0.5) / "
            f"{self.frames_per_second:g} s); unit i = the mean embedding of samples "
            f"[{self.frames_per_unit}·i, {self.frames_per_unit}·(i + 1)), covering "
            f"[{self.unit_seconds:g}·i, {self.unit_seconds:g}·(i + 1)) s; T = ceil(N / {self.frames_per_unit})"
        )
