"""Learning-rate schedules of ``--warmup_steps`` and ``--lr_decay``.

A constant rate is what the CLEAR paper states. CNM's reference trains with fairseq's
``inverse_sqrt``: a linear warm-up from almost 0 to the peak over ``warmup_steps`` updates,
then the peak times sqrt(warmup_steps / step). Early in a weakly supervised run the
reconstructor has not yet learned to read the video, and a full-rate start lets the
Gaussian head settle before its loss carries any signal; the warm-up holds it back.
"""

from __future__ import annotations

import keras
from keras import ops

LR_DECAYS = ("none", "inverse_sqrt")

# The reference's warmup_init_lr: the rate of the first update, not 0.
WARMUP_INITIAL_RATE = 1e-7


@keras.saving.register_keras_serializable(package="clear_tf")
class WarmupSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """Linear warm-up to ``peak_rate``, then constant or inverse-square-root decay.

    Args:
        peak_rate: the rate reached at step ``warmup_steps``.
        warmup_steps: updates of the linear warm-up (0: none).
        decay: "none" (constant after the warm-up) or "inverse_sqrt"
            (``peak_rate · sqrt(warmup_steps / step)`` after it).

    Example:

    >>> schedule = WarmupSchedule(1e-3, warmup_steps=100, decay="inverse_sqrt")
    >>> [round(float(schedule(step)), 6) for step in (0, 50, 100, 400)]
    [0.0, 0.0005, 0.001, 0.0005]
    """

    def __init__(self, peak_rate, warmup_steps=0, decay="none"):
        if decay not in LR_DECAYS:
            raise ValueError(f"--lr_decay={decay!r}: expected one of {', '.join(LR_DECAYS)}")
        if warmup_steps < 0:
            raise ValueError(f"--warmup_steps must be >= 0, got {warmup_steps}")
        if decay == "inverse_sqrt" and warmup_steps <= 0:
            raise ValueError("--lr_decay=inverse_sqrt needs --warmup_steps > 0 (its rate is peak·sqrt(warmup/step))")
        self.peak_rate = float(peak_rate)
        self.warmup_steps = int(warmup_steps)
        self.decay = decay

    def __call__(self, step):
        step = ops.cast(step, "float32")
        if self.warmup_steps <= 0:
            return ops.full((), self.peak_rate, "float32")
        warmup = float(self.warmup_steps)
        initial = min(WARMUP_INITIAL_RATE, self.peak_rate)
        rising = initial + (self.peak_rate - initial) * step / warmup
        if self.decay == "inverse_sqrt":
            after = self.peak_rate * ops.sqrt(warmup / ops.maximum(step, warmup))
        else:
            after = ops.full((), self.peak_rate, "float32")
        return ops.where(step < warmup, rising, after)

    def get_config(self):
        return {"peak_rate": self.peak_rate, "warmup_steps": self.warmup_steps, "decay": self.decay}


def learning_rate(peak_rate: float, warmup_steps: int, decay: str):
    """``peak_rate`` itself when nothing is scheduled (checkpoints stay plain floats), else a
    ``WarmupSchedule`` (which rejects bad values, naming the flag)."""
    if warmup_steps == 0 and decay == "none":
        return peak_rate
    return WarmupSchedule(peak_rate, warmup_steps, decay)
