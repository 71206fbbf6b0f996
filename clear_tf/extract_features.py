"""Unit features from raw videos, written to the standard HDF5 layout.

    python -m clear_tf.extract_features --video=V.mp4 [--video=W.mp4] [--video_dir=D] \\
        --out=features.hdf5 [--encoder=clip_vit_base_patch32] \\
        [--frames_per_second=2] [--unit_seconds=1] [--batch_size=32] [--overwrite]

Every video is decoded with PyAV, sampled at ``--frames_per_second`` and encoded by the
image encoder ``--encoder`` (a keras-hub preset name, downloaded where the network
allows, or a local preset folder written by ``save_to_preset``); the embeddings of the
samples in each ``--unit_seconds`` window are averaged into one unit. With the defaults
(2 frames per second, 1-second units) a video of D seconds gets ceil(D) units of the
CLIP ViT-B/32 image embedding (512-d); ``clear_tf.video.units`` has the exact rule.

``--out`` gets one float32 dataset [T, D] per video, named by the file name without
its extension, and root attributes ``encoder``, ``feature_dim``, ``frames_per_second``,
``unit_seconds``, ``frames_per_unit`` and ``unit_rule`` (``clear_tf.video.features_file``).
``--video_dir`` takes the video files directly inside the folder (by extension).

A video that cannot be read (missing, empty, corrupt, no video stream) is skipped with
one line that names it; the others go on. Exit status: 0 when every video was
extracted, 1 when any was skipped (the count is printed at the end; nothing is written
when none could be read), 2 for a bad flag (``error: --flag ...``, one line).
"""

from __future__ import annotations

import argparse
import os
import sys

from clear_tf.video.features_file import FEATURE_FILE_SUFFIXES

SKIPPED = 1
USAGE_ERROR = 2


class UsageError(ValueError):
    """A bad flag; the message names it."""


class _OneLineParser(argparse.ArgumentParser):
    """argparse, but a bad flag prints ``error: <message>`` on one line (status 2)."""

    def error(self, message):
        self.exit(USAGE_ERROR, f"error: {message} (see --help)\n")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    from clear_tf.video import (
        DEFAULT_BATCH_SIZE,
        DEFAULT_ENCODER,
        DEFAULT_FRAMES_PER_SECOND,
        DEFAULT_UNIT_SECONDS,
    )

    parser = _OneLineParser(
        prog="python -m clear_tf.extract_features",
        description="Extract unit features from video files with a keras-hub image encoder.",
    )
    parser.add_argument("--video", action="append", default=[], help="A video file (repeat for several).")
    parser.add_argument("--video_dir", help="A folder: every video file directly inside it.")
    parser.add_argument("--out", required=True, help="The HDF5 feature file to write (.hdf5 or .h5).")
    parser.add_argument(
        "--encoder",
        default=DEFAULT_ENCODER,
        help="keras-hub preset name or local preset folder of the image encoder "
        f"(default {DEFAULT_ENCODER}: the CLIP ViT-B/32 image tower).",
    )
    parser.add_argument(
        "--frames_per_second",
        type=float,
        default=DEFAULT_FRAMES_PER_SECOND,
        help=f"Frames sampled per second, at (k + 0.5) / rate (default {DEFAULT_FRAMES_PER_SECOND:g}).",
    )
    parser.add_argument(
        "--unit_seconds",
        type=float,
        default=DEFAULT_UNIT_SECONDS,
        help="Seconds per unit; each unit averages unit_seconds × frames_per_second samples, "
        f"a whole number (default {DEFAULT_UNIT_SECONDS:g}).",
    )
    parser.add_argument(
        "--batch_size", type=int, default=DEFAULT_BATCH_SIZE,
        help=f"Frames per encoder call (default {DEFAULT_BATCH_SIZE}).",
    )
    parser.add_argument("--overwrite", action="store_true", help="Replace --out if it exists.")
    return parser.parse_args(argv)


def video_paths(videos: list[str], video_dir: str | None) -> list[str]:
    """The videos to extract, in order: each ``--video``, then ``--video_dir``'s files by name.

    Raises:
        UsageError: no video given, a missing ``--video``, a bad ``--video_dir``, or two
            videos with the same id.
    """
    from clear_tf.video import VIDEO_SUFFIXES, video_id

    paths = []
    for path in videos:
        if not os.path.exists(path):
            raise UsageError(f"--video: {path} does not exist")
        if os.path.isdir(path):
            raise UsageError(f"--video: {path} is a folder; use --video_dir")
        paths.append(path)
    if video_dir is not None:
        if not os.path.isdir(video_dir):
            raise UsageError(f"--video_dir: {video_dir} is not a folder")
        found = sorted(
            os.path.join(video_dir, name)
            for name in os.listdir(video_dir)
            if not name.startswith(".")
            and name.lower().endswith(VIDEO_SUFFIXES)
            and os.path.isfile(os.path.join(video_dir, name))
        )
        if not found:
            raise UsageError(f"--video_dir: {video_dir} holds no video file ({' '.join(VIDEO_SUFFIXES)})")
        paths += found
    if not paths:
        raise UsageError("give --video or --video_dir")
    seen = {}
    for path in paths:
        key = video_id(path)
        if key in seen:
            flag = "--video_dir" if video_dir is not None else "--video"
            raise UsageError(f"{flag}: {seen[key]} and {path} share the video id {key!r}")
        seen[key] = path
    return paths


def check_out(out: str, overwrite: bool) -> None:
    """Raises ``UsageError`` naming ``--out`` when it cannot be written."""
    if not out.lower().endswith(FEATURE_FILE_SUFFIXES):
        raise UsageError(f"--out: {out} must end with {' or '.join(FEATURE_FILE_SUFFIXES)}")
    if os.path.isdir(out):
        raise UsageError(f"--out: {out} is a folder")
    if os.path.exists(out) and not overwrite:
        raise UsageError(f"--out: {out} exists; pass --overwrite to replace it")


def run(args: argparse.Namespace) -> int:
    """Extracts every video; returns the exit status (raises ``UsageError`` for bad flags)."""
    from clear_tf.video import EncoderError, UnitRule

    try:
        rule = UnitRule(args.frames_per_second, args.unit_seconds)
    except ValueError as error:
        raise UsageError(str(error)) from None
    if args.batch_size < 1:
        raise UsageError(f"--batch_size must be a positive integer, got {args.batch_size}")
    check_out(args.out, args.overwrite)
    paths = video_paths(args.video, args.video_dir)

    from clear_tf.video import load_image_encoder

    try:
        encoder = load_image_encoder(args.encoder)
    except EncoderError as error:
        raise UsageError(f"--encoder: {error}") from None
    return extract_all(paths, encoder, rule, args.out, args.batch_size)


def extract_all(paths: list[str], encoder, rule, out: str, batch_size: int) -> int:
    """Writes ``out`` from every readable video; returns 0, or 1 when any was skipped."""
    from tqdm.auto import tqdm

    from clear_tf.video import (
        FeatureFileWriter,
        VideoReadError,
        extract_video_features,
        feature_file_attributes,
        video_id,
    )

    skipped = []
    attributes = feature_file_attributes(encoder.spec, encoder.feature_dim, rule)
    with FeatureFileWriter(out, attributes) as writer:
        for path in tqdm(paths, desc="videos", unit="video", disable=len(paths) < 2):
            try:
                features, duration = extract_video_features(
                    path, encoder, rule=rule, batch_size=batch_size, progress=True
                )
            except VideoReadError as error:
                tqdm.write(f"skipped: {error}", file=sys.stderr)
                skipped.append(path)
                continue
            writer.add(video_id(path), features, duration, source=path)
    extracted = len(paths) - len(skipped)
    if extracted:
        print(
            f"wrote {extracted} video{'s' if extracted != 1 else ''} to {writer.path} "
            f"(D = {encoder.feature_dim}, {rule.unit_seconds:g} s units, encoder {encoder.spec})"
        )
    if skipped:
        names = ", ".join(os.path.basename(path) for path in skipped)
        print(f"skipped {len(skipped)} of {len(paths)} videos: {names}", file=sys.stderr)
        if not extracted:
            print(f"no video could be read; {out} was not written", file=sys.stderr)
        return SKIPPED
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status (0, 1 when videos were skipped, 2 for a bad flag)."""
    import clear_tf  # noqa: F401  (selects the TF backend, quiets TensorFlow's start-up logging)

    args = parse_args(argv)
    try:
        return run(args)
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return USAGE_ERROR


if __name__ == "__main__":
    sys.exit(main())
