"""Localize queries in one video with an exported model; one JSON line per query.

    python -m clear_tf.localize --export_dir=runs/demo/export \\
        --features=video.npy --duration=42.0 \\
        --query "a person opens the fridge" --query "they pour the milk" \\
        [--queries_file=queries.txt] [--top_k=5] [--plot=out.png]

    python -m clear_tf.localize --export_dir=runs/mine/export --video=my.mp4 \\
        --query "a person opens the fridge" [--plot=out.png]

``--features`` is a ``.npy`` file [T, D] or ``file.hdf5:video_key`` (TACoS layout: a
dataset per video, key with or without ``.avi``; ActivityNet layout: a group per
video holding ``c3d_features``). ``--export_dir`` is a SavedModel version folder or the
model base path (the highest version is used).

``--video`` takes a video file instead: its unit features are extracted as
``python -m clear_tf.extract_features`` does, with the image encoder recorded in the
export (``config.data.feature_encoder``), and its duration is the video's own.
``--frames_per_second`` and ``--unit_seconds`` should match the extraction of the
training features: they default to the ``frames_per_second`` and ``unit_seconds`` of
the metadata's ``feature_attributes`` (the training feature file's root attributes)
where the export records them, else to the extractor's defaults (2 and 1). The export
resamples every video to the same number of units, so they matter less than the encoder.

Each output line is ``{"query": ..., "moments": [{"start": s, "end": s, "score": p},
...]}``, best first. A bad request prints ``error: <what is wrong>`` on stderr and
exits with status 2 (the status argparse uses for bad arguments), without a traceback.

The command line is parsed with argparse rather than absl: it shares no flag with
training, takes repeated ``--query`` values, and ``main(argv)`` returns an exit status,
so tests drive it in-process.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np

USAGE_ERROR = 2
VIDEO_ONLY_FLAGS = ("frames_per_second", "unit_seconds", "batch_size")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m clear_tf.localize",
        description="Localize natural-language queries in one video with an exported CLEAR model.",
    )
    parser.add_argument("--export_dir", required=True, help="SavedModel folder or model base path.")
    parser.add_argument(
        "--features", help="path.npy, or path.hdf5:video_key (TACoS / ActivityNet layout)."
    )
    parser.add_argument(
        "--video",
        help="A video file instead of --features: extracted with the export's feature encoder.",
    )
    parser.add_argument(
        "--duration", type=float, help="The video's length in seconds (with --features)."
    )
    parser.add_argument(
        "--query", action="append", default=[], help="A query sentence (repeat for several)."
    )
    parser.add_argument("--queries_file", help="A text file with one query per line.")
    parser.add_argument("--top_k", type=int, help="Moments per query (default: the export's top_k).")
    parser.add_argument("--plot", help="Also write a PNG of the timeline and confidence maps here.")
    parser.add_argument(
        "--frames_per_second",
        type=float,
        help="With --video: frames sampled per second (default: the export's record, else 2).",
    )
    parser.add_argument(
        "--unit_seconds", type=float, help="With --video: seconds per unit (default: the export's record, else 1)."
    )
    parser.add_argument(
        "--batch_size", type=int, help="With --video: frames per encoder call (default: the extractor's, 32)."
    )
    args = parser.parse_args(argv)
    if (args.features is None) == (args.video is None):
        parser.error("give exactly one of --features and --video")
    if args.features is not None:
        if args.duration is None:
            parser.error("--duration is required with --features")
        for name in VIDEO_ONLY_FLAGS:
            if getattr(args, name) is not None:
                parser.error(f"--{name} is only used with --video")
    elif args.duration is not None:
        parser.error("--duration is not used with --video (the video's own length is)")
    return args


def run(args: argparse.Namespace) -> list[dict]:
    """Answers one request; raises ``InvalidRequestError`` for a bad one."""
    from clear_tf.export import (
        InvalidRequestError,
        check_request,
        load_features,
        read_metadata,
        read_queries_file,
        resolve_version,
    )

    queries = list(args.query)
    if args.queries_file:
        queries += read_queries_file(args.queries_file)
    try:
        saved_model_dir = resolve_version(args.export_dir)
        metadata = read_metadata(saved_model_dir)
    except FileNotFoundError as error:
        raise InvalidRequestError(f"--export_dir: {error}") from None
    feature_dim = metadata["feature_dim"]
    if args.video is not None:
        # The queries are checked before the (slow) extraction, with a stand-in video.
        check_request(np.zeros((1, feature_dim), np.float32), 1.0, queries, feature_dim=feature_dim)
        features, duration = video_features(args, metadata, saved_model_dir)
        source = args.video
    else:
        features, duration, source = load_features(args.features), args.duration, args.features
    # Checked before the (slow) model load, so a bad request fails fast.
    features, duration, queries = check_request(
        features, duration, queries, feature_dim=feature_dim, source=source
    )

    from clear_tf.export import Localizer

    localizer = Localizer(saved_model_dir)
    results = localizer.localize(features, duration, queries, top_k=args.top_k)
    if args.plot:
        from clear_tf.plots import plot_localization

        plot_localization(
            duration,
            queries,
            [result["moments"] for result in results],
            confidence_maps=localizer.confidence_maps(features, duration, queries),
            path=args.plot,
        )
    return results


def recorded_feature_encoder(metadata: dict) -> str:
    """The encoder spec the export's training features came from ("" when unknown).

    Read from the export's config (``config.data.feature_encoder``), or from the
    metadata's top-level ``feature_encoder`` where the export writes one.
    """
    data = (metadata.get("config") or {}).get("data") or {}
    spec = metadata.get("feature_encoder") or data.get("feature_encoder") or ""
    return str(spec).strip()


def video_features(args: argparse.Namespace, metadata: dict, saved_model_dir: str) -> tuple[np.ndarray, float]:
    """The unit features [T, D] and duration of ``--video``, with the export's encoder.

    Raises:
        InvalidRequestError: the video is missing or unreadable, the export records no
            encoder, the encoder cannot be loaded or its D is not the model's.
    """
    from clear_tf.export import InvalidRequestError
    from clear_tf.video import (
        DEFAULT_BATCH_SIZE,
        DEFAULT_FRAMES_PER_SECOND,
        DEFAULT_UNIT_SECONDS,
        EncoderError,
        UnitRule,
        VideoReadError,
        extract_video_features,
        load_image_encoder,
    )

    if not os.path.isfile(args.video):
        raise InvalidRequestError(f"--video: {args.video} does not exist")
    encoder_spec = recorded_feature_encoder(metadata)
    if not encoder_spec:
        raise InvalidRequestError(
            f"--video: the export {saved_model_dir} was trained on features of unknown origin "
            "(its config records no data.feature_encoder); pass --features"
        )
    # The training features' unit rule, where the export records the feature file's
    # root attributes (``feature_attributes``); else the extractor's defaults.
    recorded = metadata.get("feature_attributes") or {}
    frames_per_second = args.frames_per_second
    if frames_per_second is None:
        frames_per_second = recorded.get("frames_per_second", DEFAULT_FRAMES_PER_SECOND)
    unit_seconds = args.unit_seconds
    if unit_seconds is None:
        unit_seconds = recorded.get("unit_seconds", DEFAULT_UNIT_SECONDS)
    try:
        rule = UnitRule(float(frames_per_second), float(unit_seconds))
    except (TypeError, ValueError) as error:
        raise InvalidRequestError(str(error)) from None
    batch_size = DEFAULT_BATCH_SIZE if args.batch_size is None else args.batch_size
    if batch_size < 1:
        raise InvalidRequestError(f"--batch_size must be a positive integer, got {batch_size}")
    try:
        encoder = load_image_encoder(encoder_spec)
    except EncoderError as error:
        raise InvalidRequestError(f"--video: the export's feature encoder: {error}") from None
    feature_dim = int(metadata["feature_dim"])
    if encoder.feature_dim != feature_dim:
        raise InvalidRequestError(
            f"--video: the export's feature encoder {encoder_spec} gives {encoder.feature_dim}-d "
            f"features but the model expects D = {feature_dim}"
        )
    try:
        return extract_video_features(args.video, encoder, rule=rule, batch_size=batch_size, progress=True)
    except VideoReadError as error:
        raise InvalidRequestError(str(error)) from None


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status (0, or 2 for a bad request)."""
    import clear_tf  # noqa: F401  (quiets TensorFlow's start-up logging)
    from clear_tf.export import InvalidRequestError

    args = parse_args(argv)
    try:
        results = run(args)
    except InvalidRequestError as error:
        print(f"error: {error}", file=sys.stderr)
        return USAGE_ERROR
    for result in results:
        print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
