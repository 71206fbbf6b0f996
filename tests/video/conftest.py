"""Shared fixtures of the video tests: a tiny CLIP preset and short synthetic videos.

Everything is made offline in the session's temporary folder: the encoder is a random
CLIP saved with keras-hub's ``save_to_preset`` (D = 12, 32×32 images), the videos are
a few seconds of solid colours written with PyAV.
"""

import os
import pathlib
import sys

import pytest

from synthetic_video import BLUE, GREEN, RED, write_video
from tiny_clip import save_tiny_clip_preset

EXPORT_TESTS = pathlib.Path(__file__).resolve().parents[1] / "export"


@pytest.fixture(scope="session")
def clip_preset(tmp_path_factory) -> str:
    """A local preset folder: tiny random CLIP backbone and its image converter."""
    return save_tiny_clip_preset(tmp_path_factory.mktemp("tiny_clip"))


@pytest.fixture(scope="session")
def encoder(clip_preset):
    from clear_tf.video import load_image_encoder

    return load_image_encoder(clip_preset)


@pytest.fixture(scope="session")
def red_blue_video(tmp_path_factory) -> str:
    """4.0 s at 10 fps: red for 2 s, then blue for 2 s."""
    return write_video(tmp_path_factory.mktemp("videos") / "red_blue.mp4", [(2.0, RED), (2.0, BLUE)])


@pytest.fixture
def video_dir(tmp_path) -> pathlib.Path:
    """Two good videos (4.0 s and 2.5 s), a corrupt one, an empty one and a text file."""
    folder = tmp_path / "videos"
    folder.mkdir()
    write_video(folder / "kitchen.mp4", [(2.0, RED), (2.0, BLUE)])
    write_video(folder / "garden.mp4", [(1.5, GREEN), (1.0, RED)])
    (folder / "corrupt.mp4").write_bytes(os.urandom(4096))
    (folder / "empty.avi").write_bytes(b"")
    (folder / "notes.txt").write_text("not a video\n")
    return folder


@pytest.fixture(scope="session")
def tiny_video_export(tmp_path_factory, clip_preset) -> str:
    """A real tiny CLEAR export (as tests/export builds one) trained on the tiny CLIP's features.

    Its config records ``data.feature_encoder`` = the tiny preset folder and its D is
    the encoder's. Returns the SavedModel version folder. Tens of seconds: slow tests only.
    """
    import keras

    if str(EXPORT_TESTS) not in sys.path:
        sys.path.insert(0, str(EXPORT_TESTS))
    from tiny_export import tiny_config

    from clear_tf.export import export_saved_model
    from clear_tf.models import build_model
    from tiny_clip import FEATURE_DIM

    config = tiny_config()
    config.data.feature_encoder = clip_preset
    keras.utils.set_random_seed(0)
    model = build_model(config, FEATURE_DIM)
    return export_saved_model(model, tmp_path_factory.mktemp("video_export"), config=config)
