"""Writes the committed `dummy_data/` of the `tacos` and `activitynet_captions` builders.

Tiny files in exactly the real layouts (see each builder's MANUAL_DOWNLOAD_INSTRUCTIONS),
with a few of the real files' quirks: sentences with surrounding spaces, a moment ending
past the video, TACoS feature keys with and without `.avi`. Run once from the repo root:

    python tests/datasets/make_dummy_data.py
"""

import json
import pathlib

import h5py
import numpy as np

DATASETS_DIR = pathlib.Path(__file__).resolve().parents[2] / "datasets"
NUM_UNITS = 5


def _relu_features(rng: np.random.Generator, num_units: int, dim: int) -> np.ndarray:
    """Mostly-zero non-negative features (like C3D fc6 after ReLU): they gzip small."""
    values = np.maximum(rng.standard_normal((num_units, dim)) - 1.5, 0.0)
    return np.round(values, 2).astype(np.float32)


def _write_json(path: pathlib.Path, data: dict) -> None:
    path.write_text(json.dumps(data, indent=1) + "\n")


def make_tacos(rng: np.random.Generator) -> None:
    out = DATASETS_DIR / "tacos" / "dummy_data"
    out.mkdir(parents=True, exist_ok=True)
    splits = {
        "train": {
            "s13-d21.avi": {
                "num_frames": 3000,
                "fps": 29.4,
                "timestamps": [[10, 400], [420, 1200], [2500, 3100]],
                "sentences": ["He took out a knife.", "He washed a carrot.", "He cut it."],
            },
            "s14-d26.avi": {
                "num_frames": 2000,
                "fps": 29.4,
                "timestamps": [[0, 500], [600, 1900]],
                "sentences": ["The person gets out a cutting board", "She peels the onion"],
            },
            "s15-d29.avi": {
                "num_frames": 1500,
                "fps": 29.4,
                "timestamps": [[100, 700]],
                "sentences": ["Someone rinses a pan."],
            },
        },
        "val": {
            "s22-d34.avi": {
                "num_frames": 2500,
                "fps": 29.4,
                "timestamps": [[50, 900], [950, 2400]],
                "sentences": ["The person takes out a lime.", "The person squeezes the lime."],
            },
        },
        "test": {
            "s30-d52.avi": {
                "num_frames": 1800,
                "fps": 29.4,
                "timestamps": [[141, 354], [361, 732]],
                "sentences": ["She took out kiwi", "She took out cutting board"],
            },
            "s33-d27.avi": {
                "num_frames": 2200,
                "fps": 29.4,
                "timestamps": [[200, 1000]],
                "sentences": ["He slices the bread."],
            },
        },
    }
    for split, data in splits.items():
        _write_json(out / f"{split}.json", data)
    with h5py.File(out / "tall_c3d_features.hdf5", "w") as h5_file:
        for index, video_id in enumerate(sorted(v for data in splits.values() for v in data)):
            key = video_id if index % 2 == 0 else video_id.removesuffix(".avi")
            h5_file.create_dataset(
                key, data=_relu_features(rng, NUM_UNITS, 4096), compression="gzip"
            )


def make_activitynet(rng: np.random.Generator) -> None:
    out = DATASETS_DIR / "activitynet_captions" / "dummy_data"
    out.mkdir(parents=True, exist_ok=True)
    splits = {
        "train": {
            "v_QOlSCBRmfWY": {
                "duration": 82.73,
                "timestamps": [[0.83, 19.86], [17.37, 60.81], [56.26, 84.0]],
                "sentences": [
                    "A young woman is seen standing in a room.",
                    " She dances around the room.",
                    " She bows at the end.",
                ],
            },
            "v_ehGHCYKzyZ8": {
                "duration": 61.72,
                "timestamps": [[0, 10.5], [10.5, 61.72]],
                "sentences": ["A man plays the drums.", " The crowd cheers."],
            },
            "v_nwznKOuZM7w": {
                "duration": 30.4,
                "timestamps": [[2.1, 20.0]],
                "sentences": ["A dog catches a frisbee."],
            },
        },
        "val": {
            "v_uqiMw7tQ1Cc": {
                "duration": 55.15,
                "timestamps": [[0.28, 55.15], [13.79, 54.32]],
                "sentences": ["A weight lifting tutorial is given.", "  The coach helps."],
            },
            "v_bXdq2zI1Ms0": {
                "duration": 73.1,
                "timestamps": [[0, 20.3]],
                "sentences": ["Three men stand on a court."],
            },
        },
        # Same videos as val with other sentences: the benchmark's val_2.
        "test": {
            "v_uqiMw7tQ1Cc": {
                "duration": 55.15,
                "timestamps": [[0, 4.14], [4.14, 33.36]],
                "sentences": ["Two men stand in a gym.", " One man holds a rope."],
            },
            "v_bXdq2zI1Ms0": {
                "duration": 73.1,
                "timestamps": [[10.2, 73.1]],
                "sentences": ["The men play volleyball."],
            },
        },
    }
    for split, data in splits.items():
        _write_json(out / f"{split}.json", data)
    with h5py.File(out / "sub_activitynet_v1-3.c3d.hdf5", "w") as h5_file:
        for video_id in sorted({v for data in splits.values() for v in data}):
            h5_file.create_group(video_id).create_dataset(
                "c3d_features",
                data=rng.standard_normal((NUM_UNITS, 500)).astype(np.float32),
            )


if __name__ == "__main__":
    generator = np.random.default_rng(0)
    make_tacos(generator)
    make_activitynet(generator)
