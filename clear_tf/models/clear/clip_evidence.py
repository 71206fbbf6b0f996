"""The clip evidence a span adds up: what the fine head reads from the coarse clip scores."""

from __future__ import annotations

import keras
from keras import ops

# Keeps the standardisation finite on a video whose clip scores are all equal.
VARIANCE_EPSILON = 1e-6


@keras.saving.register_keras_serializable(package="clear_tf")
class ClipEvidence(keras.layers.Layer):
    """Clip scores [..., L] → a · Σ_{t=i..j} (z_t − τ) for every cell (i, j): [..., L, L].

    The clip scores are the coarse scores of the one-clip cells (t, t), the ones the
    clip term trains; z_t is clip t's score standardised over the L clips of the query's video: shift- and
    scale-free, as a softmax over the clips leaves them. A span then gains for every
    clip above τ standard deviations and loses for every one below, so the sum peaks
    on the span that covers the matching clips and nothing more, where a max-pooled
    or root-scaled candidate does not. ``a`` (``scale``) and ``τ`` (``threshold``) are
    learned; added to the fine head's logit (``--fine_clip_evidence``), they let Γ₂
    use what the clip term has taught the coarse path. Not in the paper.

    The sums come from one prefix sum over the clips, O(L) per query before the
    [L, L] difference; cells with i > j get the negated sum of j+1..i-1 and are
    masked by the candidate set downstream.

    Args:
        initial_scale: starting value of ``a``.
        initial_threshold: starting value of ``τ``.
        **kwargs: base layer arguments.

    Example:

    >>> import numpy as np
    >>> clip_scores = np.array([[0.0, 3.0, 3.0, 0.0]], "float32")  # one query, L = 4
    >>> layer = ClipEvidence(initial_threshold=0.5)  # z = -1, 1, 1, -1; z - τ = -1.5, .5, .5, -1.5
    >>> evidence = keras.ops.convert_to_numpy(layer(clip_scores))[0]
    >>> [round(float(evidence[i, j]), 2) for i, j in ((1, 2), (1, 1), (0, 3))]
    [1.0, 0.5, -2.0]
    >>> # τ given at inference instead of the learned one: z - τ = -1, 1, 1, -1
    >>> round(float(keras.ops.convert_to_numpy(layer(clip_scores, threshold=0.0))[0, 1, 2]), 2)
    2.0
    """

    def __init__(self, initial_scale=1.0, initial_threshold=1.0, **kwargs):
        super().__init__(**kwargs)
        self.initial_scale = initial_scale
        self.initial_threshold = initial_threshold

    def build(self, input_shape):
        self.scale = self.add_weight(
            shape=(), initializer=keras.initializers.Constant(self.initial_scale), name="scale"
        )
        self.threshold = self.add_weight(
            shape=(), initializer=keras.initializers.Constant(self.initial_threshold), name="threshold"
        )
        self.built = True

    def call(self, clip_scores, threshold=None):
        """``threshold``: a τ to use instead of the learned one (inference only)."""
        mean = ops.mean(clip_scores, axis=-1, keepdims=True)
        variance = ops.mean(ops.square(clip_scores - mean), axis=-1, keepdims=True)
        standardised = (clip_scores - mean) / ops.sqrt(variance + VARIANCE_EPSILON)
        prefix = ops.cumsum(standardised - (self.threshold if threshold is None else threshold), axis=-1)
        prefix = ops.concatenate([ops.zeros_like(prefix[..., :1]), prefix], axis=-1)  # [..., L + 1]
        # Cell (i, j): prefix[j + 1] − prefix[i].
        span_sums = prefix[..., None, 1:] - prefix[..., :-1, None]
        return self.scale * span_sums

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (input_shape[-1],)

    def get_config(self):
        config = super().get_config()
        config.update({"initial_scale": self.initial_scale, "initial_threshold": self.initial_threshold})
        return config
