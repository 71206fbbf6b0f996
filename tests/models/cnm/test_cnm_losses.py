"""CNM's word cross entropy, reconstruction loss and intra-video contrastive loss against NumPy."""

import numpy as np
import pytest
import tensorflow as tf

from clear_tf.models.cnm import CNM
from clear_tf.models.cnm.losses import IntraVideoContrastiveLoss, ReconstructionLoss, WordNLL, word_nll


def _log_softmax(x):
    x = x - x.max(axis=-1, keepdims=True)
    return x - np.log(np.exp(x).sum(axis=-1, keepdims=True))


def test_word_nll_is_the_references_label_smoothed_mean():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(3, 4, 6)).astype("float32")
    targets = rng.integers(0, 6, size=(3, 4))
    mask = np.array([[1, 1, 0, 1], [1, 0, 0, 0], [0, 0, 0, 0]], "float32")
    got = word_nll(logits, targets, mask, label_smoothing=0.1).numpy()

    log_p = _log_softmax(logits.astype(np.float64))
    nll = -np.take_along_axis(log_p, targets[..., None], axis=-1)[..., 0]
    smooth = -log_p.sum(axis=-1)
    per_word = 0.9 * nll + 0.1 / 6 * smooth
    expected = (per_word * mask).sum(-1) / np.maximum(mask.sum(-1), 1)
    np.testing.assert_allclose(got, expected, rtol=1e-5)
    assert got[2] == 0.0  # no scored word
    np.testing.assert_allclose(WordNLL(0.1)([logits, targets, mask]).numpy(), got)
    np.testing.assert_allclose(
        word_nll(logits, targets, mask, 0.0).numpy()[:2], ((nll * mask).sum(-1) / mask.sum(-1).clip(1))[:2], rtol=1e-5
    )


def _nll_triples():
    rng = np.random.default_rng(1)
    return rng.uniform(0.5, 3.0, size=(2, 3, 3)).astype("float32")


def test_reconstruction_loss_is_positive_plus_hard_negative():
    nll = _nll_triples()
    got = ReconstructionLoss().call(None, tf.constant(nll)).numpy()
    np.testing.assert_allclose(got, nll[..., 0] + nll[..., 1], rtol=1e-6)


def test_contrastive_loss_is_the_two_hinges():
    nll = _nll_triples()
    nll[0, 0] = [1.0, 1.05, 2.0]  # hard hinge active (1 - 1.05 + 0.1 > 0), easy inactive
    nll[0, 1] = [1.0, 3.0, 1.1]  # easy hinge active only
    got = IntraVideoContrastiveLoss(0.1, 0.15).call(None, tf.constant(nll)).numpy()
    expected = np.maximum(nll[..., 0] - nll[..., 1] + 0.1, 0) + np.maximum(nll[..., 0] - nll[..., 2] + 0.15, 0)
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    assert got[0, 0] == pytest.approx(0.05) and got[0, 1] == pytest.approx(0.05)


def test_keras_averages_over_the_slots_with_the_query_mask():
    nll = _nll_triples()
    weights = np.array([[1, 1, 0], [1, 0, 0]], "float32")
    for loss, per_slot in (
        (ReconstructionLoss(), nll[..., 0] + nll[..., 1]),
        (
            IntraVideoContrastiveLoss(0.1, 0.15),
            np.maximum(nll[..., 0] - nll[..., 1] + 0.1, 0) + np.maximum(nll[..., 0] - nll[..., 2] + 0.15, 0),
        ),
    ):
        got = float(loss(np.zeros((2, 3), "float32"), nll, sample_weight=weights))
        assert got == pytest.approx((per_slot * weights).sum() / 6, rel=1e-5)
        assert type(loss).from_config(loss.get_config()).get_config() == loss.get_config()


def test_build_losses_reads_the_flags():
    from clear_tf.config import Config

    config = Config(model_name="cnm")
    config.model.hard_negative_margin, config.model.easy_negative_margin = 0.2, 0.3
    config.model.contrastive_weight = 0.5
    losses, weights = CNM.build_losses(config)
    assert weights == {"reconstruction": 1.0, "contrastive": 0.5}
    assert losses["contrastive"].hard_negative_margin == 0.2 and losses["contrastive"].easy_negative_margin == 0.3
