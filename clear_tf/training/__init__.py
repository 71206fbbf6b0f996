"""Training: the strategy, callbacks, crash backups, run stages and the driver behind train.py."""

from clear_tf.training.preflight import SetupError
from clear_tf.training.trainer import train

__all__ = ["SetupError", "train"]
