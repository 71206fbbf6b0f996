"""``python -m clear_tf.localize`` on a real export, run as users run it (a subprocess)."""

import json
import subprocess
import sys

import h5py
import numpy as np
import pytest

from clear_tf.export import Localizer

from tiny_export import DURATION, QUERIES, TOP_K, video_features

pytestmark = pytest.mark.slow


def run_command(*args):
    return subprocess.run(
        [sys.executable, "-m", "clear_tf.localize", *args], capture_output=True, text=True, timeout=180
    )


def test_prints_one_json_line_per_query_and_writes_the_plot(export_base, tmp_path):
    features = video_features(num_units=40, seed=7)
    with h5py.File(tmp_path / "features.hdf5", "w") as handle:
        handle["v_demo/c3d_features"] = features  # ActivityNet layout
    (tmp_path / "queries.txt").write_text(QUERIES[1] + "\n")
    plot = tmp_path / "plot.png"
    finished = run_command(
        f"--export_dir={export_base}", f"--features={tmp_path / 'features.hdf5'}:v_demo",
        f"--duration={DURATION}", "--query", QUERIES[0], f"--queries_file={tmp_path / 'queries.txt'}",
        "--top_k=2", f"--plot={plot}",
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    lines = [json.loads(line) for line in finished.stdout.strip().splitlines()]
    expected = Localizer(export_base).localize(features, DURATION, QUERIES, top_k=2)
    assert [line["query"] for line in lines] == QUERIES
    for line, reference in zip(lines, expected):
        assert len(line["moments"]) <= 2 < TOP_K
        for moment, reference_moment in zip(line["moments"], reference["moments"], strict=True):
            assert moment == pytest.approx(reference_moment, abs=1e-6)
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bad_request_exits_2_without_a_traceback(export_base, tmp_path):
    np.save(tmp_path / "video.npy", video_features())
    finished = run_command(
        f"--export_dir={export_base}", f"--features={tmp_path / 'video.npy'}", "--duration=nan", "--query", "q"
    )
    assert finished.returncode == 2
    assert finished.stdout == ""
    assert "error: duration must be a positive number of seconds, got nan" in finished.stderr
    assert "Traceback" not in finished.stderr
