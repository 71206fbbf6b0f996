"""Parameter counts and analytic FLOPs estimates: the parts every model shares, and the table.

Each model's ``model_stats`` (``clear_tf.models.MomentLocalizer``) returns
``{"parameters", "flops_per_video", "flops_per_query"}``. FLOPs count a multiply-add
as 2 and include only the dominant terms: convolutions, dense layers, attention
products and the moment map's max comparisons (biases, activations, normalisations and
softmax are left out).
"""

from __future__ import annotations

import numpy as np


def count_parameters(weights) -> int:
    """Number of scalars in ``weights`` (a list of variables)."""
    return int(sum(np.prod(w.shape) for w in weights))


def text_encoder_flops(backbone, num_tokens: int) -> int:
    """FLOPs of one query of ``num_tokens`` tokens through a keras-hub BERT backbone."""
    hidden, inner = backbone.hidden_dim, backbone.intermediate_dim
    per_layer = (
        4 * num_tokens * hidden * hidden * 2  # query, key, value and output projections
        + 2 * num_tokens * num_tokens * hidden * 2  # scores QKᵀ and the weighted sum of values
        + 2 * num_tokens * hidden * inner * 2  # feed-forward in and out
    )
    return backbone.num_layers * per_layer


def format_model_stats(stats: dict) -> str:
    """A plain-text table of ``model_stats`` output (what ``train.py --summary_only`` prints)."""
    lines = []
    for section, title in (
        ("parameters", "Parameters"),
        ("flops_per_video", "FLOPs per video (multiply-add = 2)"),
        ("flops_per_query", "FLOPs per query (multiply-add = 2)"),
    ):
        lines.append(title)
        for name, value in stats[section].items():
            shown = "n/a" if value is None else f"{value:,}"
            if value is not None and section != "parameters" and name != "num_candidates":
                shown += f"  ({value / 1e9:.3f} G)"
            lines.append(f"  {name:<26}{shown:>28}")
    return "\n".join(lines)
