"""Device set-up: the distribution strategy, seeds and determinism."""

from __future__ import annotations

from absl import logging
import keras
import tensorflow as tf


def configure_determinism(seed: int, deterministic: bool) -> None:
    """Seeds Python, NumPy and TF; with ``deterministic`` also makes TF ops deterministic."""
    keras.utils.set_random_seed(seed)
    if deterministic:
        tf.config.experimental.enable_op_determinism()


def make_strategy(logical_cpus: int = 0) -> tf.distribute.Strategy:
    """A ``MirroredStrategy`` over every visible GPU, or over N logical CPUs.

    Args:
        logical_cpus: when > 0, split the CPU into that many logical devices and mirror
            over them (how the multi-replica path is exercised on machines without GPUs).
            Must be called before TensorFlow initialises its devices.

    Returns:
        ``MirroredStrategy`` when there are several devices to mirror over or a GPU;
        otherwise the default (single-device) strategy.
    """
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
        strategy = tf.distribute.MirroredStrategy(
            devices, cross_device_ops=tf.distribute.ReductionToOneDevice()
        )
    elif tf.config.list_physical_devices("GPU"):
        strategy = tf.distribute.MirroredStrategy()
    else:
        strategy = tf.distribute.get_strategy()
    logging.info(
        "Training on %d replica(s) with %s", strategy.num_replicas_in_sync, type(strategy).__name__
    )
    return strategy
