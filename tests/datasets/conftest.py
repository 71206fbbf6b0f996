"""Makes `clear_tf_datasets` importable and builds small manual directories.

`pip install -e .` maps the package `clear_tf_datasets` to the folder `datasets/`. When
the tests run from a checkout that is not installed, the same mapping is made here
with a symlink in a temporary folder put on `sys.path` (and on the `PYTHONPATH` of
subprocesses such as the `tfds build` command line).
"""

import importlib.util
import os
import pathlib
import sys
import tempfile

import pytest

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]

if importlib.util.find_spec("clear_tf_datasets") is None:
    _ALIAS_DIR = pathlib.Path(tempfile.mkdtemp(prefix="clear_tf_datasets_alias_"))
    (_ALIAS_DIR / "clear_tf_datasets").symlink_to(REPO_ROOT / "datasets")
    sys.path.insert(0, str(_ALIAS_DIR))
else:
    _ALIAS_DIR = None

import clear_tf_datasets  # noqa: E402,F401  (registers the builders with TFDS)


@pytest.fixture(scope="session")
def subprocess_env() -> dict:
    """Environment for a child Python that must import `clear_tf_datasets`."""
    paths = [str(REPO_ROOT)] + ([str(_ALIAS_DIR)] if _ALIAS_DIR else [])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(paths + [env.get("PYTHONPATH", "")]).rstrip(
        os.pathsep
    )
    return env

