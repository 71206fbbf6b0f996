"""Reshaping layers of CNM's training graph: B videos × K query slots ↔ B·K video-query pairs.

CNM's decoders read one video per query (the frames attend to the words), so the
training graph lays the batch out as B·K pairs: each video's frames repeated for its K
slots. ``SlotTriples`` (``losses``) turns the per-pair values back into [B, K, ...].
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from clear_tf.models.cnm.attention import PACKAGE


@keras.saving.register_keras_serializable(package=PACKAGE)
class FlattenSlots(keras.layers.Layer):
    """[B, K, S] → [B·K, S]."""

    def call(self, x):
        shape = ops.shape(x)
        return ops.reshape(x, (shape[0] * shape[1], shape[2]))



@keras.saving.register_keras_serializable(package=PACKAGE)
class RepeatForSlots(keras.layers.Layer):
    """``[frames [B, N, d], token_ids [B, K, S]]`` → frames [B·K, N, d], each video K times in a row."""

    def call(self, inputs):
        frames, token_ids = inputs
        return ops.repeat(frames, ops.shape(token_ids)[1], axis=0)



@keras.saving.register_keras_serializable(package=PACKAGE)
class ProposalFrames(keras.layers.Layer):
    """frames [B, N, d] → the P frames the reconstructor reads [B, P, d] (``gaussian.proposal_indices``)."""

    def __init__(self, indices, **kwargs):
        super().__init__(**kwargs)
        self.indices = [int(i) for i in indices]

    def call(self, frames):
        return ops.take(frames, ops.convert_to_tensor(np.asarray(self.indices, np.int32)), axis=1)


    def get_config(self):
        config = super().get_config()
        config["indices"] = list(self.indices)
        return config


@keras.saving.register_keras_serializable(package=PACKAGE)
class DropLast(keras.layers.Layer):
    """[B, S, ...] → [B, S-1, ...]: the decoder input drops the last position (the reference's [:, :-1])."""

    def call(self, x):
        return x[:, :-1]



@keras.saving.register_keras_serializable(package=PACKAGE)
class ProposalBatch(keras.layers.Layer):
    """The three reconstructions of B·K pairs as one batch of 3·B·K.

    Inputs ``[positive, complement]`` (the Gaussian g and 1 - g, [B·K, P]) followed by
    the per-pair tensors the reconstructor reads (frames, masked words, masks,
    targets); returns ``[weights, *tensors]`` with every tensor repeated three times
    along the batch and ``weights`` = [g; 1; 1 - g] [3·B·K, P]. Re-weighting the
    attention by 1 (the hard negative) is attention over the whole video: the weights
    are multiplied by 1 + 1e-10 and renormalised, which leaves them as they are.
    """

    def call(self, inputs):
        positive, complement, *tensors = inputs
        weights = ops.concatenate([positive, ops.ones_like(positive), complement], axis=0)
        return [weights] + [ops.concatenate([t, t, t], axis=0) for t in tensors]
