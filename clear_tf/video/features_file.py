"""Writing unit features to the standard HDF5 layout that the dataset builders and
``python -m clear_tf.localize --features=F.hdf5:video_id`` read.

Layout: one float32 dataset [T, D] per video at the root, named by the video id (the
file name without its extension), with the attributes ``duration_seconds`` and
``source`` (the video's file name). Root attributes record how the features were made:
``encoder`` (the encoder spec), ``feature_dim``, ``frames_per_second``,
``unit_seconds``, ``frames_per_unit``, ``unit_rule`` (the rule in words) and
``clear_tf_version``.

The file is written under a temporary name beside ``path`` and renamed into place when
it is complete, so an interrupted run never leaves a file that looks finished.
"""

from __future__ import annotations

import os
import uuid

import numpy as np

from clear_tf.video.units import UnitRule
from clear_tf.version import __version__

FEATURE_FILE_SUFFIXES = (".hdf5", ".h5")


def feature_file_attributes(encoder_spec: str, feature_dim: int, rule: UnitRule) -> dict:
    """The root attributes of a feature file (see the module docstring)."""
    return {
        "encoder": encoder_spec,
        "feature_dim": int(feature_dim),
        "frames_per_second": float(rule.frames_per_second),
        "unit_seconds": float(rule.unit_seconds),
        "frames_per_unit": int(rule.frames_per_unit),
        "unit_rule": rule.description(),
        "clear_tf_version": __version__,
    }


class FeatureFileWriter:
    """Writes one HDF5 feature file; use as a context manager.

    The file appears at ``path`` only when the ``with`` block ends without an
    exception (and at least one video was added); otherwise nothing is left behind.

    Args:
        path: the HDF5 file to write (its folder is created).
        attributes: the root attributes (``feature_file_attributes``).
    """

    def __init__(self, path: str | os.PathLike, attributes: dict):
        self.path = os.path.abspath(os.fspath(path))
        self.attributes = dict(attributes)
        self.video_ids: list[str] = []
        folder, name = os.path.split(self.path)
        self._partial = os.path.join(folder, f".{name}.partial-{uuid.uuid4().hex[:8]}")
        self._handle = None

    def __enter__(self) -> "FeatureFileWriter":
        import h5py

        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        self._handle = h5py.File(self._partial, "w")
        self._handle.attrs.update(self.attributes)
        return self

    def add(self, video_id: str, features: np.ndarray, duration: float, source: str) -> None:
        """Stores one video's features [T, D] under ``video_id``."""
        dataset = self._handle.create_dataset(video_id, data=np.asarray(features, np.float32))
        dataset.attrs["duration_seconds"] = float(duration)
        dataset.attrs["source"] = os.path.basename(source)
        self.video_ids.append(video_id)

    def __exit__(self, exc_type, exc, traceback) -> None:
        self._handle.close()
        if exc_type is None and self.video_ids:
            os.replace(self._partial, self.path)
        else:
            os.remove(self._partial)
