"""``python -m clear_tf.localize --video``: extraction with the export's encoder, and its errors.

The error tests use a stand-in export (metadata and an empty graph file): every check
runs before the SavedModel is loaded. The end-to-end test exports a real tiny model.
"""

import json

import pytest

from clear_tf import localize as cli
from clear_tf.export import METADATA_PATH
from tiny_clip import FEATURE_DIM


def stand_in_export(folder, feature_encoder, feature_dim=FEATURE_DIM, **extra_metadata) -> str:
    version = folder / "export" / "1"
    (version / "assets.extra").mkdir(parents=True)
    (version / "saved_model.pb").write_bytes(b"")
    metadata = {
        "feature_dim": feature_dim,
        "num_clips": 8,
        "inference": {"top_k": 3},
        "config": {"data": {"feature_encoder": feature_encoder}},
        **extra_metadata,
    }
    (version / METADATA_PATH).write_text(json.dumps(metadata))
    return str(version)


def run_cli(capsys, *args):
    status = cli.main([str(arg) for arg in args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def assert_one_line_error(status, out, err, expected):
    assert status == cli.USAGE_ERROR
    assert out == ""
    last_line = err.splitlines()[-1]  # after the progress bar, if extraction started
    assert last_line.startswith("error: ") and "Traceback" not in err
    assert expected in last_line, err


def test_export_without_encoder_asks_for_features(capsys, tmp_path, red_blue_video):
    export = stand_in_export(tmp_path, feature_encoder="")
    result = run_cli(capsys, "--export_dir", export, "--video", red_blue_video, "--query", "q")
    assert_one_line_error(*result, "trained on features of unknown origin")
    assert "pass --features" in result[2]


def test_encoder_dimension_differs_from_the_model(capsys, tmp_path, red_blue_video, clip_preset):
    export = stand_in_export(tmp_path, feature_encoder=clip_preset, feature_dim=8)
    result = run_cli(capsys, "--export_dir", export, "--video", red_blue_video, "--query", "q")
    assert_one_line_error(
        *result, f"the export's feature encoder {clip_preset} gives {FEATURE_DIM}-d features but the model expects D = 8"
    )


def test_recorded_encoder_folder_is_gone(capsys, tmp_path, red_blue_video):
    export = stand_in_export(tmp_path, feature_encoder=str(tmp_path / "deleted_preset"))
    result = run_cli(capsys, "--export_dir", export, "--video", red_blue_video, "--query", "q")
    assert_one_line_error(*result, "--video: the export's feature encoder: encoder preset folder")


def test_unreadable_video(capsys, tmp_path, clip_preset):
    export = stand_in_export(tmp_path, feature_encoder=clip_preset)
    video = tmp_path / "broken.mp4"
    video.write_bytes(b"\x00" * 2048)
    result = run_cli(capsys, "--export_dir", export, "--video", video, "--query", "q")
    assert_one_line_error(*result, f"cannot read video {video}: ")


def test_missing_video(capsys, tmp_path, clip_preset):
    export = stand_in_export(tmp_path, feature_encoder=clip_preset)
    result = run_cli(capsys, "--export_dir", export, "--video", tmp_path / "nowhere.mp4", "--query", "q")
    assert_one_line_error(*result, "--video: ")
    assert "nowhere.mp4 does not exist" in result[2]


def test_queries_are_checked_before_extraction(capsys, tmp_path, clip_preset, monkeypatch):
    import clear_tf.video

    def must_not_run(*args, **kwargs):
        raise AssertionError("extracted before checking the queries")

    monkeypatch.setattr(clear_tf.video, "extract_video_features", must_not_run)
    export = stand_in_export(tmp_path, feature_encoder=clip_preset)
    video = tmp_path / "any.mp4"
    video.write_bytes(b"\x00")
    result = run_cli(capsys, "--export_dir", export, "--video", video, "--query", " ")
    assert_one_line_error(*result, "query 0 is empty")


def test_bad_unit_flag(capsys, tmp_path, red_blue_video, clip_preset):
    export = stand_in_export(tmp_path, feature_encoder=clip_preset)
    result = run_cli(capsys, "--export_dir", export, "--video", red_blue_video, "--query", "q", "--unit_seconds", "0.3")
    assert_one_line_error(*result, "--unit_seconds × --frames_per_second must be a whole number")


def test_recorded_unit_rule_is_the_default(capsys, tmp_path, red_blue_video, clip_preset):
    """The feature file's attributes, where the export records them, set the unit rule."""
    recorded = {"frames_per_second": 3.0, "unit_seconds": 0.5}  # 1.5 frames per unit: refused
    export = stand_in_export(tmp_path, feature_encoder=clip_preset, feature_attributes=recorded)
    result = run_cli(capsys, "--export_dir", export, "--video", red_blue_video, "--query", "q")
    assert_one_line_error(*result, "got 0.5 × 3 = 1.5")


@pytest.mark.slow
def test_video_end_to_end(capsys, tmp_path, tiny_video_export, red_blue_video, clip_preset):
    """Extracts with the recorded encoder, localizes, plots; the Python API gives the same."""
    from clear_tf.export import Localizer
    from clear_tf.video import extract_video_features

    plot = tmp_path / "out.png"
    queries = ["something red", "the blue part"]
    status, out, err = run_cli(
        capsys, "--export_dir", tiny_video_export, "--video", red_blue_video,
        "--query", queries[0], "--query", queries[1], "--plot", plot,
    )
    assert status == 0, err
    results = [json.loads(line) for line in out.splitlines()]
    assert [result["query"] for result in results] == queries
    for result in results:
        assert 1 <= len(result["moments"]) <= 3
        for moment in result["moments"]:
            assert 0.0 <= moment["start"] < moment["end"] <= 4.0 + 1e-4
    assert plot.stat().st_size > 0

    localizer = Localizer(tiny_video_export)
    assert localizer.metadata["config"]["data"]["feature_encoder"] == clip_preset
    features, duration = extract_video_features(red_blue_video, clip_preset)
    assert results == localizer.localize(features, duration, queries)
