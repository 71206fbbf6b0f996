"""Packaging: every package folder is installed; one version; builders register on import."""

import pathlib
import tomllib

import clear_tf

REPO = pathlib.Path(__file__).resolve().parents[1]


def _package_folders():
    found = set()
    for root, name in (("clear_tf", "clear_tf"), ("datasets", "clear_tf_datasets")):
        for init in (REPO / root).rglob("__init__.py"):
            relative = init.parent.relative_to(REPO / root)
            found.add(".".join([name, *relative.parts]))
    return found


def test_every_package_folder_is_listed_in_pyproject():
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert set(pyproject["tool"]["setuptools"]["packages"]) == _package_folders()


def test_version_lives_in_one_place():
    pyproject = (REPO / "pyproject.toml").read_text()
    assert 'version = { attr = "clear_tf.version.__version__" }' in pyproject
    assert clear_tf.__version__.count(".") == 2


def test_builders_register_on_import():
    import tensorflow_datasets as tfds

    import clear_tf_datasets  # noqa: F401

    for name in ("tacos", "activitynet_captions", "synthetic_moments"):
        assert name in tfds.list_builders(with_community_datasets=False)
