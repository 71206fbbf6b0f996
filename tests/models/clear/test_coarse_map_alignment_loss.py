"""CoarseMapAlignmentLoss against a hand computation and its place in build_losses."""

import keras
import numpy as np

from clear_tf.config import Config
from clear_tf.models.clear import CLEAR
from clear_tf.models.clear.coarse_map_alignment_loss import CoarseMapAlignmentLoss


def test_per_slot_mean_over_candidates_and_masked_reduction():
    # L = 2: the candidates are (0, 0), (0, 1) and (1, 1); (1, 0) is ignored.
    scores = np.zeros((1, 2, 2, 2), np.float32)
    iou = np.zeros((1, 2, 2, 2), np.float32)
    scores[0, 0, 0, 1], iou[0, 0, 0, 1] = 0.5, 0.25  # (0.25)² = 0.0625
    scores[0, 0, 1, 1], iou[0, 0, 1, 1] = 0.1, 0.6  # (0.5)² = 0.25
    scores[0, 0, 1, 0] = 9.0  # i > j: not a candidate
    scores[0, 1, 0, 0] = 3.0  # a padded slot: 9 / 3 candidates
    loss = CoarseMapAlignmentLoss()
    per_slot = keras.ops.convert_to_numpy(loss.call(iou, scores))
    np.testing.assert_allclose(per_slot, [[0.3125 / 3, 3.0]], rtol=1e-6)
    mask = np.array([[1.0, 0.0]], np.float32)
    # Keras's default reduction: weighted sum over the B·K = 2 slots.
    np.testing.assert_allclose(
        float(loss(iou, scores, sample_weight=mask)), 0.3125 / 3 / 2, rtol=1e-6
    )


def test_sparse_candidates_follow_the_model():
    loss = CoarseMapAlignmentLoss(sparse=True, pooling_counts=[2, 2], num_anchors=1)
    scores = np.ones((1, 1, 16, 16), np.float32)
    value = float(keras.ops.convert_to_numpy(loss.call(np.zeros_like(scores), scores))[0, 0])
    assert value == 1.0  # the mean of ones over whichever candidates, never a sum


def test_build_losses_adds_it_only_when_weighted():
    config = Config()
    config.data.num_clips, config.model.tree_depth = 8, 3
    losses, weights = CLEAR.build_losses(config)
    assert "coarse_scores" not in losses
    config.model.coarse_map_weight = 0.5
    losses, weights = CLEAR.build_losses(config)
    assert weights["coarse_scores"] == 0.5
    assert isinstance(losses["coarse_scores"], CoarseMapAlignmentLoss)
