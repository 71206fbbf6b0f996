"""Constants and helpers shared by the export tests (a module name no other test folder uses)."""

import os
import subprocess
import sys

import numpy as np

FEATURE_DIM = 8
TOP_K = 3
MAX_QUERY_TOKENS = 12
QUERIES = ["a person cuts the bread", "the man washes the knife again at the sink"]
DURATION = 30.0


def tiny_config():
    from clear_tf.config import Config
    from tiny_text_preset import tiny_text_preset

    config = Config()
    config.model.text_preset = tiny_text_preset()
    config.data.num_pre_clips = 16
    config.data.num_clips = 8
    config.data.max_query_tokens = MAX_QUERY_TOKENS
    config.model.hidden_dim = 16
    config.model.tcn_channels = [16]
    config.model.tree_depth = 2
    # The TACoS flagfiles' fine head: the export must carry its clip evidence, which the
    # pruned search adds at the kept cells only.
    config.model.fine_clip_evidence = True
    # A fine score picked on val (not the trained logit): every signature must serve it.
    config.model.evidence_threshold = "1"
    config.model.fine_mlp_weight = 0.5
    config.inference.top_k = TOP_K
    config.inference.nms_threshold = 0.4
    return config


def video_features(num_units: int = 23, seed: int = 0) -> np.ndarray:
    """Raw unit features of a length the export has to resample (23 → 16)."""
    return np.random.default_rng(seed).standard_normal((num_units, FEATURE_DIM)).astype(np.float32)


def run_python(code: str, *args: str, timeout: int = 120) -> subprocess.CompletedProcess:
    """Runs ``code`` in a fresh interpreter (the venv's) and returns the finished process."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=timeout, env=env
    )


def picked_fine_probabilities(model, config, features, token_ids, padding_mask) -> np.ndarray:
    """sigmoid of the fine score the export is configured with, on every cell [M, L, L]."""
    import tensorflow as tf

    from clear_tf.data.resample import resample_features
    from clear_tf.models.clear import search

    units = resample_features(tf.constant(features), config.data.num_pre_clips)
    video = model.encode_video(units)
    queries = model.encode_queries(tf.constant(token_ids), tf.constant(padding_mask, tf.bool))
    options = type(model).search_options(config.model)  # the flag values parsed as the export does
    logits = search.full_fine_logits(
        model, video, queries, options["evidence_threshold"], options["fine_mlp_weight"]
    )
    return tf.sigmoid(logits).numpy()
