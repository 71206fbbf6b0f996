"""Parameter counts and the analytic FLOPs estimate of a CLEAR model.

The Keras graph evaluates the moment MLP and the fine head on every cell of the L×L
map; the pruned search evaluates the fine head on kept candidates only, so the fine
head's cost is also given per candidate. Conventions: ``clear_tf.model_stats``.
"""

from __future__ import annotations

from clear_tf.model_stats import count_parameters, text_encoder_flops


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
        "video_encoder": count_parameters(model.video_encoder.weights),
        "text_backbone": count_parameters(backbone.weights),
        "query_projection": count_parameters(sentence_encoder.projection.weights),
        "fine_head": count_parameters(model.fine_head.weights),
        "trainable": count_parameters(model.trainable_weights),
        "frozen": count_parameters(model.non_trainable_weights),
        "total": count_parameters(model.weights),
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
    pooled_width = dim if model.moment_pooling == "scaled_sum" else width  # sum pools the projected clips
    per_video["moment_map"] = num_clips * (num_clips - 1) // 2 * pooled_width
    if model.moment_boundaries:
        # Two [L, 2C] → [L, d] projections, then one sum per cell.
        per_video["span_boundaries"] = 2 * num_clips * 2 * width * dim * 2 + cells * dim
    mlp_flops = 0
    for index in range(model.moment_mlp_layers):
        # Scaled-sum pooling runs the first (linear) layer on the L clips, then sums spans.
        rows = num_clips if index == 0 and model.moment_pooling == "scaled_sum" else cells
        mlp_flops += rows * width * dim * 2
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
        "text_encoder": text_encoder_flops(backbone, num_tokens),
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
