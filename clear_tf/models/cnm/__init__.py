"""CNM (Zheng et al., AAAI 2022): weakly supervised moment localization, one folder.

Trained from video–sentence pairs only (``--model=cnm``); timestamps are used by
validation and test metrics only.

* ``gaussian``: the learnable Gaussian mask (positive proposal g, easy negative 1 - g),
  its head, and the inference rule (the segment [c - w/2, c + w/2] → IoU scores on the
  L×L grid);
* ``attention`` / ``decoder``: the attention re-weighted by a mask and the two shared
  transformer decoders (mask generator and mask-conditioned reconstructor);
* ``words``: frozen BERT word-piece vectors, positions, the word masking and the
  reconstruction targets; ``vocabulary``: the words reconstructed (from the training
  sentences);
* ``losses``: the word cross entropy, the reconstruction loss and the intra-video
  contrastive loss; ``model.CNM.train_step`` routes each to its own variables;
* ``slots``: videos × query slots ↔ video-query pairs; ``config``: the flags;
  ``stats``: parameters and FLOPs.
"""

from clear_tf.models.cnm.config import CNMConfig
from clear_tf.models.cnm.model import CNM

MODEL = CNM

__all__ = ["CNM", "CNMConfig", "MODEL"]
