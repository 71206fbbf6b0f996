"""Device set-up: the distribution strategy, which worker this process is, seeds and determinism."""

from __future__ import annotations

import dataclasses
import json
import os

from absl import logging
import keras
import tensorflow as tf

STRATEGIES = ("auto", "mirrored", "multi_worker")
TF_CONFIG = "TF_CONFIG"


def configure_determinism(seed: int, deterministic: bool) -> None:
    """Seeds Python, NumPy and TF; with ``deterministic`` also makes TF ops deterministic."""
    keras.utils.set_random_seed(seed)
    if deterministic:
        tf.config.experimental.enable_op_determinism()


@dataclasses.dataclass(frozen=True)
class Worker:
    """This process's place in a multi-worker cluster (one worker when there is none).

    Attributes:
        index: the task index of this worker among ``num_workers``.
        num_workers: workers taking part in training (the chief included).
        is_chief: the one process that writes the run folder: the ``chief`` task of
            ``TF_CONFIG``, else worker 0.
        task: "chief" or "worker" (as named in ``TF_CONFIG``).
    """

    index: int = 0
    num_workers: int = 1
    is_chief: bool = True
    task: str = "worker"


def read_tf_config() -> dict | None:
    """The parsed ``TF_CONFIG`` environment variable (None when unset or empty).

    Raises:
        ValueError: it is not JSON with a ``cluster`` and a ``task``.
    """
    raw = os.environ.get(TF_CONFIG, "").strip()
    if not raw:
        return None
    try:
        tf_config = json.loads(raw)
    except json.JSONDecodeError as error:
        raise ValueError(f"{TF_CONFIG} is not JSON ({error})") from None
    cluster, task = tf_config.get("cluster"), tf_config.get("task")
    if not isinstance(cluster, dict) or not isinstance(task, dict):
        raise ValueError(
            f'{TF_CONFIG} needs "cluster" and "task", e.g. {{"cluster": {{"worker": '
            f'["host1:12345", "host2:12345"]}}, "task": {{"type": "worker", "index": 0}}}}'
        )
    kind, index = task.get("type"), task.get("index", 0)
    if kind not in ("chief", "worker"):
        raise ValueError(f'{TF_CONFIG}: task type {kind!r} is not "chief" or "worker"')
    members = cluster.get(kind)
    if not isinstance(members, list) or not isinstance(index, int) or not 0 <= index < len(members):
        raise ValueError(f"{TF_CONFIG}: task {kind} {index} is not in the cluster {cluster}")
    return tf_config


def worker_info(strategy: str) -> Worker:
    """Which worker this process is, from ``TF_CONFIG`` when ``strategy`` is multi_worker."""
    if strategy != "multi_worker":
        return Worker()
    tf_config = read_tf_config()
    if tf_config is None:
        raise ValueError(f"--strategy=multi_worker needs {TF_CONFIG} (the cluster and this task)")
    cluster, task = tf_config["cluster"], tf_config["task"]
    chiefs, workers = cluster.get("chief", []), cluster.get("worker", [])
    kind, index = task["type"], int(task.get("index", 0))
    # The chief (if any) counts as a worker: it trains like the others.
    position = index if kind == "chief" else len(chiefs) + index
    is_chief = kind == "chief" or (not chiefs and index == 0)
    return Worker(index=position, num_workers=len(chiefs) + len(workers), is_chief=is_chief, task=kind)


def make_strategy(strategy: str = "auto", logical_cpus: int = 0) -> tf.distribute.Strategy:
    """The distribution strategy of ``--strategy`` (and ``--logical_cpus``).

    Args:
        strategy: ``auto``: ``MirroredStrategy`` over every visible GPU or over the
            logical CPUs, else the default (single-device) strategy; ``mirrored``:
            ``MirroredStrategy`` even on one device; ``multi_worker``:
            ``MultiWorkerMirroredStrategy`` over the cluster of ``TF_CONFIG`` (each
            worker mirrors over its own GPUs, or its CPU). Must be created before any
            other TensorFlow op runs.
        logical_cpus: when > 0, split the CPU into that many logical devices and mirror
            over them (how the multi-replica path is exercised on machines without GPUs).
            Must be called before TensorFlow initialises its devices.

    Returns:
        The strategy; its replica count is logged.
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"--strategy={strategy!r}: expected one of {', '.join(STRATEGIES)}")
    devices = None
    if logical_cpus > 0:
        cpus = tf.config.list_physical_devices("CPU")
        try:
            tf.config.set_logical_device_configuration(
                cpus[0], [tf.config.LogicalDeviceConfiguration()] * logical_cpus
            )
        except RuntimeError as error:
            raise RuntimeError(
                "--logical_cpus must be applied before TensorFlow initialises its devices"
            ) from error
        devices = [device.name for device in tf.config.list_logical_devices("CPU")]
    if strategy == "multi_worker":
        result = tf.distribute.MultiWorkerMirroredStrategy()
        patch_keras_for_multi_worker()
    elif devices is not None:
        result = tf.distribute.MirroredStrategy(devices, cross_device_ops=tf.distribute.ReductionToOneDevice())
    elif strategy == "mirrored" or tf.config.list_physical_devices("GPU"):
        if tf.config.list_physical_devices("GPU"):
            result = tf.distribute.MirroredStrategy()
        else:
            result = tf.distribute.MirroredStrategy(
                ["/cpu:0"], cross_device_ops=tf.distribute.ReductionToOneDevice()
            )
    else:
        result = tf.distribute.get_strategy()
    logging.info(
        "Training on %d replica(s) with %s", result.num_replicas_in_sync, type(result).__name__
    )
    return result


def patch_keras_for_multi_worker() -> None:
    """Works around Keras 3's reduction of step logs under MultiWorkerMirroredStrategy.

    ``fit`` reduces every step's logs (scalar losses) with
    ``strategy.reduce("MEAN", value, axis=0)`` under a multi-worker strategy, which
    fails for a scalar ("Invalid reduction dimension 0 for input with 0 dimensions").
    Scalars are averaged over the replicas instead (``axis=None``), as the
    single-machine strategies do; everything else goes to Keras unchanged. Idempotent;
    only ``--strategy=multi_worker`` calls it.
    """
    from keras.src.backend.tensorflow import trainer as keras_trainer

    original = keras_trainer.reduce_per_replica
    if getattr(original, "clear_tf_patched", False):
        return

    def reduce_per_replica(values, strategy, reduction):
        if isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy) and reduction in ("auto", "mean"):

            def reduce(value):
                if isinstance(value, (tf.distribute.DistributedValues, tf.Tensor)) and value.shape.rank == 0:
                    return strategy.reduce("MEAN", value, axis=None)
                return original(value, strategy, reduction)

            return tf.nest.map_structure(reduce, values)
        return original(values, strategy, reduction)

    reduce_per_replica.clear_tf_patched = True
    keras_trainer.reduce_per_replica = reduce_per_replica
