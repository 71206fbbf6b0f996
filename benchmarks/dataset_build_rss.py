"""Peak memory of building `activitynet_captions` from a large features file.

The builders read the HDF5 features video by video, so their memory should not grow with
the file. This benchmark writes an ActivityNet-format features file of `--size_gb`
(random float32, f[video]["c3d_features"] of shape (T, 500), written one video at a
time so that writing needs little memory either) with matching annotation files, builds
the dataset in a child process and reports the child's peak resident memory (its
`ru_maxrss`, read by the child when it is done), next to the peak of a child that only
imports the same modules (the fixed cost of TensorFlow and TFDS).

TFDS itself keeps up to 1 GiB of serialized examples in memory before it spills them to
disk (`tensorflow_datasets.core.shuffle.MAX_MEM_BUFFER_SIZE`), so a build of a large
file peaks at about baseline + 1 GiB whatever the builder does. `--shuffle_buffer_mb`
lowers that buffer in the child to show the builder's own footprint.

Usage (from the repository root, with the project installed: `pip install -e .`):

    python benchmarks/dataset_build_rss.py                  # >= 2 GiB of features
    python benchmarks/dataset_build_rss.py --quick          # 0.25 GiB
    python benchmarks/dataset_build_rss.py --shuffle_buffer_mb=64
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import resource
import shutil
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np

FEATURE_DIM = 500
FEATURES_FILE = "sub_activitynet_v1-3.c3d.hdf5"
UNITS_RANGE = (100, 400)  # units per video, uniform
TRAIN_FRACTION = 0.8  # the rest is val, and test again (as in ActivityNet Captions)

_CHILD_BUILD = """
import json, resource, sys, time
import tensorflow_datasets as tfds
import clear_tf_datasets
from tensorflow_datasets.core import shuffle
manual_dir, data_dir, buffer_mb = sys.argv[1], sys.argv[2], int(sys.argv[3])
if buffer_mb > 0:
    shuffle.MAX_MEM_BUFFER_SIZE = buffer_mb << 20
start = time.perf_counter()
builder = tfds.builder("activitynet_captions", data_dir=data_dir)
builder.download_and_prepare(
    download_config=tfds.download.DownloadConfig(manual_dir=manual_dir)
)
print(json.dumps({
    "build_seconds": time.perf_counter() - start,
    "videos_written": sum(r["videos_written"] for r in builder.generation_reports.values()),
    "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
}))
"""
_CHILD_IMPORT_ONLY = """
import json, resource
import tensorflow as tf
import tensorflow_datasets as tfds
import clear_tf_datasets
tf.constant(0.0).numpy()  # starts the TensorFlow runtime, as a build does
print(json.dumps({"peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def write_inputs(manual_dir: pathlib.Path, size_bytes: int, seed: int) -> dict:
    """Features file of at least `size_bytes` plus train/val/test annotation files."""
    rng = np.random.default_rng(seed)
    durations, feature_bytes = {}, 0
    with h5py.File(manual_dir / FEATURES_FILE, "w") as h5_file:
        while feature_bytes < size_bytes:
            video_id = f"v_bench{len(durations):06d}"
            num_units = int(rng.integers(UNITS_RANGE[0], UNITS_RANGE[1] + 1))
            features = rng.standard_normal((num_units, FEATURE_DIM), dtype=np.float32)
            h5_file.create_group(video_id).create_dataset("c3d_features", data=features)
            feature_bytes += features.nbytes
            # C3D at 16-frame clips with stride 8 on ~30 fps video: ~0.27 s per unit.
            durations[video_id] = round(num_units * 8 / 30, 2)
    video_ids = sorted(durations)
    num_train = int(TRAIN_FRACTION * len(video_ids))
    split_videos = {
        "train": video_ids[:num_train],
        "val": video_ids[num_train:],
        "test": video_ids[num_train:],
    }
    for split, videos in split_videos.items():
        annotations = {}
        for video_id in videos:
            duration = durations[video_id]
            starts = rng.uniform(0, 0.7 * duration, size=3)
            annotations[video_id] = {
                "duration": duration,
                "timestamps": [[round(s, 2), round(s + 0.3 * duration, 2)] for s in starts],
                "sentences": [f"A person does thing {i} in {split}." for i in range(3)],
            }
        (manual_dir / f"{split}.json").write_text(json.dumps(annotations))
    return {"videos": len(video_ids), "feature_bytes": feature_bytes}


def run_child(code: str, args: list[str]) -> dict:
    """Runs `code` in a fresh Python; returns the JSON it prints last."""
    result = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"child process failed:\n{result.stderr[-4000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size_gb", type=float, default=2.0, help="GiB of features")
    parser.add_argument("--quick", action="store_true", help="0.25 GiB instead")
    parser.add_argument("--shuffle_buffer_mb", type=int, default=0,
                        help="lower TFDS's in-memory shuffle buffer in the child (0: keep 1 GiB)")
    parser.add_argument("--work_dir", default=None,
                        help="where to write the files (default: a new folder in /tmp)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    size_gb = 0.25 if args.quick else args.size_gb

    work_dir = pathlib.Path(args.work_dir or tempfile.mkdtemp(prefix="dataset_build_rss_"))
    manual_dir, data_dir = work_dir / "manual", work_dir / "data"
    manual_dir.mkdir(parents=True)  # fails rather than overwrite an earlier run's files
    try:
        start = time.perf_counter()
        inputs = write_inputs(manual_dir, int(size_gb * (1 << 30)), args.seed)
        write_seconds = time.perf_counter() - start
        file_bytes = os.path.getsize(manual_dir / FEATURES_FILE)
        build = run_child(
            _CHILD_BUILD, [str(manual_dir), str(data_dir), str(args.shuffle_buffer_mb)]
        )
        baseline = run_child(_CHILD_IMPORT_ONLY, [])
        report = {
            "features_file_gib": round(file_bytes / (1 << 30), 3),
            "videos": inputs["videos"],
            "examples_written": build["videos_written"],
            "write_inputs_seconds": round(write_seconds, 1),
            "build_seconds": round(build["build_seconds"], 1),
            "tfds_shuffle_buffer_mib": args.shuffle_buffer_mb or 1000,
            "build_peak_rss_mib": round(build["peak_rss_kib"] / 1024),
            "import_only_peak_rss_mib": round(baseline["peak_rss_kib"] / 1024),
            "generator_peak_rss_mib": round(
                resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            ),
        }
        print(json.dumps(report, indent=2))
    finally:
        shutil.rmtree(manual_dir, ignore_errors=True)
        shutil.rmtree(data_dir, ignore_errors=True)
        if args.work_dir is None:
            work_dir.rmdir()


if __name__ == "__main__":
    main()
