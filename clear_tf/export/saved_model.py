"""Exporting a trained CLEAR model as a SavedModel for TF Serving and the Python API.

Layout (``export_dir`` is TF Serving's *model base path*)::

    export_dir/
      1/                              one SavedModel per version (TF Serving serves the
        saved_model.pb                highest number it finds)
        variables/
        assets.extra/clear_config.json  what the graph bakes in: feature_dim, num_clips,
                                        inference settings, tokenizer length, full config

Signatures (all return dicts; M queries, N units of any length, D feature dims):

``serving_default`` (core TensorFlow ops only)
    ``features`` float32 [N, D], ``duration`` float32 [] (seconds),
    ``token_ids`` int32 [M, S] (``[CLS] … [SEP]`` then 0-padding) and ``padding_mask``
    int32 [M, S] (1 on real tokens) → ``start``, ``end``, ``score`` float32 [M, top_k].
``localize_text`` (tokenizer inside: needs TF Text ops)
    ``queries`` string [M], ``features``, ``duration`` → the same outputs.
``confidence_maps`` (TF Text ops)
    ``queries`` string [M], ``features`` → ``fine_scores`` float32 [M, L, L] (the fine
    head's probability of every candidate, 0 elsewhere) and ``candidate_mask`` int32
    [L, L] (1 on the model's candidate moments).

Outputs are best first; slots beyond the moments that survive the search and NMS hold
start = end = 0 and score = -inf. The search settings (method, tree, μ, ρ, NMS
threshold, top-k) are baked in from ``config.inference``.

The export is written to a hidden sibling folder and renamed into place, so a crash
never leaves a half-written version and TF Serving (which ignores non-numeric folder
names) never sees one.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import uuid

import numpy as np
import tensorflow as tf

from clear_tf.config import Config
from clear_tf.version import __version__

SERVING_SIGNATURE = "serving_default"
TEXT_SIGNATURE = "localize_text"
MAPS_SIGNATURE = "confidence_maps"
METADATA_PATH = os.path.join("assets.extra", "clear_config.json")
DEFAULT_VERSION = 1
_VERSION_NAME = re.compile(r"^[0-9]+$")


def export_saved_model(
    model,
    export_dir: str | os.PathLike,
    *,
    config: Config,
    version: int | None = DEFAULT_VERSION,
    text_endpoints: bool = True,
) -> str:
    """Writes ``model`` as SavedModel version ``version`` under ``export_dir``.

    Args:
        model: a built CLEAR model (``clear_tf.models.CLEAR``).
        export_dir: the model base path; the SavedModel goes to ``export_dir/<version>``.
        config: the run's config: ``data`` (resampling, normalisation, query length),
            ``model.text_preset`` (tokenizer) and ``inference`` (search settings).
        version: TF Serving version number. An existing version folder is replaced
            atomically; ``None`` writes the next free number (1 + the highest present),
            which a running TF Serving picks up as a new model version.
        text_endpoints: add ``localize_text`` and ``confidence_maps``. Without them
            the export holds core TensorFlow ops only and loads in any TensorFlow
            runtime, including ones built without TF Text.

    Returns:
        The path of the written SavedModel (``export_dir/<version>``).
    """
    import keras

    base = os.path.abspath(os.fspath(export_dir))
    os.makedirs(base, exist_ok=True)
    if version is None:
        version = next_version(base)
    if isinstance(version, bool) or not isinstance(version, int) or version < 0:
        raise ValueError(f"export version must be a non-negative integer, got {version!r}")
    target = os.path.join(base, str(version))

    archive = keras.export.ExportArchive()
    # No archive.track(model): on the TF backend it stores every weight a second time
    # (keras-team/keras#23553); the endpoints already track the variables they use.
    for name, (function, signature) in serving_functions(model, config, text_endpoints).items():
        archive.add_endpoint(name=name, fn=function, input_signature=signature)

    # A hidden name that TF Serving (which loads numeric folders only) never picks up;
    # mkdir rather than mkdtemp so that the folder gets the usual umask permissions
    # and a server running as another user can read it.
    staging = os.path.join(base, f".{version}.partial-{uuid.uuid4().hex[:8]}")
    os.mkdir(staging)
    try:
        archive.write_out(staging, verbose=False)
        _write_metadata(staging, metadata(model, config, text_endpoints))
        _publish(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def serving_functions(model, config: Config, text_endpoints: bool = True) -> dict:
    """The export's endpoints: name → (Python function, input signature).

    Every function checks its inputs in the graph (``tf.debugging.Assert``, a core op),
    so TF Serving answers a bad request with INVALID_ARGUMENT and a message that names
    the input, instead of a shape error from deep inside the model.
    """
    from clear_tf.inference import localize
    from clear_tf.inference.localize import encode_video, full_fine_logits

    feature_dim = feature_dim_of(model)
    options = inference_options(config)
    normalize = bool(config.data.normalize_features)
    candidate_mask = np.asarray(model.candidate_mask, dtype=bool)

    features_spec = tf.TensorSpec([None, feature_dim], tf.float32, name="features")
    duration_spec = tf.TensorSpec([], tf.float32, name="duration")
    queries_spec = tf.TensorSpec([None], tf.string, name="queries")

    def run_search(features, duration, token_ids, padding_mask):
        result = localize(
            model,
            features,
            token_ids,
            padding_mask,
            duration,
            normalize_features=normalize,
            **options,
        )
        return {name: result[name] for name in ("start", "end", "score")}

    def serving_default(features, duration, token_ids, padding_mask):
        checks = _video_checks(features, duration) + _token_checks(token_ids, padding_mask)
        with tf.control_dependencies(checks):
            features, token_ids, padding_mask = (
                tf.identity(features), tf.identity(token_ids), tf.identity(padding_mask)
            )
        return run_search(features, duration, token_ids, tf.cast(padding_mask, tf.bool))

    endpoints = {
        SERVING_SIGNATURE: (
            serving_default,
            [
                features_spec,
                duration_spec,
                tf.TensorSpec([None, None], tf.int32, name="token_ids"),
                tf.TensorSpec([None, None], tf.int32, name="padding_mask"),
            ],
        )
    }
    if not text_endpoints:
        return endpoints

    from clear_tf.data.query_tokenizer import QueryTokenizer

    tokenizer = QueryTokenizer(config.model.text_preset, config.data.max_query_tokens)

    def localize_text(queries, features, duration):
        checks = _video_checks(features, duration) + _query_checks(queries)
        with tf.control_dependencies(checks):
            features, queries = tf.identity(features), tf.identity(queries)
        token_ids, padding_mask = tokenizer(queries)
        return run_search(features, duration, token_ids, padding_mask)

    def confidence_maps(queries, features):
        checks = _query_checks(queries) + _video_checks(features, None)
        with tf.control_dependencies(checks):
            features, queries = tf.identity(features), tf.identity(queries)
        token_ids, padding_mask = tokenizer(queries)
        moment_map = encode_video(model, features, normalize)
        query_vectors = tf.cast(
            model.query_encoder(
                {"token_ids": token_ids, "padding_mask": padding_mask}, training=False
            ),
            tf.float32,
        )
        scores = tf.sigmoid(full_fine_logits(model, moment_map, query_vectors))
        mask = tf.constant(candidate_mask)
        return {
            "fine_scores": tf.where(mask, scores, tf.zeros_like(scores)),
            "candidate_mask": tf.cast(mask, tf.int32),
        }

    endpoints[TEXT_SIGNATURE] = (localize_text, [queries_spec, features_spec, duration_spec])
    endpoints[MAPS_SIGNATURE] = (confidence_maps, [queries_spec, features_spec])
    return endpoints


def inference_options(config: Config) -> dict:
    """The keyword arguments of ``clear_tf.inference.localize`` baked into the export."""
    inference = config.inference
    return {
        "method": inference.inference,
        "tree": inference.tree,
        "mu": float(inference.mu),
        "rho": float(inference.rho),
        "nms_threshold": float(inference.nms_threshold),
        "top_k": int(inference.top_k),
    }


def feature_dim_of(model) -> int:
    """D, the unit feature size the model's video encoder takes."""
    return int(model.video_encoder.inputs[0].shape[-1])


def metadata(model, config: Config, text_endpoints: bool) -> dict:
    """What ``assets.extra/clear_config.json`` records about an export."""
    feature_dim = feature_dim_of(model)
    signatures = {
        SERVING_SIGNATURE: {
            "inputs": {
                "features": ["float32", [None, feature_dim]],
                "duration": ["float32", []],
                "token_ids": ["int32", [None, None]],
                "padding_mask": ["int32", [None, None]],
            },
            "outputs": {name: ["float32", [None, config.inference.top_k]] for name in ("start", "end", "score")},
        }
    }
    if text_endpoints:
        signatures[TEXT_SIGNATURE] = {
            "inputs": {
                "queries": ["string", [None]],
                "features": ["float32", [None, feature_dim]],
                "duration": ["float32", []],
            },
            "outputs": signatures[SERVING_SIGNATURE]["outputs"],
        }
        signatures[MAPS_SIGNATURE] = {
            "inputs": {"queries": ["string", [None]], "features": ["float32", [None, feature_dim]]},
            "outputs": {
                "fine_scores": ["float32", [None, model.num_clips, model.num_clips]],
                "candidate_mask": ["int32", [model.num_clips, model.num_clips]],
            },
        }
    return {
        "clear_tf_version": __version__,
        "tensorflow_version": tf.__version__,
        "feature_dim": feature_dim,
        "num_pre_clips": int(config.data.num_pre_clips),
        "num_clips": int(model.num_clips),
        "normalize_features": bool(config.data.normalize_features),
        "max_query_tokens": int(config.data.max_query_tokens),
        "text_preset": config.model.text_preset,
        "inference": inference_options(config),
        "signatures": signatures,
        "config": config.to_dict(),
    }


def read_metadata(saved_model_dir: str) -> dict:
    """The ``clear_config.json`` of one exported SavedModel version."""
    path = os.path.join(saved_model_dir, METADATA_PATH)
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def resolve_version(export_dir: str | os.PathLike) -> str:
    """A SavedModel folder as given, or the highest numbered version under a base path.

    Raises:
        FileNotFoundError: naming the folder, when it holds neither.
    """
    export_dir = os.fspath(export_dir)
    if os.path.isfile(os.path.join(export_dir, "saved_model.pb")):
        return export_dir
    if not os.path.isdir(export_dir):
        raise FileNotFoundError(f"export folder {export_dir} does not exist")
    versions = _versions(export_dir)
    if not versions:
        raise FileNotFoundError(
            f"{export_dir} is neither a SavedModel (no saved_model.pb) nor a model base path "
            "with numbered version folders"
        )
    return os.path.join(export_dir, str(max(versions)))


def next_version(base: str) -> int:
    """1 + the highest numbered version folder under ``base`` (1 when there is none)."""
    return max(_versions(base), default=0) + 1


def _versions(base: str) -> list[int]:
    return [
        int(name)
        for name in os.listdir(base)
        if _VERSION_NAME.match(name) and os.path.isfile(os.path.join(base, name, "saved_model.pb"))
    ]


def _write_metadata(saved_model_dir: str, payload: dict) -> None:
    path = os.path.join(saved_model_dir, METADATA_PATH)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(payload, handle, indent=2, sort_keys=True)
        handle.write("\n")


def _publish(staging: str, target: str) -> None:
    """Moves the finished ``staging`` folder to ``target``, replacing an older export.

    Each step is a rename within one folder (atomic on POSIX): the old version is moved
    aside, the new one moved in, and the old one deleted. If moving the new one in
    fails, the old one is put back.
    """
    if not os.path.exists(target):
        os.rename(staging, target)
        return
    parent, name = os.path.split(target)
    previous = os.path.join(parent, f".{name}.previous-{uuid.uuid4().hex[:8]}")
    os.rename(target, previous)
    try:
        os.rename(staging, target)
    except BaseException:
        os.rename(previous, target)
        raise
    shutil.rmtree(previous, ignore_errors=True)


def _video_checks(features, duration) -> list:
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
                ["duration must be a positive number of seconds, got", duration],
            )
        )
    return checks


def _token_checks(token_ids, padding_mask) -> list:
    return [
        tf.debugging.Assert(
            tf.reduce_all(tf.equal(tf.shape(token_ids), tf.shape(padding_mask))),
            ["token_ids and padding_mask must have the same shape [M, S], got",
             tf.shape(token_ids), tf.shape(padding_mask)],
        ),
        tf.debugging.Assert(tf.shape(token_ids)[0] > 0, ["no queries: token_ids has no rows"]),
        tf.debugging.Assert(
            tf.reduce_all(tf.reduce_any(padding_mask > 0, axis=1)),
            ["every query needs at least one real token (a row of padding_mask is all 0)"],
        ),
    ]


def _query_checks(queries) -> list:
    return [
        tf.debugging.Assert(tf.size(queries) > 0, ["no queries: give at least one query"]),
        tf.debugging.Assert(
            tf.reduce_all(tf.strings.length(tf.strings.strip(queries)) > 0),
            ["queries must not be empty strings"],
        ),
    ]
