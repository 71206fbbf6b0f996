"""CNM's parameter counts and analytic inference FLOPs (``clear_tf.model_stats`` conventions).

At inference only the mask generator runs: the frame projection once per video, then per
query the word decoder over its S tokens and the video decoder over the N frames
attending to them. The reconstructor (the word classifier, the masked-word path) is a
training-only part; its parameters are counted, its FLOPs are not.
"""

from __future__ import annotations

from clear_tf.model_stats import count_parameters


def decoder_layer_flops(length: int, source_length: int, hidden: int) -> int:
    """One post-norm decoder layer over ``length`` positions, attending to ``source_length`` (0: none)."""
    flops = 4 * length * hidden * hidden * 2 + 2 * length * length * hidden * 2  # self-attention
    if source_length:
        flops += (2 * length + 2 * source_length) * hidden * hidden * 2  # q, out; k, v of the source
        flops += 2 * length * source_length * hidden * 2
    return flops + 2 * length * hidden * 2 * hidden * 2  # feed-forward d → 2d → d


def model_stats(model, num_tokens: int = 32) -> dict:
    d, n = model.hidden_dim, model.num_pre_clips
    parameters = {
        "word_table (frozen)": count_parameters(model.word_embedding.non_trainable_weights),
        "video_encoder": count_parameters(model.video_encoder.weights),
        "word_decoder": count_parameters(model.word_decoder.weights),
        "video_decoder": count_parameters(model.video_decoder.weights),
        "generator_decoders": 0 if model.share_decoders else count_parameters(
            model.generator_word_decoder.weights + model.generator_video_decoder.weights
        ),
        "gaussian_head": count_parameters(model.gaussian_head.weights),
        "word_classifier": count_parameters(model.word_classifier.weights),
    }
    parameters["total"] = count_parameters(model.weights)
    parameters["trainable"] = count_parameters(model.trainable_weights)
    per_video = {"frame_projection": 2 * n * model.feature_dim * d}
    per_video["total"] = sum(per_video.values())
    per_query = {
        "word_projection": 2 * num_tokens * model.word_dim * d,
        "word_decoder": model.num_layers * decoder_layer_flops(num_tokens, 0, d),
        "video_decoder": model.num_layers * decoder_layer_flops(n, num_tokens, d),
        "num_candidates": int(model.candidate_mask.sum()),
    }
    per_query["total"] = sum(value for name, value in per_query.items() if name != "num_candidates")
    return {"parameters": parameters, "flops_per_video": per_video, "flops_per_query": per_query}
