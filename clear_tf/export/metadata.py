"""``assets.extra/clear_config.json``: what an export bakes in, for clients and for TF Serving users."""

from __future__ import annotations

import json
import os

import tensorflow as tf

from clear_tf.config import Config
from clear_tf.export.signatures import inference_options, signature_descriptions
from clear_tf.version import __version__

METADATA_PATH = os.path.join("assets.extra", "clear_config.json")


def metadata(model, config: Config, text_endpoints: bool) -> dict:
    """The metadata of an export: model, sizes, tokenizer, search settings, signatures, config.

    ``feature_encoder`` is ``--feature_encoder``, or else what the dataset records (a
    ``moment_features`` dataset built from ``extract_features`` output), so that
    ``python -m clear_tf.localize --video`` extracts the same features;
    ``feature_attributes`` carries the feature file's unit rule when the dataset has one.
    """
    from clear_tf import dataset_info

    features = dataset_info.feature_metadata(config)
    return {
        "clear_tf_version": __version__,
        "tensorflow_version": tf.__version__,
        "model": config.model_name,
        "feature_dim": int(model.feature_dim),
        "feature_encoder": config.data.feature_encoder or features.get("feature_encoder", ""),
        "feature_attributes": features.get("feature_attributes", {}),
        "num_pre_clips": int(config.data.num_pre_clips),
        "num_clips": int(model.num_clips),
        "normalize_features": bool(config.data.normalize_features),
        "max_query_tokens": int(config.data.max_query_tokens),
        "text_preset": config.model.text_preset,
        "inference": inference_options(model, config),
        "signatures": signature_descriptions(model, config, text_endpoints),
        "config": config.to_dict(),
    }


def read_metadata(saved_model_dir: str) -> dict:
    """The metadata of one exported SavedModel version."""
    path = os.path.join(saved_model_dir, METADATA_PATH)
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def write_metadata(saved_model_dir: str, payload: dict) -> None:
    path = os.path.join(saved_model_dir, METADATA_PATH)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(payload, handle, indent=2, sort_keys=True)
        handle.write("\n")
