"""CDN (cross-modal dynamic networks for video moment retrieval): ``--model=cdn``.

The 2D-TAN backbone (``clear_tf.models.tan2d``: the sparse moment map, Pool or Conv,
the normalised Hadamard fusion, 2D-TAN's mask weights and rescaled BCE) with

* ``frame_attention``: the sequential frame attention that weights the frames inside
  each clip's segment (in place of average pooling);
* ``dynamic_conv``: a convolution whose kernel is a mixture of expert kernels
  weighted from the query and the map (CondConv), run per sample;
* ``dynamic_map_conv``: the residual masked map head whose first blocks are dynamic;
* ``model``: ``CDN``; ``config``: the ``--model=cdn`` flags; ``stats``: parameters and FLOPs.

The query encoder is the toolkit's keras-hub BERT ``SentenceEncoder`` (tanh projection)
where the original runs a 3-layer LSTM over GloVe word vectors.
"""

from clear_tf.models.cdn.config import CDNConfig
from clear_tf.models.cdn.model import CDN

MODEL = CDN

__all__ = ["CDN", "CDNConfig", "MODEL"]
