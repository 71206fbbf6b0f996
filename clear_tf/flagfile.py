"""A ``Config`` from a flagfile, without absl's process-global flags (notebooks, scripts).

``train.py --flagfile=configs/demo.flags`` and ``config_from_flagfile("configs/demo.flags")``
give the same ``Config``: the lines are read as absl reads a flagfile and every value is
converted with the type of its config field, as ``clear_tf.flags`` does.

Example:

>>> import tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "tiny.flags")
>>> with open(path, "w") as f:
...     _ = f.write("# a comment\\n--num_clips=16\\n--hidden_dim=64\\n--use_tcn=false\\n")
>>> config = config_from_flagfile(path, epochs=1)  # keywords override the file
>>> config.data.num_clips, config.model.hidden_dim, config.model.use_tcn, config.train.epochs
(16, 64, False, 1)
"""

from __future__ import annotations

import os

from clear_tf import config as config_lib

_BOOLEAN_WORDS = {"true": True, "t": True, "1": True, "false": False, "f": False, "0": False}


def _field_defaults() -> dict[str, object]:
    """Flag name → default value, for ``--model`` and every config field of every model."""
    defaults = {name: flag.default for name, flag in config_lib.flag_fields().items()}
    defaults["model"] = "clear"
    return defaults


def _is_boolean_field(defaults: dict, name: str) -> bool:
    return name in defaults and isinstance(defaults[name], bool)


def _convert(name: str, text: str, default, where: str):
    """``text`` as the type of the field's default (absl's parsers for these types)."""
    try:
        if isinstance(default, bool):
            word = text.strip().lower()
            if word not in _BOOLEAN_WORDS:
                raise ValueError(f"expected true or false, got {text!r}")
            return _BOOLEAN_WORDS[word]
        if isinstance(default, int):
            return int(text)
        if isinstance(default, float):
            return float(text)
        if isinstance(default, list):
            return config_lib.list_items(text.split(","), default)
        return text
    except ValueError as error:
        raise ValueError(f"{where}: --{name}={text}: {error}") from None


def read_flagfile(path: str | os.PathLike) -> dict[str, object]:
    """The config values a flagfile sets, converted to the fields' types.

    Lines are ``--name=value``, ``--name`` / ``--noname`` (booleans) or
    ``--flagfile=other.flags`` (read in place; a relative path is taken from the current
    folder, as absl does). Blank lines and lines starting with ``#`` or ``//`` are
    skipped; a later line overrides an earlier one.

    Args:
        path: the flagfile.

    Returns:
        Field name → value, for the fields the file sets.

    Raises:
        FileNotFoundError: the file (or a nested flagfile) does not exist.
        ValueError: a line is not a flag, names no config field, or holds a value of the
            wrong type (the message names the file and line); or flagfiles include
            each other in a loop.
    """
    return _read(os.fspath(path), including=())


def _read(path: str, including: tuple[str, ...]) -> dict[str, object]:
    """``read_flagfile``; ``including`` holds the flagfiles being read around this one."""
    if os.path.abspath(path) in including:
        raise ValueError(f"{path}: flagfiles include each other in a loop")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"flagfile {path} does not exist")
    defaults = _field_defaults()
    values: dict[str, object] = {}
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    for number, raw_line in enumerate(lines, start=1):
        line = raw_line.strip()
        if not line or line.startswith(("#", "//")):
            continue
        where = f"{path}:{number}"
        if not line.startswith("-"):
            raise ValueError(f"{where}: expected --name=value, got {line!r}")
        name, has_value, text = line.lstrip("-").partition("=")
        if name == "flagfile" and has_value:
            values.update(_read(text, including + (os.path.abspath(path),)))
            continue
        if name in defaults:
            default = defaults[name]
            if has_value:
                values[name] = _convert(name, text, default, where)
            elif isinstance(default, bool):
                values[name] = True
            else:
                raise ValueError(f"{where}: --{name} needs a value (--{name}=...)")
        elif not has_value and name.startswith("no") and _is_boolean_field(defaults, name[2:]):
            values[name[2:]] = False
        else:
            raise ValueError(f"{where}: --{name} is not a clear-tf config flag")
    return values


def config_from_flagfile(path: str | os.PathLike, **overrides) -> config_lib.Config:
    """The checked ``Config`` of a flagfile, with some fields replaced.

    Args:
        path: the flagfile (e.g. ``configs/demo.flags``); unset fields keep their
            defaults, as with ``train.py --flagfile=...``.
        **overrides: field name → value, applied after the file. A string is read as
            it would be on the command line (``tcn_channels="16,16"``); other values are
            used as given (``tcn_channels=[16, 16]``).

    Returns:
        The ``Config``, checked by ``clear_tf.config.validate``.

    Raises:
        ValueError: a bad line (see ``read_flagfile``), an override naming no config
            field, a flag of another model than the chosen one, or a combination of
            values ``validate`` rejects.
    """
    defaults = _field_defaults()
    values = read_flagfile(path)
    for name, value in overrides.items():
        if name not in defaults:
            raise ValueError(f"override {name}={value!r}: not a clear-tf config field")
        default = defaults[name]
        if isinstance(value, str) and not isinstance(default, str):
            value = _convert(name, value, default, "override")
        elif isinstance(default, list):
            value = list(value)
        values[name] = value
    config = config_lib.config_from_values(values)
    config_lib.validate(config)
    return config


__all__ = ["config_from_flagfile", "read_flagfile"]
