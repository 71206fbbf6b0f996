"""Early stopping waits until the model beats the query-blind prior (issue 16: no run stops
before it has learned anything), and keeps that through a resume."""

import types

import numpy as np
import pytest

from clear_tf import evaluation
from clear_tf.config import Config
from clear_tf.training.backup import ResumableEarlyStopping


def run_epochs(callback, values, first_epoch=0):
    """Feeds val values epoch by epoch; returns the epoch (1-based) it stopped after, or None."""
    callback.set_model(types.SimpleNamespace(stop_training=False))
    callback.on_train_begin()
    for epoch, value in enumerate(values, start=first_epoch):
        callback.on_epoch_end(epoch, {"val_R@1,IoU=0.5": value})
        if callback.model.stop_training:
            return epoch + 1
    return None


def make(patience=2, learned_above=None, state=None):
    return ResumableEarlyStopping(
        monitor="val_R@1,IoU=0.5", mode="max", patience=patience, learned_above=learned_above, state=state
    )


def test_without_a_prior_patience_counts_from_the_start():
    assert run_epochs(make(), [3.0, 3.0, 3.0, 3.0]) == 3


def test_flat_under_the_prior_never_stops():
    # The ActivityNet case: val flat at 3 with a prior of 48 for the first epochs.
    assert run_epochs(make(learned_above=48.0), [3.0] * 12) is None


def test_patience_counts_once_the_prior_is_beaten():
    callback = make(learned_above=10.0)
    assert run_epochs(callback, [3.0, 5.0, 4.0, 12.0, 11.0, 11.5, 11.0]) == 6
    assert callback.best == 12.0 and callback.best_epoch == 3


def test_a_resumed_run_knows_it_has_learned_from_its_best():
    before = make(learned_above=10.0)
    run_epochs(before, [3.0, 12.0, 11.0])
    resumed = make(learned_above=10.0, state=before.state())
    assert resumed.has_learned() is False  # state is restored at on_train_begin
    assert run_epochs(resumed, [11.0], first_epoch=3) == 4  # the wait of 1 carried over, then this epoch


@pytest.mark.parametrize("monitor", ["val_R@1,IoU=0.5", "val_mIoU"])
def test_the_prior_on_val_is_fitted_on_val_only(monkeypatch, monitor):
    from clear_tf.training import trainer

    def no_training_split(config):
        raise AssertionError("the training split's timestamps were read")

    monkeypatch.setattr(evaluation.baseline, "train_moments", no_training_split)
    video = types.SimpleNamespace(
        duration=100.0, num_queries=3, times=np.array([[0.0, 20.0], [10.0, 30.0], [60.0, 90.0]])
    )
    config = Config()
    config.train.monitor = monitor
    value = trainer._prior_on_val(config, [video])
    expected = evaluation.prior_baseline_metrics(config, [video], fitted_on=[video])[monitor[4:]]
    assert value == pytest.approx(expected)
