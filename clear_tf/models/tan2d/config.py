"""2D-TAN's config section (``--model=tan2d``): the original's TACoS "Pool" model by default."""

from __future__ import annotations

from dataclasses import dataclass

from clear_tf.config import ModelConfig, config_field
from clear_tf.models.tan2d.sparse_layout import check_pooling_counts

VARIANTS = ("pool", "conv")


@dataclass
class TAN2DConfig(ModelConfig):
    """``--model=tan2d`` (Zhang et al., AAAI 2020; defaults: its TACoS K5L8 configs).

    The text side is the keras-hub BERT sentence encoder every model of the toolkit
    uses (``--text_preset``), where the original runs an LSTM over GloVe vectors.
    """

    # === Architecture ===
    hidden_dim: int = config_field(
        512,
        "d: width of the moment map, the query and the fused features "
        "(CLEAR 256; 2D-TAN and CDN 512).",
    )
    variant: str = config_field(
        "pool",
        "2D-TAN/CDN moment features: pool (max over the clips of a moment, 2D-TAN Pool) or "
        "conv (stacked 1D convolutions whose receptive field is the moment, 2D-TAN Conv).",
    )
    pooling_counts: list = config_field(
        [15, 8, 8, 8],
        "Diagonals per stride level of the sparse moment map (2D-TAN rule; its "
        "NUM_SCALE_LAYERS minus the main diagonal): TACoS 15,8,8,8, ActivityNet 15,8,8.",
    )
    map_layers: int = config_field(
        8, "2D-TAN/CDN: K×K convolutions over the fused map (TACoS 8, ActivityNet 4)."
    )
    map_kernel_size: int = config_field(5, "2D-TAN/CDN: K of the map convolutions (TACoS 5, ActivityNet 9).")

    # === Loss (2D-TAN's BCE on the rescaled IoU, clear_tf.losses.FineAlignmentLoss) ===
    min_iou: float = config_field(
        0.3, "IoU mapped to BCE target 0 (2D-TAN and CDN: 0.3 TACoS, 0.5 ActivityNet; CLEAR 0)."
    )
    max_iou: float = config_field(
        0.7, "IoU mapped to BCE target 1 (2D-TAN and CDN: 0.7 TACoS, 1.0 ActivityNet; CLEAR 1)."
    )

    def validate(self, config) -> None:
        super().validate(config)
        if self.variant not in VARIANTS:
            raise ValueError(f"--variant={self.variant!r}: expected one of {', '.join(VARIANTS)}")
        for name in ("hidden_dim", "map_layers", "map_kernel_size"):
            if getattr(self, name) <= 0:
                raise ValueError(f"--{name} must be positive, got {getattr(self, name)}")
        check_pooling_counts(self.pooling_counts, config.data.num_clips)
        if not 0.0 <= self.min_iou < self.max_iou <= 1.0:
            raise ValueError(f"need 0 <= --min_iou < --max_iou <= 1, got {self.min_iou}, {self.max_iou}")
        self.validate_map_kernel()

    def validate_map_kernel(self) -> None:
        """2D-TAN pads num_layers·(K-1)/2 zeros once, so num_layers·(K-1) must be even."""
        if self.map_layers * (self.map_kernel_size - 1) % 2:
            raise ValueError(
                f"--map_layers={self.map_layers} with --map_kernel_size={self.map_kernel_size}: "
                "2D-TAN pads map_layers·(map_kernel_size-1)/2 cells, which must be whole"
            )
