"""Shared pytest setup: repo root on sys.path, quiet TensorFlow, paths to shared data."""

import os
import pathlib
import sys

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# Each pytest-xdist worker gets one core's worth of TF threads on the 2-core CI machine.
os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")
os.environ.setdefault("TF_NUM_INTEROP_THREADS", "2")

REPO_ROOT = pathlib.Path(__file__).resolve().parents[1]
SHARED_DATASETS = REPO_ROOT.parent / "shared" / "datasets"
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def shared_datasets() -> pathlib.Path:
    """The real 2D-TAN annotation files beside the checkout (``../shared/datasets``)."""
    if not SHARED_DATASETS.is_dir():
        pytest.fail(f"{SHARED_DATASETS} is missing: the real annotation files are needed")
    return SHARED_DATASETS


@pytest.fixture(scope="session")
def tiny_text_preset() -> str:
    """A tiny random BERT preset folder with the real vocabulary (``tiny_text_preset``)."""
    from tiny_text_preset import tiny_text_preset as build

    return build()
