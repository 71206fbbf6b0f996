"""The unit rule: N = ceil(D·f − 0.5) samples at (k + 0.5) / f, T = ceil(N / (f·u)) units."""

import numpy as np
import pytest

from clear_tf.video import UnitRule


@pytest.mark.parametrize(
    "frames_per_second,unit_seconds,duration,samples,units",
    [
        (2, 1, 4.0, 8, 4),  # the default: one unit per second
        (2, 1, 4.2, 8, 4),  # 4.25 s is past the end
        (2, 1, 4.3, 9, 5),  # a last unit of one sample
        (2, 1, 0.1, 1, 1),  # shorter than half a sampling interval: still one sample
        (4, 0.5, 4.0, 16, 8),
        (1, 2, 4.0, 4, 2),
        (1, 2, 2.5, 2, 1),
        (10, 0.1, 1.0, 10, 10),  # 10 × 0.1 is not exactly 1.0 in floating point
    ],
)
def test_samples_and_units(frames_per_second, unit_seconds, duration, samples, units):
    rule = UnitRule(frames_per_second, unit_seconds)
    assert rule.num_samples(duration) == samples
    assert rule.num_units(samples) == units
    times = rule.sample_times(duration)
    assert len(times) == samples
    np.testing.assert_allclose(np.diff(times), 1 / frames_per_second)
    assert times[0] == pytest.approx(0.5 / frames_per_second)


def test_pool_averages_runs_of_k_samples_and_the_leftover():
    rule = UnitRule(frames_per_second=2, unit_seconds=1)
    embeddings = np.arange(10, dtype=np.float32).reshape(5, 2)  # N = 5 samples, D = 2
    units = rule.pool(embeddings)
    assert units.dtype == np.float32
    np.testing.assert_allclose(units, [[1, 2], [5, 6], [8, 9]])


def test_defaults_and_description():
    rule = UnitRule()
    assert (rule.frames_per_second, rule.unit_seconds, rule.frames_per_unit) == (2.0, 1.0, 2)
    assert "T = ceil(N / 2)" in rule.description()


@pytest.mark.parametrize(
    "frames_per_second,unit_seconds,message",
    [
        (0, 1, r"--frames_per_second must be a positive number, got 0"),
        (float("nan"), 1, r"--frames_per_second must be a positive number"),
        (2, -1, r"--unit_seconds must be a positive number, got -1"),
        (3, 0.5, r"whole number of frames per unit .* 0.5 × 3 = 1.5"),
        (2, 0.25, r"whole number of frames per unit \(≥ 1\), got 0.25 × 2 = 0.5"),
    ],
)
def test_bad_rule_names_the_flag(frames_per_second, unit_seconds, message):
    with pytest.raises(ValueError, match=message):
        UnitRule(frames_per_second, unit_seconds)
