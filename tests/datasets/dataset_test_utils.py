"""Small annotation and feature files in the real layouts, for the builder tests."""

import json
import pathlib
import subprocess
import sys

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


# What `tfds build <folder> [--config=C] --manual_dir=M --data_dir=D` runs. The `tfds`
# script itself cannot start without apache-beam in TFDS 4.9.10 (its `convert_format`
# command imports beam at startup), so the child process runs the `build` command's own
# code: the same loading of the builder from its folder, then download_and_prepare.
_CLI_BUILD = """
import sys
from absl import logging
from etils import epath
from tensorflow_datasets.scripts.cli import build, cli_utils
logging.set_verbosity(logging.INFO)
folder, manual_dir, data_dir, config = sys.argv[1:]
build.Args(
    positional_datasets=[folder],
    generation=cli_utils.GenerationOptions(config=config or None),
    paths=cli_utils.PathOptions(data_dir=epath.Path(data_dir), manual_dir=epath.Path(manual_dir)),
).execute()
print("loaded modules:", sorted(m for m in sys.modules if m.endswith("_dataset_builder")))
"""


def cli_build(
    builder_dir: pathlib.Path,
    manual_dir: pathlib.Path,
    data_dir: pathlib.Path,
    env: dict,
    config: str = "",
) -> subprocess.CompletedProcess:
    """Runs the TFDS command line's build of the builder folder in a child process."""
    return subprocess.run(
        [sys.executable, "-c", _CLI_BUILD, str(builder_dir), str(manual_dir), str(data_dir), config],
        env=env, capture_output=True, text=True, timeout=300,
    )
