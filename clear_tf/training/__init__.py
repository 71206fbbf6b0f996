"""Training: the strategy, callbacks, run folder and the driver behind train.py."""

from clear_tf.training.trainer import train

__all__ = ["train"]
