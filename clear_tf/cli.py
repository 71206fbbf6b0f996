"""What ``train.py``, ``evaluate.py`` and the demo share: flags → a checked ``Config``."""

from __future__ import annotations

import os

# The command lines import this module before TensorFlow: its C++ start-up chatter
# would hide the messages users need to read.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import sys  # noqa: E402


from clear_tf import config as config_lib  # noqa: E402
from clear_tf.flags import config_from_flags, define_flags as _define_config_flags  # noqa: E402


def define_flags() -> None:
    """Registers every config field as a flag (see ``clear_tf.flags``)."""
    _define_config_flags()


def config_or_usage_error(argv, from_run_dir: bool = False) -> config_lib.Config:
    """The checked config; a bad flag ends the program with one line (``usage_error``), not a trace.

    Args:
        argv: what absl left after parsing; anything but the program name is an error.
        from_run_dir: start from ``<run_dir>/config.json`` when it exists (evaluation of
            a finished run), overriding only the flags given explicitly.
    """
    if len(argv) > 1:
        usage_error(f"unexpected arguments: {' '.join(argv[1:])}")
    try:
        config = config_from_flags()
        run_config = os.path.join(config.train.run_dir, "config.json")
        if from_run_dir and os.path.isfile(run_config):
            from clear_tf.run_dir import RunDir, load_config

            config = config_from_flags(base=load_config(RunDir(config.train.run_dir)))
        config_lib.validate(config)
    except ValueError as error:
        usage_error(error)
    return config


USAGE_ERROR = 2  # the exit status of argparse (and python -m clear_tf.localize) for bad arguments


def usage_error(error) -> None:
    """Ends the program with ``<program>: error: <message>`` on stderr and status 2.

    The message names the flag and the fix; no traceback, no usage text (``--helpfull``
    lists the flags).
    """
    program = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "clear-tf"
    message = " ".join(str(error).split())
    print(f"{program}: error: {message}", file=sys.stderr, flush=True)
    sys.exit(USAGE_ERROR)


def flags_text(config: config_lib.Config) -> str:
    """Every flag of ``config`` with its resolved value, in flagfile syntax."""
    lines = []
    for name, value in sorted(config_lib.flag_values(config).items()):
        if isinstance(value, bool):
            lines.append(f"--{name}" if value else f"--no{name}")
        elif isinstance(value, list):
            lines.append(f"--{name}={','.join(str(item) for item in value)}")
        else:
            lines.append(f"--{name}={value}")
    return "\n".join(lines) + "\n"


__all__ = ["USAGE_ERROR", "config_or_usage_error", "define_flags", "flags_text", "usage_error"]
