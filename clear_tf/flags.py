"""absl flags generated from the config dataclasses, so every flag has help text and one name.

``define_flags()`` registers ``--model`` and one flag per config field of the shared
sections and of every registered model (``--num_clips``, ``--alpha``, ...);
``config_from_flags()`` reads them back into a ``Config``. Model flags take the chosen
model's default unless given, and a flag that only another model has is an error.
"""

from __future__ import annotations

from absl import flags

from clear_tf import config as config_lib

FLAGS = flags.FLAGS
MODEL_FLAG = "model"


def _define(name: str, default, help_text: str) -> None:
    if isinstance(default, bool):
        flags.DEFINE_boolean(name, default, help_text)
    elif isinstance(default, int):
        flags.DEFINE_integer(name, default, help_text)
    elif isinstance(default, float):
        flags.DEFINE_float(name, default, help_text)
    elif isinstance(default, list):
        flags.DEFINE_list(name, [str(v) for v in default], help_text)
    else:
        flags.DEFINE_string(name, default, help_text)


def define_flags() -> None:
    """Registers ``--model`` and every config field as an absl flag (idempotent)."""
    from clear_tf.models import registry

    if MODEL_FLAG not in FLAGS:
        flags.DEFINE_string(
            MODEL_FLAG, "clear", f"Model family: {', '.join(registry.model_names())}."
        )
    for name, flag in config_lib.flag_fields().items():
        if name in FLAGS:
            continue
        help_text = flag.field.metadata["help"]
        if flag.models:
            help_text = f"[--model={'/'.join(flag.models)}] {help_text}"
        _define(name, flag.default, help_text)


def _parse_list(name: str, raw: list, default: list):
    try:
        return config_lib.list_items(raw, default)
    except ValueError as error:
        kind = type(default[0]).__name__ if default else "str"
        raise ValueError(f"--{name}: expected a comma-separated list of {kind}, got {raw}") from error


def explicit_flag_values() -> dict:
    """Flag name → typed value for every config flag given on the command line or in a flagfile."""
    values = {}
    if FLAGS[MODEL_FLAG].present:
        values[MODEL_FLAG] = FLAGS[MODEL_FLAG].value
    for name, flag in config_lib.flag_fields().items():
        if not FLAGS[name].present:
            continue
        value = FLAGS[name].value
        if isinstance(flag.default, list):
            value = _parse_list(name, value, flag.default)
        values[name] = value
    return values


def config_from_flags(base: config_lib.Config | None = None) -> config_lib.Config:
    """The ``Config`` described by the parsed flags (over ``base`` when given)."""
    return config_lib.config_from_values(explicit_flag_values(), base)
