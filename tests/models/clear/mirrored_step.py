"""One SGD step of a tiny CLEAR on one device and under a 2-replica MirroredStrategy.

Run as a script (logical CPU devices must be configured before TensorFlow starts, so
the tests run it in a fresh interpreter): prints a JSON object with both losses and the
largest weight difference after the step.

``mirrored_step.py`` (mode ``tokens``): both steps fit the full model on token ids with
the paper's losses. ``mirrored_step.py sentence_vectors``: the single-device step fits
the full model on token ids, the mirrored one fits ``training_model()`` (the
sentence-vector view the trainer fits with a frozen BERT) on the pooled BERT outputs of
the same tokens, both with the coarse-map loss (``--coarse_map_weight``) added. So the
view, its gradients and the coarse-map loss must all agree across replicas with the
token model on one device.
"""

import json
import os
import pathlib
import sys

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[3]))  # the repository root

import tensorflow as tf  # noqa: E402

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(
    cpu, [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()]
)

import keras  # noqa: E402
import keras_hub  # noqa: E402
import numpy as np  # noqa: E402

from clear_tf.config import Config  # noqa: E402
from clear_tf.layers.sentence_encoder import pool_sentence  # noqa: E402
from clear_tf.models.clear import CLEAR  # noqa: E402

BATCH, SLOTS, TOKENS, UNITS, DIM, CLIPS = 4, 2, 6, 16, 6, 8


def make_model():
    backbone = keras_hub.models.BertBackbone(
        vocabulary_size=50,
        num_layers=1,
        num_heads=2,
        hidden_dim=8,
        intermediate_dim=16,
        max_sequence_length=16,
        dropout=0.0,
    )
    return CLEAR(
        backbone,
        feature_dim=DIM,
        num_pre_clips=UNITS,
        num_clips=CLIPS,
        hidden_dim=16,
        tcn_channels=[8, 8],
        dropout=0.0,
        tree_depth=2,
    )


def compile_model(model, coarse_map_weight=0.0):
    config = Config()
    config.model.hidden_dim = 16
    config.model.tree_depth = 2
    config.model.coarse_weight = 0.01
    config.model.coarse_map_weight = coarse_map_weight
    losses, weights = CLEAR.build_losses(config)
    assert ("coarse_scores" in losses) == (coarse_map_weight > 0)
    # Plain SGD: its update is proportional to the gradient, so a wrongly scaled
    # cross-replica gradient shows in the weights (Adam's first step would hide it).
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss=losses, loss_weights=weights)


def make_dataset():
    rng = np.random.default_rng(0)
    token_ids = rng.integers(1, 50, size=(BATCH, SLOTS, TOKENS)).astype(np.int32)
    padding_mask = np.ones((BATCH, SLOTS, TOKENS), np.int32)
    padding_mask[:, :, 4:] = 0
    token_ids[padding_mask == 0] = 0
    # Replica 0 gets 4 real queries, replica 1 only 2: a per-replica mean over real
    # queries would weight them differently from the single-device step.
    query_mask = np.array([[1, 1], [1, 1], [1, 0], [1, 0]], np.float32)
    x = {
        "features": rng.normal(size=(BATCH, UNITS, DIM)).astype(np.float32),
        "token_ids": token_ids,
        "padding_mask": padding_mask,
    }
    iou_map = rng.uniform(size=(BATCH, SLOTS, CLIPS, CLIPS)).astype(np.float32)
    y = {
        "anchor_similarity": rng.uniform(size=(BATCH, SLOTS, 3)).astype(np.float32),
        "fine_logits": iou_map,
        "coarse_scores": iou_map,
    }
    sample_weight = {name: query_mask for name in y}
    return x, y, sample_weight


def sentence_vectors(model, x):
    """What the pipeline precomputes: BERT's pooled outputs of the tokens [B, K, E]."""
    token_ids = x["token_ids"].reshape(-1, TOKENS)
    padding_mask = x["padding_mask"].reshape(-1, TOKENS)
    tokens = model.text_backbone(
        {"token_ids": token_ids, "segment_ids": np.zeros_like(token_ids), "padding_mask": padding_mask},
        training=False,
    )["sequence_output"]
    vectors = keras.ops.convert_to_numpy(pool_sentence(tokens, padding_mask, "mean"))
    return vectors.reshape(BATCH, SLOTS, -1)


def fit_one_step(trained, x, y, sample_weight):
    history = trained.fit(
        tf.data.Dataset.from_tensors((x, y, sample_weight)), epochs=1, verbose=0
    ).history
    return {name: float(values[0]) for name, values in history.items()}


def main(mode="tokens"):
    if mode not in ("tokens", "sentence_vectors"):
        raise SystemExit(f"unknown mode {mode!r}")
    coarse_map_weight = 1.0 if mode == "sentence_vectors" else 0.0
    keras.utils.set_random_seed(0)
    x, y, sample_weight = make_dataset()
    if coarse_map_weight == 0:
        y, sample_weight = (
            {k: v for k, v in d.items() if k != "coarse_scores"} for d in (y, sample_weight)
        )
    single = make_model()
    initial_weights = single.get_weights()
    compile_model(single, coarse_map_weight)
    single_history = fit_one_step(single, x, y, sample_weight)

    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    with strategy.scope():
        mirrored = make_model()
        mirrored.set_weights(initial_weights)
        trained = mirrored.training_model() if mode == "sentence_vectors" else mirrored
        compile_model(trained, coarse_map_weight)
    if mode == "sentence_vectors":
        assert trained is not mirrored and "sentence_embedding" in trained.input
        x = {"features": x["features"], "sentence_embedding": sentence_vectors(mirrored, x)}
    mirrored_history = fit_one_step(trained, x, y, sample_weight)

    moved = max(
        float(np.abs(after - before).max())
        for after, before in zip(single.get_weights(), initial_weights)
    )
    difference = max(
        float(np.abs(a - b).max()) for a, b in zip(single.get_weights(), mirrored.get_weights())
    )
    print(
        json.dumps(
            {
                "mode": mode,
                "replicas": strategy.num_replicas_in_sync,
                "single_loss": single_history["loss"],
                "mirrored_loss": mirrored_history["loss"],
                "single_history": single_history,
                "mirrored_history": mirrored_history,
                "losses": sorted(y),
                "max_weight_change": moved,
                "max_weight_difference": difference,
            }
        )
    )


if __name__ == "__main__":
    main(*sys.argv[1:])
