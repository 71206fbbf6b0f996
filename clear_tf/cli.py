"""What ``train.py``, ``evaluate.py`` and the demo share: flags → a checked ``Config``."""

from __future__ import annotations

import os

from absl import app

from clear_tf import config as config_lib
from clear_tf.flags import FLAGS, config_from_flags, define_flags as _define_config_flags


def define_flags() -> None:
    """Registers every config field as a flag (see ``clear_tf.flags``)."""
    _define_config_flags()


def _overlay_explicit_flags(base: config_lib.Config) -> config_lib.Config:
    """``base`` with the values of the flags given on the command line (or in a flagfile)."""
    from_flags = config_from_flags()
    values = base.to_dict()
    for section, fields in from_flags.to_dict().items():
        for name, value in fields.items():
            if FLAGS[name].present:
                values[section][name] = value
    return config_lib.Config.from_dict(values)


def config_or_usage_error(argv, from_run_dir: bool = False) -> config_lib.Config:
    """The checked config; a bad flag ends the program with a usage message, not a trace.

    Args:
        argv: what absl left after parsing; anything but the program name is an error.
        from_run_dir: start from ``<run_dir>/config.json`` when it exists (evaluation of
            a finished run), overriding only the flags given explicitly.
    """
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
    try:
        config = config_from_flags()
        run_config = os.path.join(config.train.run_dir, "config.json")
        if from_run_dir and os.path.isfile(run_config):
            from clear_tf.training.run_dir import RunDir, load_config

            config = _overlay_explicit_flags(load_config(RunDir(config.train.run_dir)))
        config_lib.validate(config)
    except ValueError as error:
        raise app.UsageError(str(error)) from None
    return config


def flags_text() -> str:
    """The resolved values of every config flag, in flagfile syntax."""
    lines = []
    for name in sorted(config_lib.all_field_names()):
        lines.append(FLAGS[name].serialize())
    return "\n".join(lines) + "\n"


__all__ = ["config_or_usage_error", "define_flags", "flags_text"]
