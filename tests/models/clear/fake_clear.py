"""A tiny stand-in for the CLEAR model exposing the sub-model interface of ARCHITECTURE.md.

CLEAR's inference (``MomentLocalizer.localize`` with CLEAR's ``encode_video``,
``encode_queries`` and ``score_candidates``) only needs ``video_encoder``,
``query_encoder``, ``fine_head`` and a few attributes; this fake builds them from small
Keras layers and borrows CLEAR's real inference methods, so the search tests do not
depend on the model's training-time details.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

from clear_tf import moments
from clear_tf.models import MomentLocalizer
from clear_tf.models.clear import CLEAR
from clear_tf.models.clear.clip_evidence import ClipEvidence

NUM_CLIPS = 8
UNITS_PER_CLIP = 2
FEATURE_DIM = 6
HIDDEN_DIM = 4
VOCABULARY = 20


class MomentMapAverage(keras.layers.Layer):
    """[B, L, d] clip features → [B, L, L, d]: mean over clips i..j, zeros where i > j.

    (The real model max-pools; the mean makes a parent's score less predictable from its
    children's, so the fake's searches descend, straddle and stop in varied ways.)
    """

    def call(self, clips):
        num_clips = clips.shape[1]
        zeros = tf.zeros_like(clips[:, 0])
        rows = []
        for i in range(num_clips):
            cells = [zeros] * i + [
                tf.reduce_mean(clips[:, i : j + 1], axis=1) for j in range(i, num_clips)
            ]
            rows.append(tf.stack(cells, axis=1))
        return tf.stack(rows, axis=1)


class MaskedMean(keras.layers.Layer):
    """Mean of token embeddings over the real tokens."""

    def call(self, embeddings, padding_mask):
        weights = tf.cast(padding_mask, embeddings.dtype)[..., tf.newaxis]
        return tf.reduce_sum(embeddings * weights, axis=1) / tf.maximum(
            tf.reduce_sum(weights, axis=1), 1.0
        )


class PointwiseHead(keras.Model):
    """[..., d] → [...]: a two-layer MLP on the last axis (any leading shape)."""

    def __init__(self, hidden_dim, **kwargs):
        super().__init__(**kwargs)
        self.hidden = keras.layers.Dense(hidden_dim, activation="relu")
        self.logit = keras.layers.Dense(1)

    def call(self, fused):
        return tf.squeeze(self.logit(self.hidden(fused)), axis=-1)


class ConvHead(keras.Model):
    """[M, L, L, d] → [M, L, L]: a 3×3 convolution then a 1×1 logit layer."""

    def __init__(self, hidden_dim, **kwargs):
        super().__init__(**kwargs)
        self.hidden = keras.layers.Conv2D(hidden_dim, 3, padding="same", activation="relu")
        self.logit = keras.layers.Conv2D(1, 1)

    def call(self, fused):
        return tf.squeeze(self.logit(self.hidden(fused)), axis=-1)


@dataclass
class FakeClear:
    """The attributes and sub-models CLEAR's inference reads, with CLEAR's inference methods."""

    video_encoder: keras.Model
    query_encoder: keras.Model
    fine_head: keras.Model
    num_clips: int
    num_pre_clips: int
    feature_dim: int
    hidden_dim: int
    tree_depth: int
    candidate_mask: np.ndarray
    fine_head_type: str
    clip_evidence: keras.layers.Layer | None = None

    inference_methods = CLEAR.inference_methods
    localize = MomentLocalizer.localize
    rank_moments = MomentLocalizer.rank_moments
    valid_candidates = MomentLocalizer.valid_candidates
    encode_video = CLEAR.encode_video
    encode_queries = CLEAR.encode_queries
    score_candidates = CLEAR.score_candidates


def build_fake_clear(fine_head_type: str = "mlp", seed: int = 0, clip_evidence: bool = False) -> FakeClear:
    """A fake with L = 8, d = 4, P = 3 and an "mlp" (pointwise) or "conv" fine head.

    With ``clip_evidence`` its fine logits add CLEAR's ``ClipEvidence`` (scale 0.7 and
    threshold 0.3, not the initial 1 and 1, so that a swapped weight shows).
    """
    keras.utils.set_random_seed(seed)
    features = keras.Input((NUM_CLIPS * UNITS_PER_CLIP, FEATURE_DIM))
    clips = keras.layers.AveragePooling1D(UNITS_PER_CLIP)(features)
    # Wide initialisations spread the scores, so rankings in the tests have no near-ties.
    wide = keras.initializers.RandomNormal(stddev=1.0)
    clips = keras.layers.Dense(HIDDEN_DIM, activation="tanh", kernel_initializer=wide)(clips)
    moment_map = MomentMapAverage()(clips)
    moment_map = keras.layers.Dense(HIDDEN_DIM, activation="tanh", kernel_initializer=wide)(
        moment_map
    )
    moment_map = moment_map * moments.valid_mask(NUM_CLIPS)[None, :, :, None].astype("float32")
    video_encoder = keras.Model(features, moment_map)

    token_ids = keras.Input((None,), dtype="int32", name="token_ids")
    padding_mask = keras.Input((None,), dtype="bool", name="padding_mask")
    embedded = keras.layers.Embedding(VOCABULARY, HIDDEN_DIM, embeddings_initializer=wide)(
        token_ids
    )
    sentence = MaskedMean()(embedded, padding_mask)
    # No ReLU, unlike the real QRN: signed queries make the fake's searches more varied.
    query = keras.layers.Dense(HIDDEN_DIM, kernel_initializer=wide)(sentence)
    query_encoder = keras.Model({"token_ids": token_ids, "padding_mask": padding_mask}, query)

    head = PointwiseHead(HIDDEN_DIM) if fine_head_type == "mlp" else ConvHead(HIDDEN_DIM)
    head(tf.zeros([1, NUM_CLIPS, NUM_CLIPS, HIDDEN_DIM]))
    evidence = None
    if clip_evidence:
        evidence = ClipEvidence(initial_scale=0.7, initial_threshold=0.3)
        evidence.build((None, NUM_CLIPS))
    return FakeClear(
        video_encoder=video_encoder,
        query_encoder=query_encoder,
        fine_head=head,
        num_clips=NUM_CLIPS,
        num_pre_clips=NUM_CLIPS * UNITS_PER_CLIP,
        feature_dim=FEATURE_DIM,
        hidden_dim=HIDDEN_DIM,
        tree_depth=3,
        candidate_mask=moments.valid_mask(NUM_CLIPS),
        fine_head_type=fine_head_type,
        clip_evidence=evidence,
    )


def random_video(num_units: int, num_queries: int, seed: int = 0):
    """Features [N, D], token ids and padding mask [M, 5] for a fake model."""
    rng = np.random.default_rng(seed)
    features = rng.normal(size=(num_units, FEATURE_DIM)).astype("float32")
    token_ids = rng.integers(1, VOCABULARY, size=(num_queries, 5)).astype("int32")
    padding_mask = np.ones((num_queries, 5), dtype=bool)
    padding_mask[:, 4] = False
    return features, token_ids, padding_mask
