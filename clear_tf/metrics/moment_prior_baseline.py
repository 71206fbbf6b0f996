"""The query-blind prior baseline: the best fixed moments learned from train ground truth.

It never looks at the query or the video content, only at where moments usually lie
(relative to the video's duration), so a model that understands queries must beat it by
a wide margin; DESIGN §5 prints it beside every results table.
"""

from __future__ import annotations

import numpy as np

from clear_tf import moments

# Train moments per block when building the hit matrix: bounds the float64 IoU temporaries.
_CHUNK = 2048


class MomentPriorBaseline:
    """Picks ``top_k`` fixed normalised moments that best cover the training moments.

    Candidates are the cells of a ``num_bins`` × ``num_bins`` grid, (i, j) spanning
    [i/G, (j+1)/G] of the video. The first pick is the candidate with the highest train
    R@1,IoU=m (ties: the highest mean IoU); each further pick is the candidate (among
    those whose IoU with every earlier pick is <= ``nms_threshold``) that adds the most
    train moments not yet hit, so the k picks greedily maximise train R@k,IoU=m. A test
    query of a video of duration T gets the picks scaled by T, the same for every query.

    Args:
        num_bins: G, the grid side.
        top_k: moments predicted per query.
        iou_threshold: m of the R@n,IoU=m that the fit maximises.
        nms_threshold: maximal IoU between two picks (the protocol's NMS threshold).
        strict: a train moment is hit when IoU > m (True) or IoU >= m.

    Example:

    >>> from clear_tf.metrics import recall_at
    >>> train = np.array([[0.0, 0.25]] * 3 + [[0.75, 1.0]] * 2)  # fractions of their video
    >>> prior = MomentPriorBaseline(num_bins=4, top_k=2).fit(train)
    >>> prior.moments  # the most frequent moment first, then the one that adds most hits
    array([[0.  , 0.25],
           [0.75, 1.  ]])
    >>> predictions = prior.predict([8.0, 20.0])  # [Q, top_k, 2] seconds
    >>> predictions[1]
    array([[ 0.,  5.],
           [15., 20.]])
    >>> ground_truth = np.array([[0.0, 2.0], [14.0, 20.0]])
    >>> recall_at(predictions, ground_truth, n=1, m=0.5), recall_at(predictions, ground_truth, n=2, m=0.5)
    (0.5, 1.0)
    """

    def __init__(
        self,
        num_bins: int = 64,
        top_k: int = 5,
        iou_threshold: float = 0.5,
        nms_threshold: float = 0.5,
        strict: bool = True,
    ):
        if num_bins < 1 or top_k < 1:
            raise ValueError(f"num_bins and top_k must be >= 1, got {num_bins} and {top_k}")
        self.num_bins = num_bins
        self.top_k = top_k
        self.iou_threshold = iou_threshold
        self.nms_threshold = nms_threshold
        self.strict = strict
        self.moments = None  # [k', 2] normalised picks after fit, k' <= top_k

    def fit(self, normalized_moments) -> "MomentPriorBaseline":
        """Learns the picks from train moments given as fractions of their video.

        Args:
            normalized_moments: [n, 2] (start, end) / duration, 0 <= start < end <= 1.

        Returns:
            self, with ``moments`` set.
        """
        train = _checked_normalized(normalized_moments)
        starts, ends = moments.candidate_times(self.num_bins, 1.0)
        valid = moments.valid_mask(self.num_bins)
        candidates = np.stack([starts[valid], ends[valid]], axis=-1)  # [C, 2]
        hits = np.zeros((len(candidates), len(train)), dtype=bool)
        iou_sums = np.zeros(len(candidates))
        for first in range(0, len(train), _CHUNK):
            block = train[first : first + _CHUNK]
            iou = moments.temporal_iou(
                candidates[:, None, 0], candidates[:, None, 1], block[None, :, 0], block[None, :, 1]
            )
            hit = iou > self.iou_threshold if self.strict else iou >= self.iou_threshold
            hits[:, first : first + _CHUNK] = hit
            iou_sums += iou.sum(axis=1)

        available = np.ones(len(candidates), dtype=bool)
        not_yet_hit = np.ones(len(train), dtype=bool)
        picks = []
        while len(picks) < self.top_k and available.any():
            gains = np.where(available, hits[:, not_yet_hit].sum(axis=1), -1)
            # Lexicographic (gain, mean IoU) maximum among the available candidates.
            best = max(np.flatnonzero(gains == gains.max()), key=lambda index: iou_sums[index])
            picks.append(best)
            not_yet_hit &= ~hits[best]
            overlap = moments.temporal_iou(
                candidates[:, 0], candidates[:, 1], candidates[best, 0], candidates[best, 1]
            )
            available &= overlap <= self.nms_threshold
            available[best] = False
        self.moments = candidates[picks]
        return self

    def predict(self, durations) -> np.ndarray:
        """The picks in seconds for queries of videos of the given durations.

        Args:
            durations: [Q] seconds, one per query.

        Returns:
            [Q, top_k, 2] (start, end); slots beyond the picks (when NMS left fewer than
            ``top_k`` candidates) are empty, start = end = 0.
        """
        if self.moments is None:
            raise ValueError("MomentPriorBaseline.predict called before fit")
        durations = np.asarray(durations, dtype=np.float64)
        if durations.ndim != 1 or not np.all(durations > 0):
            raise ValueError(
                f"durations must be a [Q] array of positive seconds, got {durations!r}"
            )
        picks = np.zeros((self.top_k, 2))
        picks[: len(self.moments)] = self.moments
        return picks[None] * durations[:, None, None]


def normalized_moments(times, durations) -> np.ndarray:
    """(start, end) seconds [n, 2] and durations [n] → fractions of the video, [n, 2]."""
    times = np.asarray(times, dtype=np.float64)
    durations = np.asarray(durations, dtype=np.float64)
    if times.ndim != 2 or times.shape[1] != 2 or durations.shape != (len(times),):
        raise ValueError(
            f"times must be [n, 2] and durations [n]; got {times.shape} and {durations.shape}"
        )
    if not np.all(durations > 0):
        raise ValueError(f"duration row {int(np.argmin(durations > 0))} is not positive")
    return times / durations[:, None]


def _checked_normalized(normalized) -> np.ndarray:
    normalized = np.asarray(normalized, dtype=np.float64)
    if normalized.ndim != 2 or normalized.shape[1] != 2 or len(normalized) == 0:
        raise ValueError(
            f"train moments must be a non-empty [n, 2] array, got shape {normalized.shape}"
        )
    bad = ~(
        np.isfinite(normalized).all(axis=1)
        & (normalized[:, 0] >= 0)
        & (normalized[:, 0] < normalized[:, 1])
        & (normalized[:, 1] <= 1)
    )
    if bad.any():
        row = int(np.argmax(bad))
        raise ValueError(
            f"{int(bad.sum())} train moments are not 0 <= start < end <= 1 (as fractions of "
            f"their video), e.g. row {row}: {normalized[row].tolist()}"
        )
    return normalized
