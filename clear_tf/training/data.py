"""The training data of ``fit``: one fresh, epoch-seeded pass per epoch, resumable mid-epoch.

Every epoch gets a new iterator whose order is a function of ``(seed, epoch)`` alone
(``build_dataset(..., epoch=...)``), so a run resumed at epoch e sees the batches an
uninterrupted run saw in epoch e; a run resumed after step k of epoch e skips that
epoch's first k batches. Three variables, set by ``DataPosition`` as each epoch
begins, tell the iterator which epoch it is and which steps to skip and take; the
iterator reads them when it starts.

``fit`` is handed a ``FreshEpochs`` data adapter rather than the dataset: it makes Keras
start a new iterator every epoch (as it does without ``steps_per_epoch``) while
knowing the epoch's exact length, so that no step ever runs on an exhausted iterator:
such a step fails only after it has advanced the dropout and optimizer counters (the
ops that do not wait for the data), which would make a resumed run drift.
"""

from __future__ import annotations

import functools

import keras
import tensorflow as tf
from keras.src.trainers.data_adapters.tf_dataset_adapter import TFDatasetAdapter

from clear_tf import data as data_lib
from clear_tf.config import Config, model_class
from clear_tf.data.pipeline import QueryReport

class DataPosition(keras.callbacks.Callback):
    """The epoch and the steps to skip/take of the iterator ``fit`` starts next.

    Args:
        steps_per_epoch: steps of every epoch (0: one pass over the split).
        resume_epoch, resume_step: the position of the restored backup: epoch
            ``resume_epoch`` starts after its first ``resume_step`` steps.
    """

    def __init__(self, steps_per_epoch: int, resume_epoch: int = 0, resume_step: int = 0):
        super().__init__()
        self.steps_per_epoch = steps_per_epoch
        self.resume_epoch = resume_epoch
        self.resume_step = resume_step
        with tf.init_scope(), tf.device("/cpu:0"):
            self.epoch = tf.Variable(resume_epoch, dtype=tf.int64, trainable=False, name="data_epoch")
            self.skip = tf.Variable(0, dtype=tf.int64, trainable=False, name="data_skip_steps")
            self.take = tf.Variable(-1, dtype=tf.int64, trainable=False, name="data_take_steps")
        self.set_epoch(resume_epoch)

    def first_step(self, epoch: int) -> int:
        """The step epoch ``epoch`` starts at (0 except in the resumed epoch)."""
        return self.resume_step if epoch == self.resume_epoch else 0

    def set_epoch(self, epoch: int) -> None:
        skip = self.first_step(epoch)
        self.epoch.assign(epoch)
        self.skip.assign(skip)
        self.take.assign(self.steps_per_epoch - skip if self.steps_per_epoch else -1)

    def on_epoch_begin(self, epoch, logs=None):
        self.set_epoch(epoch)


class FreshEpochs(TFDatasetAdapter):
    """A Keras data adapter: a new iterator every epoch, of ``steps`` steps at most.

    Keras asks the adapter for the epoch length; with ``steps_per_epoch`` given to
    ``fit`` it would keep one iterator across epochs instead.
    """

    def __init__(self, dataset, steps: int):
        super().__init__(dataset)
        self._steps = steps

    @property
    def num_batches(self):
        return self._steps


def training_data(
    strategy: tf.distribute.Strategy,
    config: Config,
    position: DataPosition,
    report: QueryReport | None = None,
) -> tf.distribute.DistributedDataset:
    """The training splits, epoch-seeded, sharded per input pipeline (``FreshEpochs`` wraps it for ``fit``).

    Each input pipeline (one per worker) reads its shard of the videos
    (``build_dataset``'s ``input_context``) and batches ``batch_size / replicas``
    videos per replica, so one step of all replicas is one global batch.
    """
    seed = config.train.seed
    steps = config.train.steps_per_epoch
    text_vectors = model_class(config.model_name).trains_on_sentence_vectors(config.model)
    keras_inputs = functools.partial(data_lib.split_for_keras, config=config)

    def dataset_fn(input_context: tf.distribute.InputContext) -> tf.data.Dataset:
        examples = data_lib.load_split(config, config.data.train_splits, shuffle_files=True, seed=seed)
        batches = data_lib.build_dataset(
            examples,
            config,
            training=True,
            seed=seed,
            input_context=input_context,
            repeat=bool(steps),
            text_vectors=text_vectors,
            epoch=position.epoch,
            report=report,
        ).map(keras_inputs)
        # One step takes one batch per replica of this pipeline.
        per_step = input_context.num_replicas_in_sync // input_context.num_input_pipelines

        def epoch_part(_):
            take = position.take.read_value()
            return batches.skip(position.skip.read_value() * per_step).take(
                tf.where(take < 0, tf.constant(-1, tf.int64), take * per_step)
            )

        start = tf.data.Dataset.from_tensors(tf.constant(0, tf.int64))
        return start.flat_map(epoch_part).prefetch(tf.data.AUTOTUNE)

    return strategy.distribute_datasets_from_function(dataset_fn)
