"""Localize queries in one video with an exported model; one JSON line per query.

    python -m clear_tf.localize --export_dir=runs/demo/export \\
        --features=video.npy --duration=42.0 \\
        --query "a person opens the fridge" --query "they pour the milk" \\
        [--queries_file=queries.txt] [--top_k=5] [--plot=out.png]

``--features`` is a ``.npy`` file [T, D] or ``file.hdf5:video_key`` (TACoS layout: a
dataset per video, key with or without ``.avi``; ActivityNet layout: a group per
video holding ``c3d_features``). ``--export_dir`` is a SavedModel version folder or the
model base path (the highest version is used).

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
import sys

USAGE_ERROR = 2


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m clear_tf.localize",
        description="Localize natural-language queries in one video with an exported CLEAR model.",
    )
    parser.add_argument("--export_dir", required=True, help="SavedModel folder or model base path.")
    parser.add_argument(
        "--features", required=True, help="path.npy, or path.hdf5:video_key (TACoS / ActivityNet layout)."
    )
    parser.add_argument("--duration", type=float, required=True, help="The video's length in seconds.")
    parser.add_argument(
        "--query", action="append", default=[], help="A query sentence (repeat for several)."
    )
    parser.add_argument("--queries_file", help="A text file with one query per line.")
    parser.add_argument("--top_k", type=int, help="Moments per query (default: the export's top_k).")
    parser.add_argument("--plot", help="Also write a PNG of the timeline and confidence maps here.")
    return parser.parse_args(argv)


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
        feature_dim = read_metadata(saved_model_dir)["feature_dim"]
    except FileNotFoundError as error:
        raise InvalidRequestError(f"--export_dir: {error}") from None
    features = load_features(args.features)
    # Checked before the (slow) model load, so a bad request fails fast.
    features, duration, queries = check_request(
        features, args.duration, queries, feature_dim=feature_dim, source=args.features
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
