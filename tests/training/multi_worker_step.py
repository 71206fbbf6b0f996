"""One training step of the real model on one fixed global batch, written to an .npz file.

    python tests/training/multi_worker_step.py OUT.npz DATA_DIR TEXT_PRESET [multi_worker]

Run once without ``multi_worker`` (one worker, the whole batch) and once per worker of
a ``TF_CONFIG`` cluster with it (``--strategy=multi_worker``; each worker feeds its
share of the same batch through ``distribute_datasets_from_function``): the weights
after the step must agree. Dropout is off, so the step is the same function of the
batch on every layout, and the optimizer is plain SGD, so that a wrongly scaled
gradient shows.
"""

import os
import sys

os.environ.setdefault("KERAS_BACKEND", "tensorflow")


def main(out: str, data_dir: str, text_preset: str, strategy_name: str = "auto") -> None:
    import numpy as np
    import tensorflow as tf

    from clear_tf import data as data_lib
    from clear_tf import dataset_info
    from clear_tf.config import Config, model_class
    from clear_tf.training.strategy import configure_determinism, make_strategy, worker_info
    from clear_tf.training.trainer import build_model

    config = Config()
    config.data.data_dir = data_dir
    config.data.num_pre_clips, config.data.num_clips = 16, 8
    config.data.queries_per_video, config.data.max_query_tokens, config.data.batch_size = 2, 16, 4
    config.model.text_preset = text_preset
    config.model.hidden_dim, config.model.tcn_channels, config.model.tree_depth = 16, [16], 2
    config.model.dropout = 0.0
    config.train.strategy = strategy_name

    worker = worker_info(strategy_name)
    strategy = make_strategy(strategy_name)  # before any other TensorFlow op
    configure_determinism(0, True)

    # The same global batch in every process: the first batch of epoch 0 of train[:8].
    examples = data_lib.load_split(config, "train[:8]")
    text_vectors = model_class(config.model_name).trains_on_sentence_vectors(config.model)
    batch = next(iter(data_lib.build_dataset(
        examples, config, training=True, seed=5, epoch=0, text_vectors=text_vectors
    )))
    x, y, sample_weight = data_lib.split_for_keras(batch, config)
    global_batch = (x, y, sample_weight)

    def dataset_fn(input_context):
        share = config.data.batch_size // input_context.num_input_pipelines
        start = input_context.input_pipeline_id * share
        part = tf.nest.map_structure(lambda value: value[start : start + share], global_batch)
        return tf.data.Dataset.from_tensors(part).repeat()

    dataset = strategy.distribute_datasets_from_function(dataset_fn)
    import keras

    keras.utils.set_random_seed(0)
    model, trained = build_model(config, dataset_info.feature_dim(config), strategy)
    # SGD rather than the run's Adam: Adam's first step is lr * sign(gradient), blind to
    # a wrongly scaled gradient (say, summed instead of averaged over the workers).
    loss, loss_weights = model.build_losses(config)
    with strategy.scope():
        trained.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05), loss=loss, loss_weights=loss_weights)
    if isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        from clear_tf.training.trainer import _build_from_local_batch

        _build_from_local_batch(trained, strategy)
    before = [np.array(v.numpy()) for v in trained.trainable_variables]
    trained.fit(dataset, epochs=1, steps_per_epoch=1, verbose=0)
    after = [np.array(v.numpy()) for v in trained.trainable_variables]
    if worker.is_chief:
        np.savez(
            out,
            **{f"before_{i}": value for i, value in enumerate(before)},
            **{f"after_{i}": value for i, value in enumerate(after)},
            replicas=np.array(strategy.num_replicas_in_sync),
        )


if __name__ == "__main__":
    main(*sys.argv[1:])
