"""Parameter counts and the analytic FLOPs estimate of 2D-TAN (the parts CDN shares too).

Conventions: ``clear_tf.model_stats`` (a multiply-add is 2 FLOPs; biases, activations,
normalisations and softmax are left out). Every query runs the whole map head: 2D-TAN
scores all candidates, so there is no per-candidate cost.
"""

from __future__ import annotations

from clear_tf.model_stats import count_parameters, text_encoder_flops
from clear_tf.models.tan2d.map_conv import tan2d_paddings
from clear_tf.models.tan2d.sparse_layout import conv_schedule


def shared_parameters(model) -> dict:
    """The parameter counts every 2D-map model reports (towers, head, totals)."""
    return {
        "video_encoder": count_parameters(model.video_encoder.weights),
        "text_backbone": count_parameters(model.text_backbone.weights),
        "query_projection": count_parameters(model._sentence_encoder.projection.weights),
    }


def totals(model) -> dict:
    return {
        "trainable": count_parameters(model.trainable_weights),
        "frozen": count_parameters(model.non_trainable_weights),
        "total": count_parameters(model.weights),
    }


def moment_feature_flops(model) -> int:
    """The sparse moment map: max comparisons (Pool) or the stacked 1D convolutions (Conv)."""
    num_clips, dim = model.num_clips, model.hidden_dim
    if model.variant == "pool":
        # MomentMap builds every diagonal by one running max (then gathers the sampled ones).
        return num_clips * (num_clips - 1) // 2 * dim
    flops, length = 0, num_clips
    for kernel, stride, _, _ in conv_schedule(model.pooling_counts):
        length = (length - kernel) // stride + 1
        flops += length * kernel * dim * dim * 2
    return flops


def video_flops(model, clip_flops: dict) -> dict:
    """FLOPs per video: unit projection, the clips (``clip_flops``), moment map, map projection."""
    units, dim, cells = model.num_pre_clips, model.hidden_dim, model.num_clips**2
    per_video = {"frame_projection": units * model.feature_dim * dim * 2, **clip_flops}
    per_video["moment_map"] = moment_feature_flops(model)
    per_video["map_projection"] = cells * dim * dim * 2
    per_video["total"] = sum(per_video.values())
    return per_video


def map_conv_flops(num_clips: int, dim: int, num_layers: int, kernel_size: int, paddings) -> int:
    """The K×K convolutions over the map (their outputs grow with the padding) and the 1×1 logit."""
    flops, size = 0, num_clips
    for padding in paddings:
        size = size + 2 * padding - kernel_size + 1
        flops += size * size * kernel_size * kernel_size * dim * dim * 2
    return flops + num_clips * num_clips * dim * 2


def model_stats(model, num_tokens: int = 32) -> dict:
    """Parameters and FLOPs of a ``TAN2D`` model (see the module docstring)."""
    parameters = {
        **shared_parameters(model),
        "map_conv": count_parameters(model.map_conv.weights),
        **totals(model),
    }
    units, num_clips, dim = model.num_pre_clips, model.num_clips, model.hidden_dim
    per_video = video_flops(model, {"clip_pooling": units * dim})
    backbone = model.text_backbone
    paddings = tan2d_paddings(model.map_layers, model.map_kernel_size)
    per_query = {
        "text_encoder": text_encoder_flops(backbone, num_tokens),
        "query_projection": backbone.hidden_dim * dim * 2,
        "fusion": num_clips * num_clips * dim,
        "map_conv": map_conv_flops(num_clips, dim, model.map_layers, model.map_kernel_size, paddings),
    }
    per_query["total"] = sum(per_query.values())
    per_query["num_candidates"] = int(model.candidate_mask.sum())
    return {"parameters": parameters, "flops_per_video": per_video, "flops_per_query": per_query}
