"""Parameter counts and the analytic FLOPs estimate of CDN (conventions: ``clear_tf.model_stats``)."""

from __future__ import annotations

from clear_tf.model_stats import count_parameters, text_encoder_flops
from clear_tf.models.tan2d.stats import shared_parameters, totals, video_flops


def frame_attention_flops(model) -> int:
    """The sequential frame attention over all L segments of s = N / L frames."""
    dim, att, steps = model.hidden_dim, model.frame_attention_dim, model.frame_attention_steps
    frames = model.num_pre_clips // model.num_clips
    per_segment = frames * dim  # the segment's mean
    per_segment += frames * dim * att * 2  # frame keys, once
    per_step = dim * dim * 2 + 2 * dim * dim * 2 + dim * att * 2  # segment projection, guide, guide key
    per_step += frames * (att + att * 2) + frames * dim * 2  # tanh sum, logit, weighted sum
    per_segment += steps * per_step + steps * dim * dim * 2  # the output projection
    return model.num_clips * per_segment


def dynamic_head_flops(model) -> dict:
    """Per query: kernel generation and convolutions of the dynamic and static blocks, the logit."""
    cells, dim, kernel = model.num_clips**2, model.hidden_dim, model.map_kernel_size
    conv = cells * kernel * kernel * dim * dim * 2
    gate = cells * dim + 2 * dim * dim * 2 + dim * model.num_experts * 2
    mixing = model.num_experts * kernel * kernel * dim * dim * 2
    dynamic = model.dynamic_layers
    return {
        "dynamic_kernels": dynamic * (gate + mixing),
        "map_conv": model.map_layers * conv + cells * dim * 2,
    }


def model_stats(model, num_tokens: int = 32) -> dict:
    """Parameters and FLOPs of a ``CDN`` model."""
    parameters = {
        **shared_parameters(model),
        "text_projection": count_parameters(model.get_layer("text_projection").weights),
        "map_conv": count_parameters(model.map_conv.weights),
        **totals(model),
    }
    per_video = video_flops(model, {"frame_attention": frame_attention_flops(model)})
    backbone, dim, cells = model.text_backbone, model.hidden_dim, model.num_clips**2
    per_query = {
        "text_encoder": text_encoder_flops(backbone, num_tokens),
        "query_projection": backbone.hidden_dim * dim * 2,
        "text_projection": dim * dim * 2,
        "fusion": cells * dim,
        **dynamic_head_flops(model),
    }
    per_query["total"] = sum(per_query.values())
    per_query["num_candidates"] = int(model.candidate_mask.sum())
    return {"parameters": parameters, "flops_per_video": per_video, "flops_per_query": per_query}
