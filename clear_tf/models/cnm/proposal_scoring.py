"""Ranking candidates by CNM's own objective: the inference method ``cnm_reconstruction``.

Not in the reference, which returns the generator's Gaussian (method ``cnm``). Here every
candidate (i, j) of the L×L grid no wider than ``max_width`` becomes a Gaussian (centre
(i + j + 1) / 2L, width (j - i + 1) / L, as fractions of the video). The reconstructor
reads the query, its maskable words masked by the deterministic rule of ``WordMasking``,
from the sampled frames re-weighted by that Gaussian (the positive proposal) and by its
complement (the easy negative), and the candidate scores −(2·nll⁺ − nll^easy): the
intra-video contrastive loss without its hinges, since the hard negative (the whole
video) is the same for every candidate. So the moment returned is the one the trained
objective prefers, rather than where the generator's single (c, w) landed; training is
unchanged and no timestamp is read. The cost is 2·C decoder passes per query (C
candidates: 392 at L = 32 and widths up to half the video).
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from clear_tf.models.cnm.gaussian import gaussian_weights


def candidate_cells(num_clips: int, max_width: float) -> np.ndarray:
    """int32 [C, 2]: the cells (i, j), i ≤ j, whose span (j - i + 1) / L is at most ``max_width``
    (at least the one-clip cells)."""
    longest = max(1, int(np.floor(max_width * num_clips + 1e-9)))
    return np.array(
        [(i, j) for i in range(num_clips) for j in range(i, min(num_clips, i + longest))], dtype=np.int32
    )


def cell_gaussians(cells: np.ndarray, num_clips: int) -> np.ndarray:
    """float32 [C, 2]: (centre, width) of each cell's span [i/L, (j + 1)/L]."""
    start = cells[:, 0] / num_clips
    end = (cells[:, 1] + 1) / num_clips
    return np.stack([(start + end) / 2.0, end - start], axis=-1).astype(np.float32)


def reconstruction_scores(model, frames, token_ids, padding_mask):
    """Scores [M, L, L] (−inf outside the candidates) and the candidates kept, bool [M, L, L].

    Args:
        model: a ``CNM``.
        frames: float32 [N, d], ``model.encode_video`` of the video.
        token_ids, padding_mask: int [M, S] of its M queries.
    """
    layer = model.get_layer
    num_clips = int(model.num_clips)
    cells = candidate_cells(num_clips, model.max_width)
    gaussians = cell_gaussians(cells, num_clips)
    num_cells = len(cells)
    positive = gaussian_weights(gaussians[:, 0], gaussians[:, 1], model.num_proposals, model.gauss_alpha, model.min_width)
    weights = tf.concat([positive, 1.0 - positive], axis=0)  # [2C, P]
    proposals = layer("proposal_frames")(frames[tf.newaxis])  # [1, P, d]
    video = layer("video_decoder")(
        tf.tile(proposals, [2 * num_cells, 1, 1]), self_weights=weights, training=False
    )  # [2C, P, d]: the video side does not depend on the query

    token_ids = tf.cast(token_ids, tf.int32)
    padding_mask = tf.cast(padding_mask, tf.int32)
    raw_words = layer("word_embedding")(token_ids)
    words = layer("word_projection")(raw_words)
    mask_token = layer("word_projection")(layer("mask_vector")(raw_words))
    masked, masked_positions = layer("word_masking")([words, mask_token, token_ids, padding_mask], training=False)
    decoder_input = layer("decoder_input")(layer("word_positions")(masked))  # [M, S-1, d]
    targets, target_mask, input_mask = layer("targets")([token_ids, padding_mask])
    if model.reconstruct == "masked":
        target_mask = layer("masked_targets")([target_mask, masked_positions])

    num_queries = tf.shape(token_ids)[0]
    pairs = 2 * num_cells  # query-major: query m's 2C pairs are rows m·2C … (m + 1)·2C - 1
    states = layer("word_decoder")(
        tf.repeat(decoder_input, pairs, axis=0),
        x_mask=tf.repeat(input_mask, pairs, axis=0),
        source=tf.tile(video, [num_queries, 1, 1]),
        source_weights=tf.tile(weights, [num_queries, 1]),
        training=False,
    )
    nll = layer("word_nll")(
        [layer("word_classifier")(states), tf.repeat(targets, pairs, axis=0), tf.repeat(target_mask, pairs, axis=0)]
    )
    nll = tf.reshape(tf.cast(nll, tf.float32), [num_queries, 2, num_cells])
    cell_scores = -(2.0 * nll[:, 0] - nll[:, 1])  # [M, C]

    indices = tf.constant(cells[:, 0] * num_clips + cells[:, 1], tf.int32)
    flat = tf.fill([num_clips * num_clips, num_queries], tf.constant(-np.inf, tf.float32))
    flat = tf.tensor_scatter_nd_update(flat, indices[:, tf.newaxis], tf.transpose(cell_scores))
    scores = tf.reshape(tf.transpose(flat), [num_queries, num_clips, num_clips])
    kept_cells = np.zeros((num_clips, num_clips), bool)
    kept_cells[cells[:, 0], cells[:, 1]] = True
    kept = tf.tile(tf.constant(kept_cells)[tf.newaxis], [num_queries, 1, 1])
    return scores, kept, num_cells / float(model.candidate_mask.sum())
