"""SLTA's config section (``--model=slta``)."""

from __future__ import annotations

from dataclasses import dataclass

from clear_tf.config import ModelConfig, config_field


@dataclass
class SLTAConfig(ModelConfig):
    """``--model=slta`` (Jiang et al., ICMR 2019: spatial and language-temporal attention).

    The word vectors are the ``--text_preset`` BERT's input embeddings (frozen unless
    ``--text_trainable``) into a bidirectional LSTM, where the original uses GloVe into
    an LSTM. Candidates are the L(L+1)/2 cells of the moment map, where the original
    slides windows (see ``clear_tf.models.slta.SLTA``).
    """

    hidden_dim: int = config_field(256, "SLTA: d, width of the clips, regions, words and the fusion.")
    attention_dim: int = config_field(
        128, "SLTA: width of the spatial and language-temporal attentions."
    )
    use_regions: bool = config_field(
        True,
        "SLTA: attend over the dataset's region_features [T, O, D_r] when it has them; "
        "without (or with --nouse_regions) SLTA runs on the unit features alone (O = 1).",
    )
    context_kernel: int = config_field(
        3, "SLTA: kernel of the temporal convolution that gives each clip its context (odd)."
    )
    dropout: float = config_field(0.1, "SLTA: dropout in the fusion MLP.")
    min_iou: float = config_field(0.3, "SLTA: IoU mapped to BCE target 0 (TACoS 0.3).")
    max_iou: float = config_field(0.7, "SLTA: IoU mapped to BCE target 1 (TACoS 0.7).")

    def validate(self, config) -> None:
        super().validate(config)
        for name in ("hidden_dim", "attention_dim", "context_kernel"):
            if getattr(self, name) <= 0:
                raise ValueError(f"--{name} must be positive, got {getattr(self, name)}")
        if self.hidden_dim % 2:
            raise ValueError(f"--hidden_dim={self.hidden_dim}: SLTA needs an even d (two LSTM directions)")
        if self.context_kernel % 2 == 0:
            raise ValueError(f"--context_kernel={self.context_kernel}: SLTA needs an odd kernel")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"--dropout must be in [0, 1), got {self.dropout}")
        if not 0.0 <= self.min_iou < self.max_iou <= 1.0:
            raise ValueError(f"need 0 <= --min_iou < --max_iou <= 1, got {self.min_iou}, {self.max_iou}")
        if config.data.num_pre_clips % config.data.num_clips:
            raise ValueError(
                f"--num_pre_clips={config.data.num_pre_clips} must be a multiple of "
                f"--num_clips={config.data.num_clips} (SLTA averages the attended units into clips)"
            )
