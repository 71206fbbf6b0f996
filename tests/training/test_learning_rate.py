"""The warm-up and decay of ``--warmup_steps`` / ``--lr_decay``."""

import keras
import numpy as np
import pytest

from clear_tf import learning_rate
from clear_tf.config import Config, TrainConfig, validate


def rates(schedule, steps):
    return np.array([float(schedule(step)) for step in steps])


def test_warmup_rises_linearly_then_inverse_sqrt_decays():
    schedule = learning_rate.WarmupSchedule(4e-4, warmup_steps=400, decay="inverse_sqrt")
    np.testing.assert_allclose(rates(schedule, [0, 200, 400]), [1e-7, 2e-4 + 0.5e-7, 4e-4], rtol=1e-5)
    # fairseq's inverse_sqrt: peak · sqrt(warmup / step) after the warm-up.
    np.testing.assert_allclose(rates(schedule, [1600, 6400]), [2e-4, 1e-4], rtol=1e-5)


def test_warmup_then_constant():
    schedule = learning_rate.WarmupSchedule(1e-3, warmup_steps=10)
    np.testing.assert_allclose(rates(schedule, [5, 10, 1000]), [5e-4 + 0.5e-7, 1e-3, 1e-3], rtol=1e-5)


def test_no_schedule_is_a_plain_float():
    assert learning_rate.learning_rate(1e-3, 0, "none") == 1e-3


def test_schedule_round_trips_through_keras_serialization():
    schedule = learning_rate.WarmupSchedule(1e-3, warmup_steps=7, decay="inverse_sqrt")
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(schedule))
    np.testing.assert_allclose(rates(restored, [3, 7, 28]), rates(schedule, [3, 7, 28]))


def test_optimizer_follows_the_schedule_over_steps():
    variable = keras.Variable(1.0)
    optimizer = keras.optimizers.Adam(learning_rate.WarmupSchedule(1e-2, warmup_steps=4))
    for _ in range(2):
        optimizer.apply_gradients([(keras.ops.ones(()), variable)])
    assert float(optimizer.learning_rate) == pytest.approx(1e-7 + (1e-2 - 1e-7) / 2)


@pytest.mark.parametrize(
    "train, message",
    [
        (TrainConfig(lr_decay="cosine"), "--lr_decay='cosine'"),
        (TrainConfig(lr_decay="inverse_sqrt"), "--lr_decay=inverse_sqrt needs --warmup_steps"),
        (TrainConfig(warmup_steps=-1), "--warmup_steps must be >= 0"),
    ],
)
def test_bad_schedule_flags_are_named(train, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(".", r"\.")):
        validate(Config(train=train))
