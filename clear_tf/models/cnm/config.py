"""CNM's config section (``--model=cnm``): defaults are the reference code's ActivityNet CLIP config."""

from __future__ import annotations

from dataclasses import dataclass

from clear_tf.config import ModelConfig, config_field

READOUTS = ("last", "attention")
RECONSTRUCT = ("all", "masked")


@dataclass
class CNMConfig(ModelConfig):
    """``--model=cnm`` (Zheng et al., AAAI 2022; defaults: the reference's ActivityNet config).

    The text side reads the frozen word-piece embeddings of the ``--text_preset`` BERT
    (context-free vectors, the reference's GloVe); ``--text_trainable`` fine-tunes them.
    ``--text_pooling`` is not used.
    """

    # === Architecture (the reference's DualTransformer) ===
    hidden_dim: int = config_field(256, "d: width of the frame, word and decoder features (CNM 256).")
    dropout: float = config_field(
        0.1, "Dropout on the input frame/word features and in the decoder layers (CNM 0.1)."
    )
    attention_heads: int = config_field(4, "CNM: heads of every attention (must divide --hidden_dim).")
    decoder_layers: int = config_field(
        3, "CNM: layers of each of the two shared transformer decoders (video and words)."
    )
    frame_positions: bool = config_field(
        True,
        "CNM: add sinusoidal positions to the frame features (not in the reference, whose "
        "frames are told apart by the causal self-attention only).",
    )
    share_decoders: bool = config_field(
        True,
        "CNM: the mask generator and the reconstructor share their two decoders (the "
        "reference); --noshare_decoders gives the generator its own pair, trained with the "
        "Gaussian head by the intra-video contrastive loss.",
    )
    proposal_stride: int = config_field(
        4, "CNM: the reconstructor reads every this-many-th frame (the reference: N // 4 frames)."
    )

    # === The Gaussian mask (positive proposal) ===
    gauss_alpha: float = config_field(
        5.0, "CNM: α of the Gaussian mask exp(-α(t-c)²/w²) (ActivityNet 5, Charades-STA 5.5)."
    )
    max_width: float = config_field(
        1.0, "CNM: the largest Gaussian width w, as a fraction of the video (ActivityNet 1, Charades-STA 0.45)."
    )
    min_width: float = config_field(0.1, "CNM: w is clamped to at least this in the mask (the reference's 0.1).")
    gaussian_readout: str = config_field(
        "last",
        "CNM: how (c, w) is read off the video decoder's frame states: last (the reference: "
        "Dense + sigmoid on the last state) or attention (per-frame scores, softmax; c = the "
        "mean position, w = √12 × its standard deviation, capped at --max_width).",
    )

    # === Semantic completion and the intra-video contrastive loss ===
    vocabulary_size: int = config_field(
        8000,
        "CNM: word pieces reconstructed: the most frequent ones of the training sentences "
        "(ActivityNet 8000, Charades-STA 1111); rarer ones are read but never masked or scored.",
    )
    words_per_mask: int = config_field(
        3, "CNM: one word in this many is masked, at least one per query (the reference: ⌊l/3⌋)."
    )
    reconstruct: str = config_field(
        "all",
        "CNM: the words the reconstruction loss scores: all (the reference: every word, each "
        "predicted from the words before it) or masked (only the masked words, as in "
        "masked-word completion; more of the loss then depends on the video).",
    )
    label_smoothing: float = config_field(0.1, "CNM: ε of the label-smoothed word cross entropy.")
    hard_negative_margin: float = config_field(
        0.1, "CNM: β₁, margin of the positive over the whole video (hard negative)."
    )
    easy_negative_margin: float = config_field(
        0.15, "CNM: β₂, margin of the positive over the rest of the video (easy negative)."
    )
    reconstruction_weight: float = config_field(
        1.0, "CNM: weight of the reconstruction loss (trains everything but the Gaussian head)."
    )
    contrastive_weight: float = config_field(
        1.0, "CNM: weight of the intra-video contrastive loss (trains the Gaussian head)."
    )
    clip_norm: float = config_field(
        10.0, "CNM: clip each loss's gradient to this global norm (the reference's 10; 0: no clipping)."
    )

    def validate(self, config) -> None:
        super().validate(config)
        for name in ("hidden_dim", "attention_heads", "decoder_layers", "proposal_stride",
                     "vocabulary_size", "words_per_mask"):
            if getattr(self, name) <= 0:
                raise ValueError(f"--{name} must be positive, got {getattr(self, name)}")
        if self.hidden_dim % self.attention_heads:
            raise ValueError(
                f"--attention_heads={self.attention_heads} must divide --hidden_dim={self.hidden_dim}"
            )
        if config.data.num_pre_clips // self.proposal_stride < 2:
            raise ValueError(
                f"--proposal_stride={self.proposal_stride} leaves fewer than 2 of the "
                f"--num_pre_clips={config.data.num_pre_clips} frames for the reconstructor"
            )
        if self.gaussian_readout not in READOUTS:
            raise ValueError(
                f"--gaussian_readout={self.gaussian_readout!r}: expected one of {', '.join(READOUTS)}"
            )
        if self.reconstruct not in RECONSTRUCT:
            raise ValueError(f"--reconstruct={self.reconstruct!r}: expected one of {', '.join(RECONSTRUCT)}")
        if self.gauss_alpha <= 0:
            raise ValueError(f"--gauss_alpha must be positive, got {self.gauss_alpha}")
        if not 0.0 < self.max_width <= 1.0:
            raise ValueError(f"--max_width must be in (0, 1], got {self.max_width}")
        if not 0.0 < self.min_width <= self.max_width:
            raise ValueError(f"need 0 < --min_width <= --max_width, got {self.min_width}, {self.max_width}")
        if not 0.0 <= self.label_smoothing < 1.0:
            raise ValueError(f"--label_smoothing must be in [0, 1), got {self.label_smoothing}")
        for name in ("hard_negative_margin", "easy_negative_margin", "reconstruction_weight",
                     "contrastive_weight", "clip_norm"):
            if getattr(self, name) < 0:
                raise ValueError(f"--{name} must be >= 0, got {getattr(self, name)}")
        if self.dropout < 0 or self.dropout >= 1:
            raise ValueError(f"--dropout must be in [0, 1), got {self.dropout}")
