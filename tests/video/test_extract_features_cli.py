"""``python -m clear_tf.extract_features``: folder runs with bad files, the HDF5 layout, bad flags."""

import re

import h5py
import numpy as np
import pytest

from clear_tf import extract_features as cli
from clear_tf.video import extract_video_features
from synthetic_video import GREEN, write_video
from tiny_clip import FEATURE_DIM


def run_cli(capsys, *args):
    status = cli.main([str(arg) for arg in args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def skip_lines(err):
    return [line for line in err.splitlines() if "skipped: " in line]


def test_folder_run_extracts_the_good_videos_and_counts_the_skips(capsys, tmp_path, video_dir, clip_preset, encoder):
    out = tmp_path / "features.hdf5"
    status, stdout, err = run_cli(capsys, "--video_dir", video_dir, "--encoder", clip_preset, "--out", out)

    assert status == cli.SKIPPED
    skips = skip_lines(err)
    assert len(skips) == 2
    assert any(f"cannot read video {video_dir / 'corrupt.mp4'}: " in line for line in skips)
    assert any(f"cannot read video {video_dir / 'empty.avi'}: the file is empty" in line for line in skips)
    assert "skipped 2 of 4 videos: corrupt.mp4, empty.avi" in err
    assert "Traceback" not in err
    assert f"wrote 2 videos to {out}" in stdout

    with h5py.File(out, "r") as handle:
        assert sorted(handle) == ["garden", "kitchen"]  # notes.txt is not a video
        assert handle["kitchen"].shape == (4, FEATURE_DIM)  # 4.0 s → 4 one-second units
        assert handle["garden"].shape == (3, FEATURE_DIM)  # 2.5 s → 5 samples → 3 units
        assert handle["kitchen"].dtype == np.float32
        assert handle["garden"].attrs["duration_seconds"] == pytest.approx(2.5)
        assert handle["garden"].attrs["source"] == "garden.mp4"
        expected, _ = extract_video_features(video_dir / "kitchen.mp4", encoder)
        np.testing.assert_array_equal(handle["kitchen"][()], expected)
        attributes = dict(handle.attrs)
    assert attributes["encoder"] == clip_preset
    assert attributes["feature_dim"] == FEATURE_DIM
    assert attributes["frames_per_second"] == 2.0
    assert attributes["unit_seconds"] == 1.0
    assert attributes["frames_per_unit"] == 2
    assert "T = ceil(N / 2)" in attributes["unit_rule"]


def test_features_load_with_the_localize_reader(capsys, tmp_path, video_dir, clip_preset):
    from clear_tf.export import load_features

    out = tmp_path / "features.h5"
    status, _, _ = run_cli(capsys, "--video", video_dir / "garden.mp4", "--encoder", clip_preset, "--out", out)
    assert status == 0
    assert load_features(f"{out}:garden").shape == (3, FEATURE_DIM)


def test_unit_flags(capsys, tmp_path, video_dir, clip_preset):
    out = tmp_path / "half_seconds.hdf5"
    status, _, _ = run_cli(
        capsys, "--video", video_dir / "kitchen.mp4", "--encoder", clip_preset, "--out", out,
        "--frames_per_second", 4, "--unit_seconds", 0.5, "--batch_size", 5,
    )
    assert status == 0
    with h5py.File(out, "r") as handle:
        assert handle["kitchen"].shape == (8, FEATURE_DIM)
        assert (handle.attrs["frames_per_second"], handle.attrs["unit_seconds"]) == (4.0, 0.5)


def test_only_bad_videos_write_nothing(capsys, tmp_path, video_dir, clip_preset):
    out = tmp_path / "none.hdf5"
    status, stdout, err = run_cli(capsys, "--video", video_dir / "corrupt.mp4", "--encoder", clip_preset, "--out", out)
    assert status == cli.SKIPPED
    assert len(skip_lines(err)) == 1 and "corrupt.mp4" in skip_lines(err)[0]
    assert f"no video could be read; {out} was not written" in err
    assert stdout == ""
    assert list(tmp_path.iterdir()) == [video_dir]  # no partial file left behind


def test_existing_out_needs_overwrite(capsys, tmp_path, video_dir, clip_preset):
    out = tmp_path / "features.hdf5"
    out.write_bytes(b"old")
    args = ["--video", video_dir / "garden.mp4", "--encoder", clip_preset, "--out", out]
    status, _, err = run_cli(capsys, *args)
    assert status == cli.USAGE_ERROR
    assert err == f"error: --out: {out} exists; pass --overwrite to replace it\n"
    status, _, _ = run_cli(capsys, *args, "--overwrite")
    assert status == 0
    with h5py.File(out, "r") as handle:
        assert list(handle) == ["garden"]


NO_OUT = "<no --out>"
BAD_FLAGS = [
    ("no video", [], r"give --video or --video_dir"),
    ("missing video", ["--video", "{dir}/nowhere.mp4"], r"--video: .*nowhere.mp4 does not exist"),
    ("video is a folder", ["--video", "{dir}"], r"--video: .* is a folder; use --video_dir"),
    ("video_dir missing", ["--video_dir", "{dir}/nowhere"], r"--video_dir: .*nowhere is not a folder"),
    ("video_dir without videos", ["--video_dir", "{dir}/texts"], r"--video_dir: .*texts holds no video file"),
    ("same id twice", ["--video", "{dir}/kitchen.mp4", "--video", "{dir}/other/kitchen.avi"], r"--video: .* share the video id 'kitchen'"),
    ("zero rate", ["--video_dir", "{dir}", "--frames_per_second", "0"], r"--frames_per_second must be a positive number, got 0.0"),
    ("rate not a number", ["--video_dir", "{dir}", "--frames_per_second", "fast"], r"argument --frames_per_second: invalid float value: 'fast'"),
    ("negative unit", ["--video_dir", "{dir}", "--unit_seconds", "-1"], r"--unit_seconds must be a positive number, got -1.0"),
    ("fractional frames per unit", ["--video_dir", "{dir}", "--unit_seconds", "0.75"], r"--unit_seconds × --frames_per_second must be a whole number"),
    ("zero batch", ["--video_dir", "{dir}", "--batch_size", "0"], r"--batch_size must be a positive integer, got 0"),
    ("out not hdf5", ["--video_dir", "{dir}", "--out", "{dir}/features.npy"], r"--out: .*features.npy must end with .hdf5 or .h5"),
    ("missing encoder folder", ["--video_dir", "{dir}", "--encoder", "./no/such/preset"], r"--encoder: encoder preset folder ./no/such/preset does not exist"),
    ("encoder folder not a preset", ["--video_dir", "{dir}", "--encoder", "{dir}/texts"], r"--encoder: cannot load the image encoder '.*texts'"),
    ("no out", ["--video_dir", "{dir}", NO_OUT], r"the following arguments are required: --out"),
]


@pytest.mark.parametrize("case,args,message", BAD_FLAGS, ids=[case[0] for case in BAD_FLAGS])
def test_bad_flag_is_one_line_naming_it(capsys, tmp_path, video_dir, case, args, message):
    (video_dir / "texts").mkdir()
    (video_dir / "texts" / "readme.txt").write_text("no videos here\n")
    (video_dir / "other").mkdir()
    (video_dir / "other" / "kitchen.avi").write_bytes(b"")
    args = [arg.format(dir=video_dir) for arg in args]
    if NO_OUT in args:
        args.remove(NO_OUT)
    elif "--out" not in args:
        args += ["--out", str(tmp_path / "features.hdf5")]
    try:
        status = cli.main(args)
    except SystemExit as exit_info:  # argparse's own errors
        status = exit_info.code
    err = capsys.readouterr().err
    assert status == cli.USAGE_ERROR
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert re.search(message, err), err
    assert not (tmp_path / "features.hdf5").exists()


def test_a_video_written_twice_in_one_folder_run_is_stable(capsys, tmp_path, clip_preset):
    """Two copies of one video in a folder get identical features (batching is per video)."""
    folder = tmp_path / "copies"
    folder.mkdir()
    write_video(folder / "a.mp4", [(3.0, GREEN)])
    (folder / "b.mp4").write_bytes((folder / "a.mp4").read_bytes())
    out = tmp_path / "copies.hdf5"
    assert run_cli(capsys, "--video_dir", folder, "--encoder", clip_preset, "--out", out)[0] == 0
    with h5py.File(out, "r") as handle:
        np.testing.assert_array_equal(handle["a"][()], handle["b"][()])
