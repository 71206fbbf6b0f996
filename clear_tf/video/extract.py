"""Unit features of one video: decode, sample, encode in batches, pool into units."""

from __future__ import annotations

import os

import numpy as np

from clear_tf.video.decode import FrameSampler, video_id
from clear_tf.video.encoder import DEFAULT_ENCODER, ImageEncoder, load_image_encoder
from clear_tf.video.units import UnitRule

DEFAULT_BATCH_SIZE = 32


def extract_video_features(
    path: str | os.PathLike,
    encoder: ImageEncoder | str = DEFAULT_ENCODER,
    *,
    rule: UnitRule | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: bool = False,
) -> tuple[np.ndarray, float]:
    """The unit features of one video file and its duration.

    Args:
        path: the video file (any format FFmpeg reads).
        encoder: an ``ImageEncoder`` or an encoder spec (a keras-hub preset name or a
            local preset folder; see ``clear_tf.video.encoder``).
        rule: frame rate and unit length (default: 2 frames per second, 1-second units;
            see ``clear_tf.video.units``).
        batch_size: frames per encoder call. Every call gets exactly this many frames
            (the last batch is padded), so a frame's embedding does not depend on how
            many frames the video has.
        progress: show a tqdm progress bar over the sampled frames.

    Returns:
        ``(features, duration)``: float32 [T, D] with T = ceil(N / k) (see
        ``UnitRule``), and the video's length in seconds.

    Raises:
        VideoReadError: the file is missing, empty or cannot be decoded (one line that
            names the file).
        EncoderError: ``encoder`` is a spec that cannot be loaded.
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"--batch_size must be a positive integer, got {batch_size!r}")
    rule = rule or UnitRule()
    if not isinstance(encoder, ImageEncoder):
        encoder = load_image_encoder(encoder)
    sampler = FrameSampler(path, rule)
    embeddings = _encode_in_batches(sampler, encoder, batch_size, progress)
    return rule.pool(embeddings), float(sampler.duration)


def _encode_in_batches(sampler: FrameSampler, encoder: ImageEncoder, batch_size: int, progress: bool) -> np.ndarray:
    """Embeddings [N, D] of every sampled frame, encoded ``batch_size`` frames at a time."""
    from tqdm.auto import tqdm

    bar = tqdm(
        total=sampler.expected_samples() if progress else None,
        desc=video_id(sampler.path),
        unit="frame",
        leave=False,
        disable=not progress,
    )
    embeddings, batch = [], []
    with bar:
        for frame in sampler:
            batch.append(frame)
            if len(batch) == batch_size:
                embeddings.append(_encode_padded(encoder, batch, batch_size))
                bar.update(len(batch))
                batch = []
        if batch:
            embeddings.append(_encode_padded(encoder, batch, batch_size))
            bar.update(len(batch))
    return np.concatenate(embeddings, axis=0)


def _encode_padded(encoder: ImageEncoder, frames: list[np.ndarray], batch_size: int) -> np.ndarray:
    """Encodes ``frames`` in one call of exactly ``batch_size`` frames (repeating the last)."""
    count = len(frames)
    padded = frames + [frames[-1]] * (batch_size - count)
    return encoder.encode(np.stack(padded))[:count]
