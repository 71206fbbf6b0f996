"""Small annotation and feature files in the real layouts, for the builder tests."""

import json
import pathlib

import h5py
import numpy as np
import tensorflow_datasets as tfds


def write_json(path: pathlib.Path, data: object) -> None:
    path.write_text(json.dumps(data))


def write_tacos_features(path: pathlib.Path, arrays: dict[str, np.ndarray]) -> None:
    """TACoS layout: one dataset per video id."""
    with h5py.File(path, "w") as h5_file:
        for video_id, array in arrays.items():
            h5_file.create_dataset(video_id, data=array)


def write_activitynet_features(path: pathlib.Path, arrays: dict[str, np.ndarray]) -> None:
    """ActivityNet layout: f[video_id]["c3d_features"]."""
    with h5py.File(path, "w") as h5_file:
        for video_id, array in arrays.items():
            h5_file.create_group(video_id).create_dataset("c3d_features", data=array)


def build(name: str, manual_dir: pathlib.Path, data_dir: pathlib.Path):
    """Builds TFDS dataset `name` from `manual_dir`; returns the builder (with reports)."""
    builder = tfds.builder(name, data_dir=str(data_dir))
    builder.download_and_prepare(
        download_config=tfds.download.DownloadConfig(manual_dir=str(manual_dir))
    )
    return builder
