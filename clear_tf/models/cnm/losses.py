"""CNM's objective: the word cross entropy of each proposal, the reconstruction loss and the
intra-video contrastive (IVC) loss.

For each query slot the model outputs ``nll`` [B, K, 3]: the label-smoothed cross entropy
of the reconstructed words (``word_nll``) when the reconstructor reads the positive
proposal (the Gaussian g), the hard negative (the whole video) and the easy negative
(1 - g), in that order. Then, as in the reference code (``models/loss.py``):

* reconstruction: L_rec = nll⁺ + nll^hard (the easy negative is never trained to
  reconstruct);
* IVC: L_ivc = max(0, nll⁺ - nll^hard + β₁) + max(0, nll⁺ - nll^easy + β₂).

Both losses return one value per query slot [B, K]; Keras multiplies by ``query_mask``
and averages over the B·K slots. ``CNM.train_step`` applies the gradient of L_rec to every
variable but the Gaussian head and that of L_ivc to the Gaussian head only (the
reference's two alternating optimizers).
"""

from __future__ import annotations

import keras
from keras import ops

from clear_tf.models.cnm.attention import PACKAGE

POSITIVE, HARD_NEGATIVE, EASY_NEGATIVE = 0, 1, 2


def word_nll(logits, targets, target_mask, label_smoothing: float = 0.1):
    """Per query, the mean over its scored words of the label-smoothed cross entropy.

    The reference's ``cal_nll_loss``: (1 - ε)·(-log p[target]) + ε/V·Σ_v(-log p[v]).

    Args:
        logits: float [B, T, V].
        targets: int [B, T] classes.
        target_mask: float [B, T], 1 on the scored words.
        label_smoothing: ε.

    Returns:
        float32 [B] (0 for a query without scored words).
    """
    log_probs = ops.log_softmax(ops.cast(logits, "float32"), axis=-1)
    picked = ops.take_along_axis(log_probs, ops.cast(targets, "int32")[..., None], axis=-1)[..., 0]
    smooth = ops.mean(log_probs, axis=-1)  # ε/V·Σ_v log p[v] = ε·mean
    per_word = -(1.0 - label_smoothing) * picked - label_smoothing * smooth
    mask = ops.cast(target_mask, "float32")
    return ops.divide_no_nan(ops.sum(per_word * mask, axis=-1), ops.sum(mask, axis=-1))


@keras.saving.register_keras_serializable(package=PACKAGE)
class WordNLL(keras.layers.Layer):
    """``[logits [B, T, V], targets [B, T], target_mask [B, T]]`` → ``word_nll`` [B]."""

    def __init__(self, label_smoothing=0.1, **kwargs):
        super().__init__(**kwargs)
        self.label_smoothing = float(label_smoothing)

    def call(self, inputs):
        logits, targets, target_mask = inputs
        return word_nll(logits, targets, target_mask, self.label_smoothing)


    def get_config(self):
        config = super().get_config()
        config["label_smoothing"] = self.label_smoothing
        return config


@keras.saving.register_keras_serializable(package=PACKAGE)
class SlotTriples(keras.layers.Layer):
    """``[nll [3·B·K], token_ids [B, K, S]]`` → [B, K, 3]: the three proposals of each slot side by side.

    ``nll`` holds the positive, hard-negative and easy-negative values of the B·K pairs
    one block after the other (``ProposalBatch``).
    """

    def call(self, inputs):
        nll, token_ids = inputs
        shape = ops.shape(token_ids)
        return ops.transpose(ops.reshape(nll, (3, shape[0], shape[1])), (1, 2, 0))


@keras.saving.register_keras_serializable(package=PACKAGE)
class ReconstructionLoss(keras.losses.Loss):
    """L_rec = nll⁺ + nll^hard per query slot, from ``nll`` [B, K, 3]; ``y_true`` is not used
    (what is reconstructed is the query itself, inside the model)."""

    def __init__(self, name="reconstruction", **kwargs):
        super().__init__(name=name, **kwargs)

    def call(self, y_true, y_pred):
        return y_pred[..., POSITIVE] + y_pred[..., HARD_NEGATIVE]


@keras.saving.register_keras_serializable(package=PACKAGE)
class IntraVideoContrastiveLoss(keras.losses.Loss):
    """L_ivc = max(0, nll⁺ - nll^hard + β₁) + max(0, nll⁺ - nll^easy + β₂) per query slot.

    Args:
        hard_negative_margin: β₁ (the reference's 0.1).
        easy_negative_margin: β₂ (0.15).
    """

    def __init__(self, hard_negative_margin=0.1, easy_negative_margin=0.15, name="contrastive", **kwargs):
        super().__init__(name=name, **kwargs)
        self.hard_negative_margin = float(hard_negative_margin)
        self.easy_negative_margin = float(easy_negative_margin)

    def call(self, y_true, y_pred):
        positive = y_pred[..., POSITIVE]
        hard = ops.relu(positive - y_pred[..., HARD_NEGATIVE] + self.hard_negative_margin)
        easy = ops.relu(positive - y_pred[..., EASY_NEGATIVE] + self.easy_negative_margin)
        return hard + easy

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "hard_negative_margin": self.hard_negative_margin,
                "easy_negative_margin": self.easy_negative_margin,
            }
        )
        return config
