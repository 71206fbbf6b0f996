"""``python -m clear_tf.localize``: every bad request exits with status 2 and a clear message.

Requests are checked against the export's ``clear_config.json`` before the SavedModel is
loaded, so these tests use a stand-in export folder (metadata and an empty graph file)
and stay fast; the answers of a real export are tested in ``tests/export``.
"""

import json
import re

import h5py
import numpy as np
import pytest

from clear_tf import localize as cli
from clear_tf.export import METADATA_PATH

FEATURE_DIM = 4


@pytest.fixture
def export_dir(tmp_path):
    version = tmp_path / "export" / "1"
    (version / "assets.extra").mkdir(parents=True)
    (version / "saved_model.pb").write_bytes(b"")
    metadata = {"feature_dim": FEATURE_DIM, "num_clips": 8, "inference": {"top_k": 3}}
    (version / METADATA_PATH).write_text(json.dumps(metadata))
    return str(tmp_path / "export")


@pytest.fixture
def files(tmp_path):
    np.save(tmp_path / "video.npy", np.ones((6, FEATURE_DIM), np.float32))
    np.save(tmp_path / "wide.npy", np.ones((6, FEATURE_DIM + 2), np.float32))
    np.save(tmp_path / "empty.npy", np.ones((0, FEATURE_DIM), np.float32))
    nan_units = np.ones((6, FEATURE_DIM), np.float32)
    nan_units[3, 1] = np.nan
    np.save(tmp_path / "nan.npy", nan_units)
    with h5py.File(tmp_path / "features.hdf5", "w") as handle:
        handle["s30-d52.avi"] = np.ones((6, FEATURE_DIM), np.float32)
    (tmp_path / "blank.txt").write_text("\n")
    return tmp_path


def run_cli(capsys, export_dir, features, *extra, duration="30"):
    args = ["--export_dir", export_dir, "--features", str(features), "--duration", duration, *extra]
    status = cli.main(args)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


BAD_REQUESTS = [
    ("wrong feature dimension", "wide.npy", ["--query", "q"], "30", r"has 6 dimensions per unit; the model expects D = 4"),
    ("no query", "video.npy", [], "30", "no queries"),
    ("empty query", "video.npy", ["--query", "q", "--query", "  "], "30", "query 1 is empty"),
    ("zero-length features", "empty.npy", ["--query", "q"], "30", r"has no units \(shape \(0, 4\)\)"),
    ("zero duration", "video.npy", ["--query", "q"], "0", "duration must be a positive number of seconds, got 0.0"),
    ("negative duration", "video.npy", ["--query", "q"], "-5", "duration must be a positive"),
    ("NaN duration", "video.npy", ["--query", "q"], "nan", "duration must be a positive number of seconds, got nan"),
    ("NaN features", "nan.npy", ["--query", "q"], "30", r"nan.npy contains NaN or Inf \(first at unit 3\)"),
    ("missing HDF5 key", "features.hdf5:s99-d99", ["--query", "q"], "30", r"features.hdf5 has no video 's99-d99'"),
    ("missing features file", "missing.npy", ["--query", "q"], "30", r"features file .*missing.npy does not exist"),
    ("blank queries file", "video.npy", ["--queries_file", "{dir}/blank.txt"], "30", "holds no query"),
    ("missing queries file", "video.npy", ["--queries_file", "{dir}/none.txt"], "30", "queries file .*none.txt does not exist"),
]


@pytest.mark.parametrize("case,features,extra,duration,message", BAD_REQUESTS, ids=[c[0] for c in BAD_REQUESTS])
def test_bad_request_exits_2_with_the_message(capsys, export_dir, files, case, features, extra, duration, message):
    extra = [value.format(dir=files) for value in extra]
    status, out, err = run_cli(capsys, export_dir, files / features, *extra, duration=duration)
    assert status == cli.USAGE_ERROR
    assert out == ""
    assert err.startswith("error: ") and "Traceback" not in err
    assert re.search(message, err), err


def test_missing_export_dir(capsys, tmp_path, files):
    status, _, err = run_cli(capsys, str(tmp_path / "nowhere"), files / "video.npy", "--query", "q")
    assert status == cli.USAGE_ERROR
    assert "--export_dir: export folder" in err and "nowhere does not exist" in err


def test_missing_duration_is_an_argparse_usage_error(capsys, export_dir, files):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--export_dir", export_dir, "--features", str(files / "video.npy"), "--query", "q"])
    assert exit_info.value.code == cli.USAGE_ERROR
    assert "--duration" in capsys.readouterr().err


@pytest.mark.parametrize(
    "extra,message",
    [
        (["--features", "{dir}/video.npy", "--video", "{dir}/my.mp4"], "give exactly one of --features and --video"),
        ([], "give exactly one of --features and --video"),
        (["--video", "{dir}/my.mp4", "--duration", "30"], "--duration is not used with --video"),
        (["--features", "{dir}/video.npy", "--duration", "30", "--unit_seconds", "2"], "--unit_seconds is only used with --video"),
    ],
    ids=["both", "neither", "video with duration", "unit flag with features"],
)
def test_features_or_video_is_an_argparse_usage_error(capsys, export_dir, files, extra, message):
    args = ["--export_dir", export_dir, "--query", "q", *[value.format(dir=files) for value in extra]]
    with pytest.raises(SystemExit) as exit_info:
        cli.main(args)
    assert exit_info.value.code == cli.USAGE_ERROR
    assert message in capsys.readouterr().err


def test_video_with_an_export_of_unknown_features(capsys, export_dir, files):
    """The stand-in export records no feature encoder (config.data.feature_encoder)."""
    (files / "my.mp4").write_bytes(b"\x00")
    status = cli.main(["--export_dir", f"{export_dir}/1", "--video", str(files / "my.mp4"), "--query", "q"])
    captured = capsys.readouterr()
    assert status == cli.USAGE_ERROR and captured.out == ""
    assert captured.err.startswith("error: --video: the export ")
    assert "trained on features of unknown origin" in captured.err and "pass --features" in captured.err
