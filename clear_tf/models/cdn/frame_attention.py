"""CDN's sequential frame attention: the frames of each clip weighted by a guided attention."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="clear_tf")
class SequentialFrameAttention(keras.layers.Layer):
    """Units [B, N, d] → clips [B, L, d]: frames selected inside each segment by attention.

    CDN's ``SequentialFrameAttentionPool``: the N units are cut into L segments of
    s = N / L consecutive frames. For every segment, step m = 1..M computes a guide
    g_m = ReLU(W_g [W_m v̄ ; e_{m-1}] + b) from the segment's mean v̄ and the previous
    step's selection (e_0 = 0), attention weights over the s frames
    α_m = softmax_s(w_a · tanh(W_1 g_m + W_2 v_t)) and the selection e_m = Σ_t α_m,t v_t.
    The M selections are concatenated and projected back to d by a 1×1 convolution
    with ReLU. With M = 1 (CDN's configs) the segment's mean guides one weighted
    average of its frames, in place of 2D-TAN's plain average pooling.

    Args:
        num_clips: L; the number of units N (static) must be a multiple of it.
        hidden_dim: d, the width of the units and of the output.
        num_steps: M, sequential selections per segment (CDN's ``SQN_NUM``, 1).
        attention_dim: width of the attention's hidden layer (CDN: 256).
        **kwargs: base layer arguments.

    Example:

    >>> import numpy as np
    >>> layer = SequentialFrameAttention(num_clips=4, hidden_dim=8, attention_dim=4)
    >>> clips, attention = layer.attend(np.random.rand(2, 16, 8).astype("float32"))
    >>> tuple(clips.shape), tuple(attention.shape)  # [B, L, d]; [B, L, s = N/L, M]
    ((2, 4, 8), (2, 4, 4, 1))
    >>> np.allclose(np.asarray(attention).sum(axis=2), 1.0)  # a softmax over each segment
    True
    """

    def __init__(self, num_clips, hidden_dim, num_steps=1, attention_dim=256, **kwargs):
        super().__init__(**kwargs)
        if num_steps < 1:
            raise ValueError(f"SequentialFrameAttention num_steps must be >= 1, got {num_steps}")
        self.num_clips = num_clips
        self.hidden_dim = hidden_dim
        self.num_steps = num_steps
        self.attention_dim = attention_dim
        dense = lambda units, name, activation=None: keras.layers.Dense(  # noqa: E731
            units, activation=activation, dtype=self.dtype_policy, name=name
        )
        self.segment_projections = [dense(hidden_dim, f"segment_projection_{m}") for m in range(num_steps)]
        self.guide = dense(hidden_dim, "guide", "relu")
        self.guide_attention = dense(attention_dim, "guide_attention")
        self.frame_attention = dense(attention_dim, "frame_attention")
        self.attention_logit = dense(1, "attention_logit")
        self.output_projection = dense(hidden_dim, "output_projection", "relu")

    def build(self, input_shape):
        num_units, width = input_shape[1], input_shape[2]
        if num_units is None or num_units % self.num_clips:
            raise ValueError(
                f"SequentialFrameAttention: the number of units ({num_units}) must be a known "
                f"multiple of num_clips ({self.num_clips})"
            )
        if width != self.hidden_dim:
            raise ValueError(f"SequentialFrameAttention takes [B, N, {self.hidden_dim}], got width {width}")
        for layer in self.segment_projections:
            layer.build((None, width))
        self.guide.build((None, 2 * self.hidden_dim))
        self.guide_attention.build((None, self.hidden_dim))
        self.frame_attention.build((None, width))
        self.attention_logit.build((None, self.attention_dim))
        self.output_projection.build((None, self.num_steps * width))
        self.built = True

    def attend(self, units):
        """``(clips [B, L, d], attention [B, L, s, M])``: the output and the weights of every step."""
        if not self.built:
            self.build(tuple(units.shape))
        num_units = units.shape[1]
        frames = ops.reshape(units, (-1, self.num_clips, num_units // self.num_clips, self.hidden_dim))
        mean = ops.mean(frames, axis=2)
        frame_keys = self.frame_attention(frames)
        selection = ops.zeros_like(mean)
        selections, weights = [], []
        for projection in self.segment_projections:
            guide = self.guide(ops.concatenate([projection(mean), selection], axis=-1))
            scores = self.attention_logit(ops.tanh(self.guide_attention(guide)[:, :, None, :] + frame_keys))
            attention = ops.softmax(scores, axis=2)  # [B, L, s, 1]
            selection = ops.sum(frames * attention, axis=2)
            selections.append(selection)
            weights.append(attention)
        clips = self.output_projection(ops.concatenate(selections, axis=-1))
        return clips, ops.concatenate(weights, axis=-1)

    def call(self, units):
        return self.attend(units)[0]

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.num_clips, self.hidden_dim)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_clips": self.num_clips,
                "hidden_dim": self.hidden_dim,
                "num_steps": self.num_steps,
                "attention_dim": self.attention_dim,
            }
        )
        return config
