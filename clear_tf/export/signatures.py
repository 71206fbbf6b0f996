"""The export's serving signatures, written once for every ``MomentLocalizer``.

Signatures (all return dicts; M queries, N units of any length, D feature dims):

``serving_default`` (core TensorFlow ops only)
    ``features`` float32 [N, D], ``duration`` float32 [] (seconds),
    ``token_ids`` int32 [M, S] (``[CLS] … [SEP]`` then 0-padding) and ``padding_mask``
    int32 [M, S] (1 on real tokens) → ``start``, ``end``, ``score`` float32 [M, top_k].
``localize_text`` (tokenizer inside: needs TF Text ops)
    ``queries`` string [M], ``features``, ``duration`` → the same outputs.
``confidence_maps`` (TF Text ops)
    ``queries`` string [M], ``features`` → ``fine_scores`` float32 [M, L, L] (the
    model's confidence in every candidate, 0 elsewhere) and ``candidate_mask`` int32
    [L, L] (1 on the model's candidate moments).

Outputs are best first; slots beyond the moments that survive the search and NMS hold
start = end = 0 and score = -inf. The method and its search options, the NMS threshold
and top-k are baked in from the config.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from clear_tf.config import Config
from clear_tf.export.checks import query_checks, token_checks, video_checks

SERVING_SIGNATURE = "serving_default"
TEXT_SIGNATURE = "localize_text"
MAPS_SIGNATURE = "confidence_maps"
OUTPUTS = ("start", "end", "score")


def inference_options(model, config: Config) -> dict:
    """The keyword arguments of ``model.localize`` baked into the export."""
    method = config.inference_method
    search = {
        name: value
        for name, value in type(model).search_options(config.model).items()
        if model.uses_option(method, name)
    }
    return {
        "method": method,
        "nms_threshold": float(config.inference.nms_threshold),
        "top_k": int(config.inference.top_k),
        **search,
    }


def serving_functions(model, config: Config, text_endpoints: bool = True) -> dict:
    """The export's endpoints: name → (Python function, input signature).

    Every function checks its inputs in the graph (``clear_tf.export.checks``).
    """
    options = inference_options(model, config)
    map_options = model.map_options(options)
    normalize = bool(config.data.normalize_features)
    features_spec = tf.TensorSpec([None, model.feature_dim], tf.float32, name="features")
    duration_spec = tf.TensorSpec([], tf.float32, name="duration")
    queries_spec = tf.TensorSpec([None], tf.string, name="queries")

    def run_search(features, duration, token_ids, padding_mask):
        result = model.localize(
            features, token_ids, padding_mask, duration, normalize_features=normalize, **options
        )
        return {name: result[name] for name in OUTPUTS}

    def serving_default(features, duration, token_ids, padding_mask):
        checks = video_checks(features, duration) + token_checks(token_ids, padding_mask)
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
        checks = video_checks(features, duration) + query_checks(queries)
        with tf.control_dependencies(checks):
            features, queries = tf.identity(features), tf.identity(queries)
        token_ids, padding_mask = tokenizer(queries)
        return run_search(features, duration, token_ids, padding_mask)

    def confidence_maps(queries, features):
        checks = query_checks(queries) + video_checks(features, None)
        with tf.control_dependencies(checks):
            features, queries = tf.identity(features), tf.identity(queries)
        token_ids, padding_mask = tokenizer(queries)
        return {
            "fine_scores": model.confidence_maps(features, token_ids, padding_mask, normalize, **map_options),
            "candidate_mask": tf.constant(np.asarray(model.candidate_mask, dtype=np.int32)),
        }

    endpoints[TEXT_SIGNATURE] = (localize_text, [queries_spec, features_spec, duration_spec])
    endpoints[MAPS_SIGNATURE] = (confidence_maps, [queries_spec, features_spec])
    return endpoints


def signature_descriptions(model, config: Config, text_endpoints: bool) -> dict:
    """Inputs and outputs of every signature (dtype, shape), as the metadata records them."""
    feature_dim, top_k, num_clips = model.feature_dim, config.inference.top_k, model.num_clips
    outputs = {name: ["float32", [None, top_k]] for name in OUTPUTS}
    signatures = {
        SERVING_SIGNATURE: {
            "inputs": {
                "features": ["float32", [None, feature_dim]],
                "duration": ["float32", []],
                "token_ids": ["int32", [None, None]],
                "padding_mask": ["int32", [None, None]],
            },
            "outputs": outputs,
        }
    }
    if text_endpoints:
        signatures[TEXT_SIGNATURE] = {
            "inputs": {
                "queries": ["string", [None]],
                "features": ["float32", [None, feature_dim]],
                "duration": ["float32", []],
            },
            "outputs": outputs,
        }
        signatures[MAPS_SIGNATURE] = {
            "inputs": {"queries": ["string", [None]], "features": ["float32", [None, feature_dim]]},
            "outputs": {
                "fine_scores": ["float32", [None, num_clips, num_clips]],
                "candidate_mask": ["int32", [num_clips, num_clips]],
            },
        }
    return signatures
