"""2D-TAN (Zhang et al., AAAI 2020): the 2D temporal adjacent network, ``--model=tan2d``.

* ``sparse_layout``: the sparse sampling of the 2D temporal map by stride level, and
  2D-TAN's masked-convolution weights (1/n of the valid cells in each window);
* ``sparse_prop_conv``: the "Conv" moment features (stacked 1D convolutions); the
  "Pool" ones are the shared ``clear_tf.layers.MomentMap`` with the sparse rule;
* ``map_conv``: the temporal adjacent network (masked K×K convolutions) and the logit;
* ``model``: ``TAN2D`` (the fusion is the shared Hadamard ``QueryMomentFusion`` then an
  L2 normalisation; the loss the shared ``FineAlignmentLoss``); ``config``: the
  ``--model=tan2d`` flags; ``stats``: parameters and FLOPs.

The query encoder is the toolkit's keras-hub BERT ``SentenceEncoder`` with a linear
projection, where the original runs a 3-layer LSTM over GloVe word vectors.
"""

from clear_tf.models.tan2d.config import TAN2DConfig
from clear_tf.models.tan2d.model import TAN2D

MODEL = TAN2D

__all__ = ["MODEL", "TAN2D", "TAN2DConfig"]
