"""Runs the distributed pipeline on two logical CPU devices and prints what each replica got.

Logical devices can only be configured before TensorFlow initialises its devices, so
``test_distributed_dataset.py`` runs this file in a fresh interpreter and reads the JSON
it prints on its last line.
"""

import json
import sys

import tensorflow as tf

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

from clear_tf.config import Config  # noqa: E402
from clear_tf.data import make_distributed_dataset  # noqa: E402
from video_examples import examples_dataset, random_videos  # noqa: E402


def main():
    config = Config()
    config.data.num_pre_clips = 8
    config.data.num_clips = 4
    config.data.queries_per_video = 2
    config.data.max_query_tokens = 8
    config.data.batch_size = 4  # global: 2 videos per replica
    config.data.shuffle_buffer = 16
    config.model.tree_depth = 2
    devices = [device.name for device in tf.config.list_logical_devices("CPU")]
    strategy = tf.distribute.MirroredStrategy(devices, cross_device_ops=tf.distribute.ReductionToOneDevice())
    videos = random_videos(10, seed=5)
    report = {"replicas": strategy.num_replicas_in_sync, "num_queries": sum(len(v["queries"]["start"]) for v in videos)}

    dataset = make_distributed_dataset(
        strategy, config, examples_fn=lambda: examples_dataset(videos), training=True, seed=3, keras_inputs=False
    )
    steps = []
    for batch in dataset:
        replicas = []
        for local in zip(*(strategy.experimental_local_results(batch[name]) for name in ("features", "token_ids", "iou_map", "video_id", "query_index", "query_mask"))):
            features, token_ids, iou_map, video_id, query_index, query_mask = local
            replicas.append({
                "device": features.device,
                "shapes": [features.shape.as_list(), token_ids.shape.as_list(), iou_map.shape.as_list()],
                "queries": [[v.decode(), int(q)] for v, row, mask in zip(video_id.numpy(), query_index.numpy(), query_mask.numpy()) for q, m in zip(row, mask) if m],
            })
        steps.append(replicas)
    report["steps"] = steps

    keras_dataset = make_distributed_dataset(
        strategy, config, examples_fn=lambda: examples_dataset(videos), training=True, seed=3,
        text_vectors=False,
    )
    x, y, sample_weight = next(iter(keras_dataset))
    report["keras_structure"] = [sorted(x), sorted(y), sorted(sample_weight)]
    print(json.dumps(report))


if __name__ == "__main__":
    sys.exit(main())
