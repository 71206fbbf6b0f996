"""The model contract's proof: a toy model defined in this file alone goes through the
unchanged generic code — training, evaluation, export, the ``Localizer`` and
``python -m clear_tf.localize``.

The toy scores a candidate by the dot product of its max-pooled clip features with
the projected sentence vector; it is trained with the shared BCE on rescaled IoU.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from clear_tf import text_presets
from clear_tf.config import Config, ModelConfig, config_field, config_from_values, validate
from clear_tf.layers import CandidateMask, ClipPooling, MomentMap, SentenceEncoder
from clear_tf.losses import FineAlignmentLoss
from clear_tf.model_stats import count_parameters
from clear_tf.models import MomentLocalizer, register_model

pytestmark = pytest.mark.slow


@dataclasses.dataclass
class ToyConfig(ModelConfig):
    """``--model=toy``."""

    toy_dim: int = config_field(8, "Width of the toy's clip and query vectors.")


@keras.saving.register_keras_serializable(package="clear_tf_tests")
class ToyScores(keras.layers.Layer):
    """⟨q, c⟩ / √d for every query slot and cell: [B, K, d] × [B, L, L, d] → [B, K, L, L]."""

    def call(self, queries, moment_map):
        scale = float(queries.shape[-1]) ** 0.5
        return tf.einsum("bkd,bijd->bkij", queries, moment_map) / scale


@keras.saving.register_keras_serializable(package="clear_tf_tests")
class ToyLocalizer(MomentLocalizer):
    """Candidate score = ⟨max-pooled clips i..j, q⟩ / √d, BCE on the IoU map."""

    config_class = ToyConfig
    inference_methods = ("toy",)
    method_options = {"toy": ()}
    validation_method = "toy"

    def __init__(self, text_backbone, feature_dim, num_pre_clips, num_clips, toy_dim, **kwargs):
        features = keras.Input((num_pre_clips, feature_dim), name="features")
        clips = keras.layers.Dense(toy_dim, name="clip_projection")(features)
        moment_map = MomentMap(name="moment_map")(ClipPooling(num_clips, "average", name="clips")(clips))
        video_encoder = keras.Model(features, moment_map, name="video_encoder")
        sentence_encoder = SentenceEncoder(text_backbone, toy_dim, name="sentence_encoder")
        token_inputs = {
            "token_ids": keras.Input((None,), dtype="int32", name="token_ids"),
            "padding_mask": keras.Input((None,), dtype="int32", name="padding_mask"),
        }
        query_encoder = keras.Model(token_inputs, sentence_encoder(token_inputs), name="query_encoder")
        inputs = {
            "features": keras.Input((num_pre_clips, feature_dim), name="features"),
            "token_ids": keras.Input((None, None), dtype="int32", name="token_ids"),
            "padding_mask": keras.Input((None, None), dtype="int32", name="padding_mask"),
        }
        queries = sentence_encoder({"token_ids": inputs["token_ids"], "padding_mask": inputs["padding_mask"]})
        scores = ToyScores(name="scores")(queries, video_encoder(inputs["features"]))
        logits = CandidateMask(fill_value=-1e4, channels_last=False, name="logits")(scores)
        super().__init__(inputs=inputs, outputs={"logits": logits}, **kwargs)
        self.text_backbone = text_backbone
        self.feature_dim, self.num_pre_clips, self.num_clips, self.toy_dim = (
            feature_dim, num_pre_clips, num_clips, toy_dim,
        )
        self.video_encoder, self.query_encoder = video_encoder, query_encoder
        self.candidate_mask = np.triu(np.ones((num_clips, num_clips), bool))

    def get_config(self):
        return {
            "name": self.name,
            "text_backbone": keras.layers.serialize(self.text_backbone),
            "feature_dim": self.feature_dim,
            "num_pre_clips": self.num_pre_clips,
            "num_clips": self.num_clips,
            "toy_dim": self.toy_dim,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**{**config, "text_backbone": keras.layers.deserialize(config["text_backbone"])})

    @classmethod
    def from_run_config(cls, config, feature_dim):
        return cls(
            text_presets.load_backbone(config.model.text_preset),
            feature_dim,
            config.data.num_pre_clips,
            config.data.num_clips,
            config.model.toy_dim,
        )

    @classmethod
    def training_targets(cls, batch, config):
        return {"logits": batch["iou_map"]}

    @classmethod
    def build_losses(cls, config):
        return {"logits": FineAlignmentLoss(0.3, 0.7)}, {"logits": 1.0}

    def encode_video(self, features):
        return self.video_encoder(features[tf.newaxis], training=False)[0]

    def encode_queries(self, token_ids, padding_mask):
        return self.query_encoder({"token_ids": token_ids, "padding_mask": padding_mask}, training=False)

    def score_maps(self, video, queries):
        scores = tf.sigmoid(tf.einsum("md,ijd->mij", queries, video) / float(self.toy_dim) ** 0.5)
        return tf.where(self.valid_candidates(tf.shape(queries)[0]), scores, tf.zeros_like(scores))

    def score_candidates(self, video, queries, *, method):
        num_queries = tf.shape(queries)[0]
        return self.score_maps(video, queries), self.valid_candidates(num_queries), tf.ones([num_queries])

    def model_stats(self, num_tokens=32):
        total = count_parameters(self.weights)
        return {"parameters": {"total": total}, "flops_per_video": {"total": 0}, "flops_per_query": {"total": 0}}


register_model("toy", ToyLocalizer)


@pytest.fixture(scope="module")
def toy_config(tmp_path_factory, tiny_text_preset):
    run_dir = tmp_path_factory.mktemp("toy_run")
    config = config_from_values(
        {
            "model": "toy",
            "toy_dim": 8,
            "text_preset": tiny_text_preset,
            "data_dir": str(tmp_path_factory.mktemp("tfds")),
            "num_pre_clips": 16,
            "num_clips": 8,
            "queries_per_video": 2,
            "max_query_tokens": 16,
            "batch_size": 4,
            "val_split": "val[:4]",
            "test_split": "test[:4]",
            "epochs": 2,
            "steps_per_epoch": 3,
            "run_dir": str(run_dir),
            "num_plot_queries": 1,
        }
    )
    validate(config)
    return config


def test_a_flag_of_another_model_is_an_error():
    with pytest.raises(ValueError, match="--tree belongs to --model=clear, not to --model=toy"):
        config_from_values({"model": "toy", "tree": "paper"})
    assert isinstance(Config(model_name="toy").model, ToyConfig)


def test_the_toy_trains_evaluates_exports_and_localizes(toy_config):
    from clear_tf.evaluation.run import run_evaluation
    from clear_tf.export import Localizer
    from clear_tf.run_dir import RunDir
    from clear_tf.training import train

    results = train(toy_config)
    run = RunDir(toy_config.train.run_dir)
    assert results["model"] == "toy" and results["inference"] == "toy" and results["num_queries"] > 0
    assert results["epochs_run"] == 2

    summaries = run_evaluation(toy_config, all_ablations=True)
    assert list(summaries) == ["ToyLocalizer"]
    assert json.loads(open(run.eval_file("toy")).read())["scored_fraction"] == 1.0

    localizer = Localizer(run.export)
    assert localizer.metadata["model"] == "toy"
    features = np.random.default_rng(0).normal(size=(21, localizer.feature_dim)).astype(np.float32)
    answer = localizer.localize(features, 30.0, ["the person cuts the bread"])
    moments = answer[0]["moments"]
    assert moments and all(0.0 <= m["start"] < m["end"] <= 30.0 + 1e-4 for m in moments)
    scores = [m["score"] for m in moments]
    assert scores == sorted(scores, reverse=True)
    maps = localizer.confidence_maps(features, 30.0, ["the person cuts the bread"])
    assert maps.shape == (1, 8, 8) and np.all(np.isnan(maps[0][np.tril_indices(8, -1)]))
    assert np.all((maps[0][np.triu_indices(8)] > 0) & (maps[0][np.triu_indices(8)] < 1))

    np.save(run.root + "/video.npy", features)
    done = subprocess.run(
        [sys.executable, "-m", "clear_tf.localize", f"--export_dir={run.export}",
         f"--features={run.root}/video.npy", "--duration=30", "--query", "the person cuts the bread"],
        capture_output=True, text=True, timeout=180,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    line = json.loads(done.stdout.strip().splitlines()[-1])
    assert [m["start"] for m in line["moments"]] == pytest.approx([m["start"] for m in moments], abs=1e-4)
