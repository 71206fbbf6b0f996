"""absl flags generated from the config dataclasses, so every flag has help text and one name.

``define_flags()`` registers one flag per config field (``--num_clips``, ``--alpha``, ...);
``config_from_flags()`` reads them back into a ``Config``. Field names are unique across
sections, which this module checks at definition time.
"""

from __future__ import annotations

import dataclasses

from absl import flags

from clear_tf import config as config_lib
from clear_tf.config import SECTIONS, Config

FLAGS = flags.FLAGS


def _define(field: dataclasses.Field, default) -> None:
    help_text = field.metadata["help"]
    if isinstance(default, bool):
        flags.DEFINE_boolean(field.name, default, help_text)
    elif isinstance(default, int):
        flags.DEFINE_integer(field.name, default, help_text)
    elif isinstance(default, float):
        flags.DEFINE_float(field.name, default, help_text)
    elif isinstance(default, list):
        flags.DEFINE_list(field.name, [str(v) for v in default], help_text)
    else:
        flags.DEFINE_string(field.name, default, help_text)


def define_flags() -> None:
    """Registers every config field as an absl flag (idempotent)."""
    seen = set()
    for section in SECTIONS.values():
        for field in dataclasses.fields(section):
            if field.name in seen:
                raise AssertionError(f"config field {field.name!r} is defined twice")
            seen.add(field.name)
            if field.name not in FLAGS:
                _define(field, getattr(section(), field.name))


def _parse_list(name: str, raw: list, default: list):
    try:
        return config_lib.list_items(raw, default)
    except ValueError as error:
        kind = type(default[0]).__name__ if default else "str"
        raise ValueError(f"--{name}: expected a comma-separated list of {kind}, got {raw}") from error


def config_from_flags() -> Config:
    """The ``Config`` described by the parsed flags."""
    sections = {}
    for name, section in SECTIONS.items():
        defaults = section()
        values = {}
        for field in dataclasses.fields(section):
            value = FLAGS[field.name].value
            default = getattr(defaults, field.name)
            if isinstance(default, list):
                value = _parse_list(field.name, value, default)
            values[field.name] = value
        sections[name] = section(**values)
    return Config(**sections)
