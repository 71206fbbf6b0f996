"""One SGD step of a tiny CLEAR on one device and under a 2-replica MirroredStrategy.

Run as a script (logical CPU devices must be configured before TensorFlow starts, so
the test runs it in a fresh interpreter): prints a JSON object with both losses and the
largest weight difference after the step.
"""

import json
import os
import pathlib
import sys

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2]))

import tensorflow as tf  # noqa: E402

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(
    cpu, [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()]
)

import keras  # noqa: E402
import keras_hub  # noqa: E402
import numpy as np  # noqa: E402

from clear_tf.config import Config  # noqa: E402
from clear_tf.models.clear import CLEAR  # noqa: E402
from clear_tf.models import CLEAR  # noqa: E402

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


def compile_model(model):
    config = Config()
    config.model.hidden_dim = 16
    config.model.tree_depth = 2
    config.model.coarse_weight = 0.01
    losses, weights = CLEAR.build_losses(config)
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
    y = {
        "anchor_similarity": rng.uniform(size=(BATCH, SLOTS, 3)).astype(np.float32),
        "fine_logits": rng.uniform(size=(BATCH, SLOTS, CLIPS, CLIPS)).astype(np.float32),
    }
    sample_weight = {"anchor_similarity": query_mask, "fine_logits": query_mask}
    return tf.data.Dataset.from_tensors((x, y, sample_weight))


def main():
    keras.utils.set_random_seed(0)
    single = make_model()
    initial_weights = single.get_weights()
    compile_model(single)
    single_loss = single.fit(make_dataset(), epochs=1, verbose=0).history["loss"][0]

    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    with strategy.scope():
        mirrored = make_model()
        mirrored.set_weights(initial_weights)
        compile_model(mirrored)
    mirrored_loss = mirrored.fit(make_dataset(), epochs=1, verbose=0).history["loss"][0]

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
                "replicas": strategy.num_replicas_in_sync,
                "single_loss": single_loss,
                "mirrored_loss": mirrored_loss,
                "max_weight_change": moved,
                "max_weight_difference": difference,
            }
        )
    )


if __name__ == "__main__":
    main()
