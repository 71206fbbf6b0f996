"""clear-tf: CLEAR, coarse-to-fine cross-modal moment localization, in Keras 3 / TensorFlow.

Importing the package selects the TensorFlow backend for Keras (the export path and the
tf.data pipeline need it) unless the user already chose one.
"""

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
# TensorFlow's C++ start-up chatter hides the messages users need to read.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from clear_tf.version import __version__  # noqa: E402

__all__ = ["__version__"]
