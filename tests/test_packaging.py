"""Packaging: every package folder is installed; one version; builders register on import."""

import ast
import importlib.metadata
import pathlib
import re
import tomllib

import clear_tf

REPO = pathlib.Path(__file__).resolve().parents[1]
# Folders as installed: clear_tf/ as ``clear_tf``, datasets/ as ``clear_tf_datasets``.
ROOTS = (("clear_tf", "clear_tf"), ("datasets", "clear_tf_datasets"))


def _folders_with_python():
    """Installed package name → folder, for every folder under the roots holding a .py file.

    Found from the source files themselves, not from ``__init__.py``: a folder of modules
    without one would otherwise go unnoticed (and not be installed).
    """
    found = {}
    for root, name in ROOTS:
        for source in (REPO / root).rglob("*.py"):
            if "__pycache__" in source.parts:
                continue
            relative = source.parent.relative_to(REPO / root)
            found[".".join([name, *relative.parts])] = source.parent
    return found


def _pyproject():
    return tomllib.loads((REPO / "pyproject.toml").read_text())


def test_every_package_folder_is_listed_in_pyproject():
    folders = _folders_with_python()
    # The core packages by name, so that a broken file walk cannot pass vacuously.
    assert {"clear_tf", "clear_tf.models.clear", "clear_tf.layers", "clear_tf_datasets.tacos"} <= set(folders)
    assert set(_pyproject()["tool"]["setuptools"]["packages"]) == set(folders)
    missing_init = sorted(name for name, folder in folders.items() if not (folder / "__init__.py").is_file())
    assert not missing_init, f"folders of modules without __init__.py: {missing_init}"
    assert _pyproject()["tool"]["setuptools"]["package-dir"] == {"clear_tf_datasets": "datasets"}


def test_version_lives_in_one_place():
    project = _pyproject()["project"]
    assert "version" not in project and project["dynamic"] == ["version"]
    assert _pyproject()["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "clear_tf.version.__version__"}
    # The one assignment, read from the file rather than through the import.
    tree = ast.parse((REPO / "clear_tf" / "version.py").read_text())
    (assignment,) = [node for node in tree.body if isinstance(node, ast.Assign)]
    assert [target.id for target in assignment.targets] == ["__version__"]
    version = assignment.value.value
    assert re.fullmatch(r"\d+\.\d+\.\d+", version), version
    assert clear_tf.__version__ == version
    # What the installed distribution reports (pyproject's dynamic attr at install time).
    assert importlib.metadata.version("clear-tf") == version
    # No second copy anywhere in the package sources.
    others = [
        str(path.relative_to(REPO))
        for root, _ in ROOTS
        for path in (REPO / root).rglob("*.py")
        if path.name != "version.py" and re.search(r"^__version__\s*=", path.read_text(), re.MULTILINE)
    ]
    assert not others, f"__version__ also assigned in {others}"


def test_builders_register_on_import():
    import tensorflow_datasets as tfds

    import clear_tf_datasets  # noqa: F401

    # Every builder folder (datasets/<name>/<name>_dataset_builder.py) registers <name>.
    folders = {path.parent.name for path in (REPO / "datasets").glob("*/*_dataset_builder.py")}
    assert {path.name.removesuffix("_dataset_builder.py") for path in (REPO / "datasets").glob("*/*_dataset_builder.py")} == folders
    assert {"tacos", "activitynet_captions", "synthetic_moments"} <= folders
    registered = set(tfds.list_builders(with_community_datasets=False))
    assert folders <= registered, f"not registered: {sorted(folders - registered)}"
    for name in folders:
        assert tfds.builder_cls(name).__module__ == f"clear_tf_datasets.{name}.{name}_dataset_builder"
