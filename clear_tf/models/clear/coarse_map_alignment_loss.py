"""Γ₁'s squared error on every candidate, plus an optional clip-level term on the diagonal."""

from __future__ import annotations

import keras
from keras import ops

from clear_tf.losses.candidate_mean_loss import CandidateMeanLoss
from clear_tf.models.clear.config import CLIP_ALIGNMENT_LOSSES


@keras.saving.register_keras_serializable(package="clear_tf")
class CoarseMapAlignmentLoss(CandidateMeanLoss):
    """Per query slot, ``map_weight``·mean over the candidates of (cᵀq/d − IoU)², plus
    ``clip_weight``·mean over the L clips of (cᵢᵢᵀq/d − 1[clip i overlaps the moment])².

    Eq. 5 trains the coarse score only at the R anchors of Eq. 2, the nodes of the
    paper's tree. The binary tree's search follows the best coarse score among all
    candidates (``clear_tf.models.clear.tree_search``), so every candidate's score must
    track its IoU. The map term is Γ₁'s form, Σ (aᵀq − d·IoU)² divided by d² (i.e.
    (aᵀq/d − IoU)²), averaged over the A candidate cells instead of summed over anchors.

    The clip term is not in the paper. Almost every candidate is a multi-clip span
    whose max-pooled features contain the queried action, so the map term mostly
    teaches "long spans score low" and hardly which clips show the query; the clip
    term asks each one-clip cell (i, i) whether clip i overlaps the moment (IoU > 0),
    the signal a matcher built from these layers learns from fastest on tacos_like
    (``benchmarks/objective_learnability.py``).

    With ``clip_loss="softmax"`` the clip term is instead a cross-entropy over the
    video's L clips: softmax(``temperature``·cᵢᵢᵀq/d) against the uniform distribution
    over the clips that overlap the moment (0 for a slot where none does, i.e. padding).
    The squared form asks every clip for an absolute score; the softmax only asks the
    matching clips to outscore the rest of their video, which is all the search and the
    ranking read, and a bilinear matcher on these features learns it faster
    (BENCHMARKS.md, "Where CLEAR's learning stalls on tacos_like").

    ``y_true`` is the IoU map [B, K, L, L] (``iou_map``), ``y_pred`` the
    ``coarse_scores`` output [B, K, L, L]; reduced like ``FineAlignmentLoss``.

    Args:
        map_weight: weight of the candidate-level term.
        clip_weight: weight of the clip-level term (0: off).
        clip_loss: "squared" (the clip's score against 1[overlap]) or "softmax"
            (cross-entropy over the video's clips), from ``CLIP_ALIGNMENT_LOSSES``.
        temperature: multiplies the clip scores before the softmax.
        sparse: the candidates are the 2D-TAN sparse sampling (plus anchors), as in the
            model; otherwise every cell with i <= j. The diagonal is always a candidate.
        pooling_counts: diagonals per stride level of the sparse sampling.
        num_anchors: R; anchor cells are candidates in sparse mode.
        name: loss name.
        reduction: Keras reduction of the per-slot values.
        dtype: loss computation dtype.

    Example:

    L = 2: the candidates are (0, 0), (0, 1) and (1, 1); (1, 0) is ignored.

    >>> import numpy as np
    >>> iou_map = np.array([[[[0.8, 0.4], [0.0, 0.1]]]], "float32")  # [B=1, K=1, 2, 2]
    >>> coarse_scores = np.array([[[[0.5, 0.5], [9.0, 0.5]]]], "float32")
    >>> loss = CoarseMapAlignmentLoss()
    >>> round(float(loss(iou_map, coarse_scores)), 4)  # (0.3² + 0.1² + 0.4²) / 3
    0.0867
    >>> both = CoarseMapAlignmentLoss(clip_weight=1.0)  # both clips overlap: + (0.5² + 0.5²) / 2
    >>> round(float(both(iou_map, coarse_scores)), 4)
    0.3367
    >>> softmax = CoarseMapAlignmentLoss(map_weight=0.0, clip_weight=1.0, clip_loss="softmax")
    >>> round(float(softmax(iou_map, coarse_scores)), 4)  # equal scores: log 2
    0.6931
    """

    def __init__(
        self,
        map_weight=1.0,
        clip_weight=0.0,
        clip_loss="squared",
        temperature=10.0,
        name="coarse_map_alignment_loss",
        **kwargs,
    ):
        super().__init__(name=name, **kwargs)
        if clip_loss not in CLIP_ALIGNMENT_LOSSES:
            raise ValueError(f"clip_loss={clip_loss!r}: expected one of {', '.join(CLIP_ALIGNMENT_LOSSES)}")
        self.map_weight = float(map_weight)
        self.clip_weight = float(clip_weight)
        self.clip_loss = clip_loss
        self.temperature = float(temperature)

    def call(self, y_true, y_pred):
        map_term = super().call(y_true, y_pred) if self.map_weight else 0.0
        if not self.clip_weight:
            return self.map_weight * map_term
        y_pred = ops.convert_to_tensor(y_pred)
        clip_scores = ops.diagonal(y_pred, axis1=-2, axis2=-1)
        clip_overlaps = ops.cast(ops.diagonal(ops.convert_to_tensor(y_true), axis1=-2, axis2=-1) > 0, y_pred.dtype)
        if self.clip_loss == "squared":
            clip_term = ops.mean(ops.square(clip_scores - clip_overlaps), axis=-1)
        else:
            targets = clip_overlaps / ops.maximum(ops.sum(clip_overlaps, axis=-1, keepdims=True), 1.0)
            log_probabilities = ops.log_softmax(self.temperature * clip_scores, axis=-1)
            clip_term = -ops.sum(targets * log_probabilities, axis=-1)
        return self.map_weight * map_term + self.clip_weight * clip_term

    def cell_values(self, y_true, y_pred):
        return ops.square(y_pred - y_true)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "map_weight": self.map_weight,
                "clip_weight": self.clip_weight,
                "clip_loss": self.clip_loss,
                "temperature": self.temperature,
            }
        )
        return config
