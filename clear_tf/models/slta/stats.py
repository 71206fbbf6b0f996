"""Parameter counts and the analytic FLOPs estimate of SLTA (conventions: ``clear_tf.model_stats``)."""

from __future__ import annotations

from clear_tf.model_stats import count_parameters


def model_stats(model, num_tokens: int = 32) -> dict:
    """Parameters and FLOPs of an ``SLTA`` model (multiply-add = 2; activations left out)."""
    head = model._head
    parameters = {
        "video_encoder": count_parameters(model.video_encoder.weights),
        "word_vectors": count_parameters(model.word_encoder.embedding.weights),
        "word_lstm": count_parameters(model.word_encoder.lstm.weights),
        **{name: count_parameters(layer.weights) for name, layer in head.items() if layer.weights},
        "trainable": count_parameters(model.trainable_weights),
        "frozen": count_parameters(model.non_trainable_weights),
        "total": count_parameters(model.weights),
    }
    n, length, dim, att = model.num_pre_clips, model.num_clips, model.hidden_dim, model.attention_dim
    regions = max(model.num_regions, 1)
    cells = length * (length + 1) // 2
    per_video = {
        "unit_projection": n * model.unit_dim * dim * 2,
        "temporal_context": length * model.context_kernel * dim * dim * 2,
        "region_projection": n * model.num_regions * model.region_dim * dim * 2,
    }
    per_video["total"] = sum(per_video.values())
    half = dim // 2
    per_query = {
        # Two directions, four gates over [x; h].
        "word_lstm": num_tokens * 2 * 4 * (model.word_dim + half) * half * 2,
        "spatial_attention": n * regions * (dim * att * 2 + att * 2 + dim * 2) + dim * att * 2,
        "clip_fusion": length * dim * dim * 2 * 2,
        "moment_map": length * (length - 1) // 2 * dim + cells * dim * 2,
        "moment_projection": cells * 4 * dim * dim * 2,
        "language_temporal_attention": cells * (dim * att * 2 + num_tokens * att * 2 + num_tokens * dim * 2)
        + num_tokens * dim * att * 2,
        "fusion": cells * (2 * dim * dim * 2 + 2 * dim * dim * 2 + 3 * dim * dim * 2 + dim * 2),
    }
    per_query["total"] = sum(per_query.values())
    per_query["num_candidates"] = cells
    return {"parameters": parameters, "flops_per_video": per_video, "flops_per_query": per_query}
