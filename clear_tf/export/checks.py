"""Input checks inside the exported graph (``tf.debugging.Assert``, a core op).

TF Serving answers a bad request with INVALID_ARGUMENT and a message that names the
input, instead of a shape error from deep inside the model. ``Localizer`` turns the
same failures into ``InvalidRequestError`` (``assertion_message``).
"""

from __future__ import annotations

import tensorflow as tf


def video_checks(features, duration) -> list:
    checks = [
        tf.debugging.Assert(
            tf.shape(features)[0] > 0, ["features: the video has no units (shape [0, D])"]
        ),
        tf.debugging.Assert(
            tf.reduce_all(tf.math.is_finite(features)), ["features contain NaN or Inf"]
        ),
    ]
    if duration is not None:
        checks.append(
            tf.debugging.Assert(
                tf.math.is_finite(duration) & (duration > 0.0),
                ["duration must be a positive number of seconds that fits a float32 "
                 "(at most 3.4e38; larger values arrive as inf), got", duration],
            )
        )
    return checks


def token_checks(token_ids, padding_mask) -> list:
    return [
        tf.debugging.Assert(
            tf.reduce_all(tf.equal(tf.shape(token_ids), tf.shape(padding_mask))),
            ["token_ids and padding_mask must have the same shape [M, S], got",
             tf.shape(token_ids), tf.shape(padding_mask)],
        ),
        tf.debugging.Assert(tf.shape(token_ids)[0] > 0, ["no queries: token_ids has no rows"]),
        tf.debugging.Assert(
            tf.reduce_all(token_ids >= 0),
            ["token_ids must be vocabulary ids (>= 0), got", tf.reduce_min(token_ids)],
        ),
        tf.debugging.Assert(
            tf.reduce_all(tf.reduce_any(padding_mask > 0, axis=1)),
            ["every query needs at least one real token (a row of padding_mask is all 0)"],
        ),
    ]


def query_checks(queries) -> list:
    return [
        tf.debugging.Assert(tf.size(queries) > 0, ["no queries: give at least one query"]),
        tf.debugging.Assert(
            tf.reduce_all(tf.strings.length(tf.strings.strip(queries)) > 0),
            ["queries must not be empty strings"],
        ),
    ]


def assertion_message(error: Exception) -> str:
    """The text of a failed ``tf.debugging.Assert`` above, without the graph's node trace.

    ``InvalidArgumentError: assertion failed: [duration must be ...] [inf]`` becomes
    ``duration must be ... inf``.
    """
    text = getattr(error, "message", None) or str(error)
    _, found, rest = text.partition("assertion failed:")
    first = (rest if found else text).strip().splitlines()[0] if (rest if found else text).strip() else text
    parts = [part.strip() for part in first.replace("] [", "]\0[").split("\0")]
    return " ".join(part[1:-1] if part.startswith("[") and part.endswith("]") else part for part in parts).strip()
