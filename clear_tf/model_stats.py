"""Parameter counts and an analytic FLOPs estimate of a CLEAR model.

FLOPs count a multiply-add as 2 and include only the dominant terms: convolutions,
dense layers, attention products and the moment map's max comparisons (biases,
activations, normalisations and softmax are left out). The Keras graph evaluates the
moment MLP and the fine head on every cell of the L×L map; the pruned search of
``clear_tf.inference`` evaluates the fine head on kept candidates only, so the fine
head's cost is also given per candidate.
"""

from __future__ import annotations

import numpy as np


def _count(weights) -> int:
    return int(sum(np.prod(w.shape) for w in weights))


def _text_encoder_flops(backbone, num_tokens: int) -> int:
    hidden, inner = backbone.hidden_dim, backbone.intermediate_dim
    per_layer = (
        4 * num_tokens * hidden * hidden * 2  # query, key, value and output projections
        + 2 * num_tokens * num_tokens * hidden * 2  # scores QKᵀ and the weighted sum of values
        + 2 * num_tokens * hidden * inner * 2  # feed-forward in and out
    )
    return backbone.num_layers * per_layer


def model_stats(model, num_tokens: int = 32) -> dict:
    """Parameters and FLOPs of ``model`` (a ``clear_tf.models.CLEAR``).

    Args:
        model: the CLEAR model.
        num_tokens: S, tokens per query ([CLS] and [SEP] included) for the BERT cost.

    Returns:
        ``{"parameters": {...}, "flops_per_video": {...}, "flops_per_query": {...}}``,
        each a dict of named counts with a ``total``.
    """
    backbone = model.text_backbone
    sentence_encoder = model.get_layer("sentence_encoder")
    parameters = {
        "video_encoder": _count(model.video_encoder.weights),
        "text_backbone": _count(backbone.weights),
        "query_projection": _count(sentence_encoder.projection.weights),
        "fine_head": _count(model.fine_head.weights),
        "trainable": _count(model.trainable_weights),
        "frozen": _count(model.non_trainable_weights),
        "total": _count(model.weights),
    }

    num_units, num_clips, dim = model.num_pre_clips, model.num_clips, model.hidden_dim
    cells = num_clips * num_clips
    per_video = {}
    width = model.feature_dim
    if model.use_tcn:
        tcn_flops = 0
        for filters in model.tcn_channels:
            tcn_flops += num_units * model.tcn_kernel_size * width * filters * 2
            if filters != width:
                tcn_flops += num_units * width * filters * 2  # 1×1 residual projection
            width = filters
        per_video["bi_tcn"] = tcn_flops
    per_video["clip_pooling"] = num_units * width
    per_video["moment_map"] = num_clips * (num_clips - 1) // 2 * width
    mlp_flops = 0
    for _ in range(model.moment_mlp_layers):
        mlp_flops += cells * width * dim * 2
        width = dim
    per_video["moment_mlp"] = mlp_flops
    per_video["total"] = sum(per_video.values())

    num_candidates = int(model.candidate_mask.sum())
    if model.fine_head_type == "mlp":
        per_cell = (model.fine_head_layers - 1) * dim * dim * 2 + dim * 2
        fine_head_map = cells * per_cell
    else:
        per_cell = None
        kernel_area = model.fine_head_kernel_size**2
        fine_head_map = cells * ((model.fine_head_layers - 1) * kernel_area * dim * dim * 2 + dim * 2)
    per_query = {
        "text_encoder": _text_encoder_flops(backbone, num_tokens),
        "query_projection": backbone.hidden_dim * dim * 2,
        "anchor_similarity": model.num_anchors * dim * 2,
        "coarse_scores": cells * dim * 2,
        "fusion": cells * dim,
        "fine_head": fine_head_map,
    }
    per_query["total"] = sum(per_query.values())
    per_query["num_candidates"] = num_candidates
    # Only the pointwise head can score a single candidate on its own.
    per_query["fine_head_per_candidate"] = per_cell
    return {"parameters": parameters, "flops_per_video": per_video, "flops_per_query": per_query}


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
