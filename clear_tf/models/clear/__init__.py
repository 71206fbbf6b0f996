"""CLEAR (Hu et al., IEEE TIP 2021): every equation of the paper in one folder.

* ``bi_tcn`` (Eq. 1), ``anchors`` / ``anchor_gather`` (Eq. 2), the query projection
  (Eq. 3, ``clear_tf.layers.SentenceEncoder``), ``query_moment_similarity`` and
  ``coarse_alignment_loss`` (Γ₁, Eq. 5), the fusion and ``mlp_fine_head`` (Eqs. 6–7;
  Γ₂ is the shared ``clear_tf.losses.FineAlignmentLoss``), Ψ (Eq. 9) in
  ``model.CLEAR.build_losses``;
* Algorithm 1: ``tree_search`` (TF ops), ``reference`` (its NumPy oracle),
  ``threshold_search`` (μ, ρ on val), ``search`` (CLEAR, CLEAR-F, CLEAR-C);
* ``coarse_map_alignment_loss``: the dense coarse-map term the binary tree reads (not in
  the paper); ``clip_evidence``: the span sums of standardised clip scores that
  ``--fine_clip_evidence`` adds to the fine logit (not in the paper); ``config``: the
  ``--model=clear`` flags; ``stats``: parameters and FLOPs.
"""

from clear_tf.models.clear.config import ClearConfig
from clear_tf.models.clear.model import CLEAR

MODEL = CLEAR

__all__ = ["CLEAR", "ClearConfig", "MODEL"]
