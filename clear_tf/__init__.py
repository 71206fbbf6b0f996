"""clear-tf: CLEAR and related temporal sentence grounding models in Keras 3 / TensorFlow.

Importing the package changes nothing in the process; the models need Keras's
TensorFlow backend (Keras's default), which ``clear_tf.models.build_model`` checks.
"""

from clear_tf.version import __version__

__all__ = ["__version__"]
