"""SLTA (Jiang et al., ICMR 2019): spatial and language-temporal attention, ``--model=slta``.

* ``word_encoder``: frozen word vectors (the BERT preset's input embeddings) → BiLSTM;
* ``spatial_attention``: the regions (objects) of every unit weighted by the query;
* ``query_moment_map``: every candidate of the per-query clips (the shared ``MomentMap``);
* ``language_temporal_attention``: the words weighted by each candidate moment;
* ``cross_modal_fusion``: TALL-style fusion and the alignment logit;
* ``model``: ``SLTA``; ``config``: the ``--model=slta`` flags; ``stats``: parameters and FLOPs.

Region features come from the dataset's optional ``region_features`` [T, O, D_r]
(``synthetic_moments/regions``); without them SLTA runs on the unit features alone (O = 1).
"""

from clear_tf.models.slta.config import SLTAConfig
from clear_tf.models.slta.model import SLTA

MODEL = SLTA

__all__ = ["MODEL", "SLTA", "SLTAConfig"]
