"""CDN's config section (``--model=cdn``): the 2D-TAN fields plus the dynamic convolutions and the frame attention."""

from __future__ import annotations

from dataclasses import dataclass

from clear_tf.config import config_field
from clear_tf.models.tan2d.config import TAN2DConfig


@dataclass
class CDNConfig(TAN2DConfig):
    """``--model=cdn`` (cross-modal dynamic networks; defaults: the TACoS ``CDN-128x128-K5L8-pool`` config).

    The text side is the toolkit's keras-hub BERT sentence encoder (``--text_preset``)
    with a tanh projection, where the original runs a 3-layer LSTM over GloVe vectors.
    """

    dynamic_layers: int = config_field(
        4, "CDN: how many of the first map convolutions use query-generated kernels (COND_NUM, 4)."
    )
    num_experts: int = config_field(
        8, "CDN: expert kernels mixed into each dynamic kernel (NUM_WORKER, 8)."
    )
    expert_dropout: float = config_field(0.1, "CDN: dropout on the experts' mixture weights (0.1).")
    frame_attention_steps: int = config_field(
        1, "CDN: sequential selections per segment of the frame attention (SQN_NUM, 1)."
    )
    frame_attention_dim: int = config_field(256, "CDN: hidden width of the frame attention (256).")

    def validate(self, config) -> None:
        super().validate(config)
        if not 0 <= self.dynamic_layers <= self.map_layers:
            raise ValueError(
                f"--dynamic_layers must be in [0, --map_layers={self.map_layers}], got {self.dynamic_layers}"
            )
        for name in ("num_experts", "frame_attention_steps", "frame_attention_dim"):
            if getattr(self, name) < 1:
                raise ValueError(f"--{name} must be positive, got {getattr(self, name)}")
        if not 0.0 <= self.expert_dropout < 1.0:
            raise ValueError(f"--expert_dropout must be in [0, 1), got {self.expert_dropout}")

    def validate_map_kernel(self) -> None:
        """CDN pads (K-1)/2 cells on every layer ("same"), so K must be odd."""
        if self.map_kernel_size % 2 == 0:
            raise ValueError(f"--map_kernel_size={self.map_kernel_size}: CDN needs an odd kernel")
