"""The learnable Gaussian mask of CNM and how its (center, width) becomes scores on the L×L grid.

Training: the mask generator predicts (c, w) ∈ (0, 1) × (0, max_width) per query; the
positive proposal weighs the P sampled frames at t_p = p / (P - 1) by
g(t) = exp(-α (t - c)² / max(w, min_width)²) (the reference's ``generate_gauss_weight``);
1 - g is the easy negative; the whole video (no weights) the hard negative.

Inference: the reference predicts the moment [c - w/2, c + w/2] clipped to [0, 1].
``segment_score_map`` scores every candidate (i, j) of the L×L grid by its IoU with that
segment, so that the generic ``localize`` (NMS, top-k) ranks first the cell closest to the
reference's prediction (its rounding to the grid, within half a clip of it at each end).
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from clear_tf.data.targets import moment_iou_map
from clear_tf.models.cnm.attention import PACKAGE
from clear_tf.models.cnm.config import READOUTS


def gaussian_weights(center, width, num_positions: int, alpha: float, min_width: float):
    """g [B, P] at the P positions t = linspace(0, 1, P) for center, width [B]."""
    positions = ops.linspace(0.0, 1.0, num_positions)[None, :]
    center = ops.cast(center, "float32")[:, None]
    width = ops.maximum(ops.cast(width, "float32"), min_width)[:, None]
    return ops.exp(-alpha * ops.square(positions - center) / ops.square(width))


def gaussian_segment(gaussian):
    """[c - w/2, c + w/2] clipped to [0, 1], as fractions of the video: [..., 2] from [..., 2] = (c, w)."""
    center, width = gaussian[..., 0], gaussian[..., 1]
    return ops.stack(
        [ops.clip(center - width / 2.0, 0.0, 1.0), ops.clip(center + width / 2.0, 0.0, 1.0)], axis=-1
    )


def segment_score_map(gaussian, num_clips: int):
    """IoU [M, L, L] of every candidate (i, j), spanning [i/L, (j+1)/L], with the Gaussian's segment.

    Args:
        gaussian: float [M, 2], (center, width) of each query's Gaussian.
        num_clips: L.

    Returns:
        float32 [M, L, L] in [0, 1]; 0 at the invalid cells i > j.
    """
    return moment_iou_map(gaussian_segment(ops.cast(gaussian, "float32")), 1.0, num_clips)


def proposal_indices(num_frames: int, stride: int) -> np.ndarray:
    """The P = N // stride frames the reconstructor reads: the reference's
    ``linspace(0, N - 1, P).long()`` (rounded down)."""
    num_proposals = num_frames // stride
    return np.linspace(0, num_frames - 1, num_proposals).astype(np.int64).astype(np.int32)


# The standard deviation of a uniform distribution over a segment of width w is w/√12.
UNIFORM_WIDTH = 12.0**0.5


@keras.saving.register_keras_serializable(package=PACKAGE)
class GaussianHead(keras.layers.Layer):
    """The mask generator's head: the frame states [B, N, d] → (c, w) [B, 2].

    ``readout="last"`` (the reference): a Dense(2) and a sigmoid on the last state
    (which, under the causal self-attention, has read every frame); w is scaled by
    ``max_width``.

    ``readout="attention"`` (not in the reference): a Dense(1) scores every frame,
    p = softmax over the frames, c = Σ p_t t and w = √12 · std_p(t) capped at
    ``max_width`` (for p uniform over a segment, its exact width), t = linspace(0, 1, N).
    A frame that matches the query then pulls the center to itself directly, where the
    last state has to learn to encode the position of the matching frames.

    Either way the head's weights are the only variables the intra-video contrastive
    loss trains (``CNM.train_step``).

    Args:
        max_width: the largest width, as a fraction of the video.
        readout: "last" or "attention".
        **kwargs: base layer arguments.
    """

    def __init__(self, max_width=1.0, readout="last", **kwargs):
        super().__init__(**kwargs)
        if readout not in READOUTS:
            raise ValueError(f"readout must be one of {READOUTS}, got {readout!r}")
        self.max_width = float(max_width)
        self.readout = readout
        units = 2 if readout == "last" else 1
        self.projection = keras.layers.Dense(units, name="projection", dtype=self.dtype_policy)

    def build(self, input_shape):
        self.projection.build((None, input_shape[-1]))
        self.built = True

    def call(self, states):
        if self.readout == "last":
            parameters = ops.sigmoid(self.projection(states[:, -1]))
            return ops.stack([parameters[:, 0], parameters[:, 1] * self.max_width], axis=-1)
        weights = ops.softmax(ops.cast(self.projection(states)[..., 0], "float32"), axis=-1)
        positions = ops.linspace(0.0, 1.0, ops.shape(states)[1])[None, :]
        center = ops.sum(weights * positions, axis=-1)
        variance = ops.sum(weights * ops.square(positions - center[:, None]), axis=-1)
        width = ops.minimum(UNIFORM_WIDTH * ops.sqrt(variance + 1e-12), self.max_width)
        return ops.stack([center, width], axis=-1)

    def get_config(self):
        config = super().get_config()
        config.update({"max_width": self.max_width, "readout": self.readout})
        return config


@keras.saving.register_keras_serializable(package=PACKAGE)
class GaussianMask(keras.layers.Layer):
    """(c, w) [B, 2] → (g, 1 - g), each [B, P]: the positive proposal and the easy negative.

    Args:
        num_positions: P.
        alpha: α.
        min_width: the clamp of w.
        **kwargs: base layer arguments.
    """

    def __init__(self, num_positions, alpha=5.0, min_width=0.1, **kwargs):
        super().__init__(**kwargs)
        self.num_positions = int(num_positions)
        self.alpha = float(alpha)
        self.min_width = float(min_width)

    def call(self, gaussian):
        weights = gaussian_weights(gaussian[:, 0], gaussian[:, 1], self.num_positions, self.alpha, self.min_width)
        return weights, 1.0 - weights


    def get_config(self):
        config = super().get_config()
        config.update({"num_positions": self.num_positions, "alpha": self.alpha, "min_width": self.min_width})
        return config
