"""TF Serving's version folders under a model base path, and their atomic publication."""

from __future__ import annotations

import os
import re
import shutil
import uuid

_VERSION_NAME = re.compile(r"^[0-9]+$")


def resolve_version(export_dir: str | os.PathLike) -> str:
    """A SavedModel folder as given, or the highest numbered version under a base path.

    Raises:
        FileNotFoundError: naming the folder, when it holds neither.
    """
    export_dir = os.fspath(export_dir)
    if os.path.isfile(os.path.join(export_dir, "saved_model.pb")):
        return export_dir
    if not os.path.isdir(export_dir):
        raise FileNotFoundError(f"export folder {export_dir} does not exist")
    versions = version_numbers(export_dir)
    if not versions:
        raise FileNotFoundError(
            f"{export_dir} is neither a SavedModel (no saved_model.pb) nor a model base path "
            "with numbered version folders"
        )
    return os.path.join(export_dir, str(max(versions)))


def next_version(base: str) -> int:
    """1 + the highest numbered version folder under ``base`` (1 when there is none)."""
    return max(version_numbers(base), default=0) + 1


def version_numbers(base: str) -> list[int]:
    """The numbers of the complete SavedModel version folders under ``base``."""
    return [
        int(name)
        for name in os.listdir(base)
        if _VERSION_NAME.match(name) and os.path.isfile(os.path.join(base, name, "saved_model.pb"))
    ]


def publish(staging: str, target: str) -> None:
    """Moves the finished ``staging`` folder to ``target``, replacing an older export.

    Each step is a rename within one folder (atomic on POSIX): the old version is moved
    aside, the new one moved in, and the old one deleted. If moving the new one in
    fails, the old one is put back.
    """
    if not os.path.exists(target):
        os.rename(staging, target)
        return
    parent, name = os.path.split(target)
    previous = os.path.join(parent, f".{name}.previous-{uuid.uuid4().hex[:8]}")
    os.rename(target, previous)
    try:
        os.rename(staging, target)
    except BaseException:
        os.rename(previous, target)
        raise
    shutil.rmtree(previous, ignore_errors=True)
