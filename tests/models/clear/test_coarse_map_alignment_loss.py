"""CoarseMapAlignmentLoss against a hand computation and its place in build_losses."""

import keras
import keras_hub
import numpy as np
import pytest

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


# L = 16, pooling_counts (2, 2), R = 3, listed by hand: the main diagonal; offsets 1 and
# 2 from every clip; offsets 4 and 6 from every second clip; the anchors (0, 15) and
# (0, 14) ((15, 15), the third, is on the diagonal).
SPARSE_CELLS = sorted(
    {(i, i) for i in range(16)}
    | {(i, i + 1) for i in range(15)}
    | {(i, i + 2) for i in range(14)}
    | {(i, i + 4) for i in range(0, 12, 2)}
    | {(i, i + 6) for i in range(0, 10, 2)}
    | {(0, 15), (0, 14)}
)


def test_sparse_candidates_follow_the_model():
    assert len(SPARSE_CELLS) == 16 + 15 + 14 + 6 + 5 + 2
    rng = np.random.default_rng(3)
    iou = rng.uniform(size=(2, 3, 16, 16)).astype(np.float32)
    scores = rng.normal(size=(2, 3, 16, 16)).astype(np.float32)
    rows, columns = np.array(SPARSE_CELLS).T
    expected = np.mean((scores[..., rows, columns] - iou[..., rows, columns]) ** 2, axis=-1)

    loss = CoarseMapAlignmentLoss(sparse=True, pooling_counts=[2, 2], num_anchors=3)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(loss.call(iou, scores)), expected, rtol=1e-5)

    # The loss CLEAR trains with for a sparse map, and the model's own candidate set.
    config = Config()
    config.data.num_pre_clips, config.data.num_clips = 32, 16
    config.model.moment_map, config.model.pooling_counts = "sparse", [2, 2]
    config.model.tree_depth, config.model.coarse_map_weight = 2, 1.0
    losses, _ = CLEAR.build_losses(config)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(losses["coarse_scores"].call(iou, scores)), expected, rtol=1e-5
    )
    backbone = keras_hub.models.BertBackbone(
        vocabulary_size=30, num_layers=1, num_heads=2, hidden_dim=8, intermediate_dim=16
    )
    model = CLEAR(
        backbone, feature_dim=4, num_pre_clips=32, num_clips=16, hidden_dim=8, tcn_channels=[8],
        moment_map="sparse", pooling_counts=[2, 2], tree_depth=2,
    )
    assert sorted(zip(*np.nonzero(model.candidate_mask))) == SPARSE_CELLS


def test_clip_term_reads_the_diagonal_against_overlap():
    # L = 3. Slot 0's moment overlaps clips 1 and 2 (IoU 0.2 and 0.5 on the diagonal);
    # slot 1 is padding (all-zero IoU: no clip overlaps).
    iou = np.zeros((1, 2, 3, 3), np.float32)
    iou[0, 0, 1, 1], iou[0, 0, 2, 2], iou[0, 0, 1, 2] = 0.2, 0.5, 0.9
    scores = np.zeros((1, 2, 3, 3), np.float32)
    scores[0, 0, 0, 0], scores[0, 0, 1, 1], scores[0, 0, 1, 2] = 0.4, 0.7, 3.0  # (1, 2): off the diagonal
    scores[0, 1, 2, 2] = 0.6
    clip_only = CoarseMapAlignmentLoss(map_weight=0.0, clip_weight=2.0)
    # Slot 0: (0.4 - 0)², (0.7 - 1)², (0 - 1)² over 3 clips; slot 1: 0.6² over 3 clips.
    expected = 2.0 * np.array([[(0.16 + 0.09 + 1.0) / 3, 0.36 / 3]])
    np.testing.assert_allclose(keras.ops.convert_to_numpy(clip_only.call(iou, scores)), expected, rtol=1e-6)
    # With the map term: the two add, each with its weight.
    both = CoarseMapAlignmentLoss(map_weight=0.5, clip_weight=2.0)
    map_only = CoarseMapAlignmentLoss()
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(both.call(iou, scores)),
        0.5 * keras.ops.convert_to_numpy(map_only.call(iou, scores)) + expected,
        rtol=1e-6,
    )
    restored = CoarseMapAlignmentLoss.from_config(both.get_config())
    assert (restored.map_weight, restored.clip_weight) == (0.5, 2.0)


def test_softmax_clip_term_is_cross_entropy_over_the_videos_clips():
    # Same maps as above: slot 0's moment overlaps clips 1 and 2, slot 1 is padding.
    iou = np.zeros((1, 2, 3, 3), np.float32)
    iou[0, 0, 1, 1], iou[0, 0, 2, 2], iou[0, 0, 1, 2] = 0.2, 0.5, 0.9
    scores = np.zeros((1, 2, 3, 3), np.float32)
    scores[0, 0, 0, 0], scores[0, 0, 1, 1], scores[0, 0, 1, 2] = 0.4, 0.7, 3.0
    scores[0, 1, 2, 2] = 0.6
    loss = CoarseMapAlignmentLoss(map_weight=0.0, clip_weight=2.0, clip_loss="softmax", temperature=5.0)
    logits = 5.0 * np.array([0.4, 0.7, 0.0])
    log_p = logits - np.log(np.exp(logits).sum())
    # Target: half on clip 1, half on clip 2; the padded slot has no target and costs 0.
    expected = 2.0 * np.array([[-(log_p[1] + log_p[2]) / 2, 0.0]])
    np.testing.assert_allclose(keras.ops.convert_to_numpy(loss.call(iou, scores)), expected, rtol=1e-5)
    # Adding a constant to every clip score changes nothing (the squared form would).
    shifted = scores + 3.0 * np.eye(3, dtype=np.float32)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(loss.call(iou, shifted)), expected, rtol=1e-5)
    restored = CoarseMapAlignmentLoss.from_config(loss.get_config())
    assert (restored.clip_loss, restored.temperature) == ("softmax", 5.0)
    with pytest.raises(ValueError, match="clip_loss='hinge'"):
        CoarseMapAlignmentLoss(clip_loss="hinge")


def test_build_losses_adds_it_only_when_weighted():
    config = Config()
    config.data.num_clips, config.model.tree_depth = 8, 3
    losses, weights = CLEAR.build_losses(config)
    assert "coarse_scores" not in losses
    config.model.coarse_map_weight = 0.5
    losses, weights = CLEAR.build_losses(config)
    assert weights["coarse_scores"] == 1.0
    assert isinstance(losses["coarse_scores"], CoarseMapAlignmentLoss)
    assert (losses["coarse_scores"].map_weight, losses["coarse_scores"].clip_weight) == (0.5, 0.0)
    config.model.coarse_map_weight, config.model.clip_alignment_weight = 0.0, 3.0
    losses, weights = CLEAR.build_losses(config)
    assert (losses["coarse_scores"].map_weight, losses["coarse_scores"].clip_weight) == (0.0, 3.0)
    assert "clip term ×3" in CLEAR.describe_training(config)
    config.model.clip_alignment_loss, config.model.clip_alignment_temperature = "softmax", 4.0
    losses, weights = CLEAR.build_losses(config)
    assert (losses["coarse_scores"].clip_loss, losses["coarse_scores"].temperature) == ("softmax", 4.0)
    assert "clip term ×3, softmax ×4" in CLEAR.describe_training(config)
