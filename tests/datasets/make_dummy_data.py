"""Writes the committed `dummy_data/` of the builders that read manual files.

Tiny files in exactly the real layouts (see each builder's MANUAL_DOWNLOAD_INSTRUCTIONS),
with a few of the real files' quirks: sentences with surrounding spaces, a moment ending
past the video, TACoS feature keys with and without `.avi`, Charades-STA lines of one
video apart and a moment with start = end. Each dataset draws from its own seed, so
adding one leaves the others' files as they were. Run from the repo root:

    python tests/datasets/make_dummy_data.py [dataset ...]
"""

import csv
import io
import json
import sys
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


# Charades-STA: AO8RW hashes into the carved val split (bucket 4 < 10), the other train
# videos stay in train; my own sentences, real-looking ids and durations.
CHARADES_TRAIN_LINES = [
    "AO8RW 0.0 6.9##a person puts a box on the table.",
    "Y6R7T 20.8 30.0##person picks up a phone.",
    "Y6R7T 3.1 9.5##the person opens the door.",
    "IGDIE 12.0 40.0##a person sits down on the sofa.",  # ends after the video (31.2 s)
    "KRF68 5.0 5.0##person turns on the light.",  # start = end: skipped
    "KRF68 1.2 8.4##a person drinks from a cup.",
    "Y6R7T 24.0 29.5##person laughs at the phone.",  # Y6R7T again, lines apart
]
CHARADES_TEST_LINES = [
    "3MSZA 24.3 30.4##person turns a light on.",
    "3MSZA 0.0 7.2##a person takes off their shoes.",
    "Z9O3I 10.5 22.0##person washes a dish.",
]
CHARADES_LENGTHS = {
    "train": {"AO8RW": 15.4, "Y6R7T": 30.6, "IGDIE": 31.2, "KRF68": 20.0, "XJ2KQ": 25.5},
    "test": {"3MSZA": 30.9, "Z9O3I": 27.0, "P0LK7": 18.25},
}
CHARADES_COLUMNS = [
    "id", "subject", "scene", "quality", "relevance", "verified", "script", "objects",
    "descriptions", "actions", "length",
]


def make_charades_sta(rng: np.random.Generator) -> None:
    out = DATASETS_DIR / "charades_sta" / "dummy_data"
    out.mkdir(parents=True, exist_ok=True)
    for split, lines in (("train", CHARADES_TRAIN_LINES), ("test", CHARADES_TEST_LINES)):
        (out / f"charades_sta_{split}.txt").write_text("\n".join(lines) + "\n")
        rows = io.StringIO()
        writer = csv.writer(rows, lineterminator="\n")
        writer.writerow(CHARADES_COLUMNS)
        for video_id, length in CHARADES_LENGTHS[split].items():
            writer.writerow([
                video_id, "AB12", "Kitchen", 6, 7, "Yes",
                "A person walks in, then sits down.", "chair;table",
                "A person walks in.\nThey sit down, then stand up.",  # quoted, 2 lines
                "c001 0.00 5.10;c002 3.20 9.80", length,
            ])
        (out / f"Charades_v1_{split}.csv").write_text(rows.getvalue())
    video_ids = sorted(CHARADES_LENGTHS["train"]) + sorted(CHARADES_LENGTHS["test"])
    for file_name, dim in (("vgg_rgb_features.hdf5", 4096), ("i3d_features.hdf5", 1024)):
        with h5py.File(out / file_name, "w") as h5_file:
            for video_id in video_ids:
                h5_file.create_dataset(
                    video_id, data=_relu_features(rng, NUM_UNITS, dim), compression="gzip"
                )


MOMENT_FEATURES_DIM = 16


def make_moment_features(rng: np.random.Generator) -> None:
    out = DATASETS_DIR / "moment_features" / "dummy_data"
    out.mkdir(parents=True, exist_ok=True)
    splits = {
        "train": {
            "kitchen_0001": {
                "duration": 42.0,
                "timestamps": [[0.0, 12.5], [12.5, 30.0], [31.0, 44.0]],
                "sentences": ["A man fills the kettle.", " He switches it on.", "He waits."],
            },
            "kitchen_0002": {
                "duration": 18.4,
                "timestamps": [[2.0, 9.0]],
                "sentences": ["A woman slices an apple."],
            },
            "garden_0001": {
                "duration": 60.0,
                "timestamps": [[5.0, 25.0], [25.0, 58.0]],
                "sentences": ["Someone waters the plants.", "The dog runs across the lawn."],
            },
        },
        "val": {
            "garden_0002": {
                "duration": 33.3,
                "timestamps": [[0.0, 10.0]],
                "sentences": ["A child opens the gate."],
            },
        },
        "test": {
            "kitchen_0003": {
                "duration": 25.0,
                "timestamps": [[1.5, 8.0], [8.0, 24.0]],
                "sentences": ["A man opens the fridge.", "He pours a glass of milk."],
            },
            "garden_0003": {
                "duration": 47.5,
                "timestamps": [[10.0, 30.0]],
                "sentences": ["A woman rakes the leaves."],
            },
        },
    }
    for split, data in splits.items():
        _write_json(out / f"{split}.json", data)
    with h5py.File(out / "features.hdf5", "w") as h5_file:
        # What `python -m clear_tf.extract_features` records about the features.
        h5_file.attrs["encoder"] = "dummy_encoder"
        h5_file.attrs["unit_seconds"] = 0.5
        for video_id in sorted(v for data in splits.values() for v in data):
            h5_file.create_dataset(
                video_id,
                data=rng.standard_normal((NUM_UNITS, MOMENT_FEATURES_DIM)).astype(np.float32),
            )


def make_tacos_and_activitynet() -> None:
    generator = np.random.default_rng(0)
    make_tacos(generator)
    make_activitynet(generator)


MAKERS = {
    "tacos": make_tacos_and_activitynet,
    "activitynet_captions": make_tacos_and_activitynet,
    "charades_sta": lambda: make_charades_sta(np.random.default_rng(1)),
    "moment_features": lambda: make_moment_features(np.random.default_rng(2)),
}


if __name__ == "__main__":
    for maker in dict.fromkeys(MAKERS[name] for name in (sys.argv[1:] or MAKERS)):
        maker()
