import keras
import numpy as np
import pytest

from clear_tf import moments
from clear_tf.config import Config
from clear_tf.losses import FineAlignmentLoss
from clear_tf.models.clear import CLEAR
from clear_tf.models.clear.coarse_alignment_loss import CoarseAlignmentLoss
from clear_tf.models.clear.coarse_map_alignment_loss import CoarseMapAlignmentLoss

RNG = np.random.default_rng(0)
BATCH, SLOTS, ANCHORS, CLIPS, DIM = 3, 4, 5, 6, 16
QUERY_MASK = np.array([[1, 1, 1, 0], [1, 0, 0, 0], [1, 1, 1, 1]], np.float32)


def numpy_coarse(anchor_iou, similarity, dim):
    return ((similarity - dim * anchor_iou) ** 2).sum(-1)


def numpy_fine(iou_map, logits, mask, min_iou=0.0, max_iou=1.0):
    target = np.clip((iou_map - min_iou) / (max_iou - min_iou), 0.0, 1.0)
    # Non-candidate cells hold -1e4 and must not enter the sum; clip them out of exp.
    p = 1.0 / (1.0 + np.exp(-np.where(mask, logits, 0.0).astype(np.float64)))
    bce = -(target * np.log(p) + (1 - target) * np.log(1 - p))
    return np.where(mask, bce, 0.0).sum((-2, -1)) / mask.sum()


def test_coarse_loss_per_slot_and_masked_mean_match_numpy():
    anchor_iou = RNG.uniform(size=(BATCH, SLOTS, ANCHORS)).astype(np.float32)
    similarity = RNG.normal(scale=DIM, size=(BATCH, SLOTS, ANCHORS)).astype(np.float32)
    loss = CoarseAlignmentLoss(hidden_dim=DIM)
    per_slot = numpy_coarse(anchor_iou, similarity, DIM)
    np.testing.assert_allclose(loss.call(anchor_iou, similarity), per_slot, rtol=1e-5)
    # Keras: weighted by query_mask, averaged over all B·K slots.
    expected = (per_slot * QUERY_MASK).sum() / (BATCH * SLOTS)
    np.testing.assert_allclose(loss(anchor_iou, similarity, sample_weight=QUERY_MASK), expected, rtol=1e-5)


def test_coarse_loss_hand_computed():
    # One slot, anchors with IoU (1, 0.5) and similarities (3, 0), d = 4: (3-4)² + (0-2)² = 5.
    loss = CoarseAlignmentLoss(hidden_dim=4)
    np.testing.assert_allclose(loss(np.array([[[1.0, 0.5]]]), np.array([[[3.0, 0.0]]])), 5.0)


@pytest.mark.parametrize("min_iou, max_iou", [(0.0, 1.0), (0.3, 0.7)])
def test_fine_loss_matches_numpy_over_valid_cells(min_iou, max_iou):
    iou_map = RNG.uniform(size=(BATCH, SLOTS, CLIPS, CLIPS)).astype(np.float32)
    logits = RNG.normal(scale=3.0, size=(BATCH, SLOTS, CLIPS, CLIPS)).astype(np.float32)
    logits[..., ~moments.valid_mask(CLIPS)] = -1e4
    loss = FineAlignmentLoss(min_iou=min_iou, max_iou=max_iou)
    per_slot = numpy_fine(iou_map, logits, moments.valid_mask(CLIPS), min_iou, max_iou)
    np.testing.assert_allclose(loss.call(iou_map, logits), per_slot, rtol=1e-5)
    expected = (per_slot * QUERY_MASK).sum() / (BATCH * SLOTS)
    np.testing.assert_allclose(loss(iou_map, logits, sample_weight=QUERY_MASK), expected, rtol=1e-5)


def test_fine_loss_averages_over_the_sparse_candidates():
    counts = (2, 1)
    mask = moments.sparse_mask(8, counts)
    iou_map = RNG.uniform(size=(2, 1, 8, 8)).astype(np.float32)
    logits = RNG.normal(size=(2, 1, 8, 8)).astype(np.float32)
    loss = FineAlignmentLoss(sparse=True, pooling_counts=counts)
    np.testing.assert_allclose(loss.call(iou_map, logits), numpy_fine(iou_map, logits, mask), rtol=1e-5)


def test_fine_loss_hand_computed():
    # L = 1: one candidate, logit 0 (p = 0.5), IoU 0.5 rescaled by (0.3, 0.7) to 0.5: BCE = log 2.
    loss = FineAlignmentLoss(min_iou=0.3, max_iou=0.7)
    np.testing.assert_allclose(loss(np.array([[[[0.5]]]]), np.array([[[[0.0]]]])), np.log(2.0), rtol=1e-6)


def test_fine_loss_is_stable_for_large_logits():
    loss = FineAlignmentLoss()
    value = loss.call(np.ones((1, 1, 2, 2), np.float32), np.full((1, 1, 2, 2), 200.0, np.float32))
    np.testing.assert_allclose(value, 0.0, atol=1e-6)


def test_bad_iou_range_is_an_error():
    with pytest.raises(ValueError, match="max_iou > min_iou"):
        FineAlignmentLoss(min_iou=0.7, max_iou=0.3)


def test_config_round_trip():
    candidate_set = {"sparse": True, "pooling_counts": [3, 2], "num_anchors": 3}
    for loss in (
        CoarseAlignmentLoss(hidden_dim=8),
        FineAlignmentLoss(0.5, 1.0, **candidate_set),
        CoarseMapAlignmentLoss(**candidate_set),
    ):
        revived = keras.losses.deserialize(keras.losses.serialize(loss))
        assert type(revived) is type(loss) and revived.get_config() == loss.get_config()


def test_build_losses_keys_and_weights_follow_the_config():
    config = Config()
    config.model.hidden_dim = 32
    config.model.alpha, config.model.coarse_weight = 2.0, 0.5
    config.model.min_iou, config.model.max_iou = 0.3, 0.7
    losses, weights = CLEAR.build_losses(config)
    assert set(losses) == {"anchor_similarity", "fine_logits"}
    assert weights == {"anchor_similarity": 0.5, "fine_logits": 2.0}
    assert losses["anchor_similarity"].hidden_dim == 32
    assert (losses["fine_logits"].min_iou, losses["fine_logits"].max_iou) == (0.3, 0.7)


def test_keras_compute_loss_combines_weighted_masked_losses():
    """A tiny model with the CLEAR output names, compiled with build_losses."""
    config = Config()
    config.model.hidden_dim = DIM
    config.model.alpha, config.model.coarse_weight = 2.0, 0.25
    losses, weights = CLEAR.build_losses(config)
    inputs = {
        "anchor_similarity": keras.Input((SLOTS, ANCHORS), name="anchor_similarity"),
        "fine_logits": keras.Input((SLOTS, CLIPS, CLIPS), name="fine_logits"),
    }
    outputs = {
        "anchor_similarity": keras.layers.Identity(name="anchor_similarity_out")(inputs["anchor_similarity"]),
        "fine_logits": keras.layers.Identity(name="fine_logits_out")(inputs["fine_logits"]),
        "coarse_scores": keras.layers.Identity(name="coarse_scores_out")(inputs["fine_logits"]),
    }
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="sgd", loss=losses, loss_weights=weights)
    x = {
        "anchor_similarity": RNG.normal(scale=4.0, size=(BATCH, SLOTS, ANCHORS)).astype(np.float32),
        "fine_logits": RNG.normal(size=(BATCH, SLOTS, CLIPS, CLIPS)).astype(np.float32),
    }
    y = {
        "anchor_similarity": RNG.uniform(size=(BATCH, SLOTS, ANCHORS)).astype(np.float32),
        "fine_logits": RNG.uniform(size=(BATCH, SLOTS, CLIPS, CLIPS)).astype(np.float32),
    }
    sample_weight = {"anchor_similarity": QUERY_MASK, "fine_logits": QUERY_MASK}
    value = model.compute_loss(x=x, y=y, y_pred=model(x), sample_weight=sample_weight)
    coarse = (numpy_coarse(y["anchor_similarity"], x["anchor_similarity"], DIM) * QUERY_MASK).sum() / (BATCH * SLOTS)
    fine = (numpy_fine(y["fine_logits"], x["fine_logits"], moments.valid_mask(CLIPS)) * QUERY_MASK).sum() / (
        BATCH * SLOTS
    )
    np.testing.assert_allclose(float(value), 0.25 * coarse + 2.0 * fine, rtol=1e-5)
