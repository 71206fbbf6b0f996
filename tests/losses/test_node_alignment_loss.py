"""NodeAlignmentLoss against a hand computation, its config, and its place in build_losses."""

import keras
import numpy as np

from clear_tf.config import Config
from clear_tf.inference import anchor_cells
from clear_tf.losses import NodeAlignmentLoss, build_losses


def test_per_slot_value_and_masked_mean():
    cells = [(0, 3), (0, 1), (2, 3)]
    scores = np.zeros((1, 2, 4, 4), np.float32)
    iou = np.zeros((1, 2, 4, 4), np.float32)
    scores[0, 0, 0, 3], iou[0, 0, 0, 3] = 0.5, 0.25  # (0.25)² = 0.0625
    scores[0, 0, 2, 3], iou[0, 0, 2, 3] = 0.1, 0.6  # (0.5)² = 0.25
    scores[0, 0, 1, 2] = 9.0  # not a node cell: ignored
    scores[0, 1, 0, 1] = 3.0  # a padded slot
    loss = NodeAlignmentLoss(cells)
    per_slot = keras.ops.convert_to_numpy(loss.call(iou, scores))
    np.testing.assert_allclose(per_slot, [[0.3125, 9.0]], rtol=1e-6)
    mask = np.array([[1.0, 0.0]], np.float32)
    # Keras's default reduction: weighted sum over the B·K = 2 slots.
    np.testing.assert_allclose(float(loss(iou, scores, sample_weight=mask)), 0.3125 / 2, rtol=1e-6)


def test_config_round_trip():
    loss = NodeAlignmentLoss([(0, 7), (4, 7)])
    again = NodeAlignmentLoss.from_config(loss.get_config())
    assert again.cells == [(0, 7), (4, 7)]


def test_build_losses_adds_it_only_when_weighted():
    config = Config()
    config.data.num_clips, config.model.tree_depth = 8, 3
    losses, weights = build_losses(config)
    assert "coarse_scores" not in losses
    config.loss.node_weight = 0.5
    losses, weights = build_losses(config)
    assert weights["coarse_scores"] == 0.5
    assert losses["coarse_scores"].cells == anchor_cells("binary", 8, 3)
    assert set(anchor_cells("binary", 8, 3)) == {(0, 7), (0, 3), (4, 7), (0, 1), (2, 3), (4, 5), (6, 7)}
