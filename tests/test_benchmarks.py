"""Tests of benchmarks/run.py's helpers, and a smoke run of one cheap section."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import numpy as np
import pytest

BENCHMARKS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "benchmarks")
sys.path.insert(0, BENCHMARKS_DIR)

import bench_utils  # noqa: E402


def test_mlp_head_flops_matches_a_hand_count():
    # 2 layers, d = 4: hidden Dense 4×4 (16 multiply-adds) + logit 4×1 (4) = 20 MACs = 40 FLOPs.
    assert bench_utils.mlp_head_flops(num_cells=1, hidden_dim=4, num_layers=2) == 40
    assert bench_utils.mlp_head_flops(num_cells=3, hidden_dim=4, num_layers=2) == 120
    # 1 layer: the logit alone, d multiply-adds.
    assert bench_utils.mlp_head_flops(num_cells=5, hidden_dim=8, num_layers=1) == 5 * 16


@pytest.mark.parametrize("layers", [1, 2, 3])
def test_mlp_head_flops_agrees_with_model_stats_per_candidate(layers):
    """The benchmark's count, CLEAR's model_stats and the head's own kernels agree."""
    import keras_hub

    from clear_tf.models.clear import CLEAR

    dim, clips = 8, 4
    backbone = keras_hub.models.BertBackbone(
        vocabulary_size=30, num_layers=1, num_heads=2, hidden_dim=8, intermediate_dim=16
    )
    model = CLEAR(
        backbone, feature_dim=3, num_pre_clips=8, num_clips=clips, hidden_dim=dim,
        tcn_channels=[4], tree_depth=2, fine_head_layers=layers,
    )
    per_query = model.model_stats()["flops_per_query"]
    # Independent of both formulas: 2 FLOPs per weight of every Dense kernel of the head.
    kernels = [w for w in model.fine_head.weights if len(w.shape) == 2]
    assert len(kernels) == layers
    by_kernels = sum(2 * int(w.shape[0]) * int(w.shape[1]) for w in kernels)
    assert bench_utils.mlp_head_flops(1, dim, layers) == per_query["fine_head_per_candidate"] == by_kernels
    assert bench_utils.mlp_head_flops(clips * clips, dim, layers) == per_query["fine_head"]


def test_matmul_flops_counts_a_multiply_add_as_two():
    # [2, 3] × [3, 5]: 10 outputs of 3 multiply-adds each.
    assert bench_utils.matmul_flops(2, 3, 5) == 60
    assert bench_utils.matmul_flops(4096, 4096, 4096) == 2 * 4096**3


def test_time_call_warms_up_then_times_each_repeat(monkeypatch):
    calls = []
    ticks = iter([0.0, 1.0, 10.0, 13.0, 20.0, 22.0])  # three repeats: 1 s, 3 s, 2 s
    monkeypatch.setattr(bench_utils.time, "perf_counter", lambda: next(ticks))
    timing = bench_utils.time_call(lambda: calls.append(1), repeats=3, warmup=2)
    assert len(calls) == 5  # 2 warm-up calls + 3 timed
    assert timing.seconds == [1.0, 3.0, 2.0]
    assert timing.median == 2.0
    assert timing.spread == pytest.approx((3.0 - 1.0) / 2.0)


def test_time_call_rejects_no_repeats():
    with pytest.raises(ValueError, match="repeats"):
        bench_utils.time_call(lambda: None, repeats=0)


def test_markdown_table_formats_numbers_and_checks_widths():
    table = bench_utils.markdown_table(["a", "b", "c"], [[1, 0.123456, "x"], [2, 1234.5, "y"]])
    assert table.splitlines() == [
        "| a | b | c |",
        "| --- | --- | --- |",
        "| 1 | 0.123 | x |",
        "| 2 | 1234 | y |",
    ]
    with pytest.raises(ValueError, match="2 cells, the header 3"):
        bench_utils.markdown_table(["a", "b", "c"], [[1, 2]])


def test_ratio_line_marks_targets_met_or_not():
    assert bench_utils.ratio_line("speed-up", 6.5, 5.0) == "speed-up: 6.50× (target >= 5×: met)"
    assert bench_utils.ratio_line("speed-up", 4.99, 5.0) == "speed-up: 4.99× (target >= 5×: NOT met)"
    assert bench_utils.ratio_line("ratio", 0.5, unit="") == "ratio: 0.50"


def test_environment_line_names_the_machine_versions_and_command(monkeypatch):
    import datetime
    import platform

    monkeypatch.setattr(platform, "node", lambda: "bench-box")
    monkeypatch.setattr(platform, "machine", lambda: "x86_64")
    monkeypatch.setattr(bench_utils, "cpu_model", lambda: "Some CPU @ 3.0GHz")
    monkeypatch.setattr(os, "cpu_count", lambda: 16)
    monkeypatch.setattr(os, "getloadavg", lambda: (1.26, 0.5, 0.25))
    monkeypatch.setattr(sys, "argv", ["benchmarks/run.py", "--quick", "--sections=6"])
    before = datetime.datetime.now(datetime.timezone.utc).replace(second=0, microsecond=0)
    line = bench_utils.environment_line({"TensorFlow": "9.9", "Keras": "3.1"})
    after = datetime.datetime.now(datetime.timezone.utc)
    prefix = (
        "_bench-box (x86_64), Some CPU @ 3.0GHz, 16 cores, load average 1.3; "
        "TensorFlow 9.9, Keras 3.1; `python benchmarks/run.py --quick --sections=6`; "
    )
    assert line.startswith(prefix) and line.endswith(" UTC_"), line
    stamp = datetime.datetime.strptime(line[len(prefix) : -len(" UTC_")], "%Y-%m-%d %H:%M")
    assert before <= stamp.replace(tzinfo=datetime.timezone.utc) <= after


def test_cpu_model_reads_the_model_name_of_proc_cpuinfo(monkeypatch):
    import io
    import platform

    cpuinfo = "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Some CPU @ 3.0GHz\nflags\t: fpu\n"
    opened = []

    def fake_open(path, *args, **kwargs):
        opened.append(path)
        return io.StringIO(cpuinfo)

    monkeypatch.setattr(bench_utils, "open", fake_open, raising=False)
    assert bench_utils.cpu_model() == "Some CPU @ 3.0GHz"
    assert opened == ["/proc/cpuinfo"]

    def no_file(path, *args, **kwargs):
        raise OSError("no /proc here")

    monkeypatch.setattr(bench_utils, "open", no_file, raising=False)
    monkeypatch.setattr(platform, "processor", lambda: "arm")
    assert bench_utils.cpu_model() == "arm"
    monkeypatch.setattr(platform, "processor", lambda: "")
    assert bench_utils.cpu_model() == "unknown CPU"


@pytest.mark.slow
def test_headroom_section_runs_and_writes_a_report(tmp_path):
    """Section 6 at its quick size through the command line (about 20 s)."""
    output = tmp_path / "bench.md"
    completed = subprocess.run(
        [sys.executable, os.path.join(BENCHMARKS_DIR, "run.py"), "--quick", "--sections=6",
         f"--output={output}"],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert "[6] fine head FLOP/s / matmul FLOP/s:" in completed.stdout
    report = output.read_text()
    assert "## 6. Headroom" in report and "float32 matmul 2048×2048" in report
    assert "TensorFlow" in report and "Keras" in report


def test_parse_sections_sorts_deduplicates_and_names_bad_input():
    assert bench_utils.parse_sections("3, 1,3", allowed=(1, 2, 3)) == [1, 3]
    with pytest.raises(ValueError, match="unknown section '9'"):
        bench_utils.parse_sections("1,9", allowed=(1, 2, 3))
    with pytest.raises(ValueError, match="unknown section 'x'"):
        bench_utils.parse_sections("x", allowed=(1, 2, 3))
    with pytest.raises(ValueError, match="no section"):
        bench_utils.parse_sections(" , ", allowed=(1, 2, 3))


_CHILD_PEAKS = """
import sys
sys.path.insert(0, sys.argv[1])
import bench_utils
before = bench_utils.peak_rss_mib()
block = b"x" * (64 << 20)  # 64 MiB of written, hence resident, pages
print(before, bench_utils.peak_rss_mib())
"""


def test_peak_rss_is_the_childs_own_and_grows_with_touched_memory():
    # The parent holds ~256 MiB while it starts the child: ru_maxrss would hand that
    # peak on to the child through fork + exec; the child's own peak must not include it.
    parent_block = b"y" * (256 << 20)
    completed = subprocess.run(
        [sys.executable, "-c", _CHILD_PEAKS, BENCHMARKS_DIR],
        capture_output=True, text=True, timeout=60, check=True,
    )
    del parent_block
    before, after = (float(value) for value in completed.stdout.split())
    assert before < 200
    assert 60 <= after - before <= 80


@pytest.mark.parametrize("flagfile", ["tacos", "activitynet", "demo"])
def test_training_batch_has_a_target_for_every_loss_of_the_flagfile(flagfile):
    import bench_training

    from clear_tf.flagfile import config_from_flagfile
    from clear_tf.models.clear import CLEAR

    repo = os.path.dirname(BENCHMARKS_DIR)
    config = config_from_flagfile(os.path.join(repo, "configs", f"{flagfile}.flags"))
    config.data.batch_size, config.data.num_pre_clips, config.data.num_clips = 2, 16, 8
    config.model.tree_depth = 2
    x, y, sample_weight = bench_training.random_batch(config, feature_dim=4)
    losses, _ = CLEAR.build_losses(config)
    assert set(y) == set(sample_weight) and set(losses) <= set(y)
    # What the flagfile asks for, read from its text: Γ₁, Γ₂ and, with a positive
    # --coarse_map_weight or --clip_alignment_weight, the coarse-map loss.
    text = open(os.path.join(repo, "configs", f"{flagfile}.flags")).read()

    def last_weight(flag):
        values = re.findall(rf"^--{flag}=(\S+)", text, re.MULTILINE)
        return float(values[-1]) if values else 0.0

    coarse_terms = last_weight("coarse_map_weight") + last_weight("clip_alignment_weight")
    expected = {"anchor_similarity", "fine_logits"} | ({"coarse_scores"} if coarse_terms > 0 else set())
    assert set(losses) == expected
    # Every target has the shape of the model output it is compared with: B = 2 videos,
    # K = 1 query, R = 2·2 - 1 = 3 anchors, L = 8.
    shapes = {"anchor_similarity": (2, 1, 3), "fine_logits": (2, 1, 8, 8), "coarse_scores": (2, 1, 8, 8)}
    for name in losses:
        assert tuple(y[name].shape) == shapes[name], name
        assert tuple(sample_weight[name].shape) == (2, 1)
    assert tuple(x["features"].shape) == (2, 16, 4)
    # The fine target is the IoU map: within [0, 1], and 0 outside the candidates i <= j.
    iou = np.asarray(y["fine_logits"])
    assert iou.min() >= 0 and iou.max() <= 1 and np.all(np.tril(np.ones((8, 8)), -1)[None, None] * iou == 0)


def test_environment_line_writes_paths_inside_the_checkout_relative_to_it(monkeypatch):
    repo = os.path.dirname(os.path.dirname(os.path.abspath(bench_utils.__file__)))
    monkeypatch.setattr(
        sys, "argv",
        [os.path.join(repo, "benchmarks", "compare_models.py"), f"--output={repo}/benchmarks/results/x.md", "--runs_dir=/elsewhere/runs"],
    )
    line = bench_utils.environment_line({})
    assert "`python benchmarks/compare_models.py --output=benchmarks/results/x.md --runs_dir=/elsewhere/runs`" in line
    assert repo not in line


def test_tacos_epoch_time_layouts_parse_and_name_a_bad_item():
    import tacos_epoch_time

    assert tacos_epoch_time.parse_layouts("16x1, 2x8") == [(16, 1), (2, 8)]
    with pytest.raises(ValueError, match="--layouts item '4-4'"):
        tacos_epoch_time.parse_layouts("4x4,4-4")


def run_on_small_demo_data(script: str, tmp_path, *arguments: str) -> None:
    """Runs a benchmark script on the demo flagfile and the small synthetic split; asserts it exits 0."""
    done = subprocess.run(
        [sys.executable, os.path.join(BENCHMARKS_DIR, script), "--flagfile=configs/demo.flags",
         "--dataset=synthetic_moments/small", f"--data_dir={tmp_path / 'tfds'}", *arguments],
        cwd=os.path.dirname(BENCHMARKS_DIR), capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]


def test_tacos_epoch_time_runs_a_layout_end_to_end(tmp_path):
    output = tmp_path / "epoch.md"
    run_on_small_demo_data(
        "tacos_epoch_time.py", tmp_path, "--layouts=2x2", "--steps=1", "--warmup=1", f"--output={output}"
    )
    row = [line for line in output.read_text().splitlines() if line.startswith("| 2 × 2")]
    assert len(row) == 1
    cells = [cell.strip() for cell in row[0].strip("|").split("|")]
    assert cells[1] == "4" and float(cells[2]) > 0 and int(cells[3]) >= 1


def test_fine_head_start_top_candidates_by_hand():
    import fine_head_start

    valid = np.triu(np.ones((3, 3), bool))
    scores = np.zeros((1, 2, 3, 3))
    scores[0, 0, 0, 2] = 5.0  # the whole video
    scores[0, 1, 1, 1] = 5.0  # one clip
    scores[0, 1, 2, 0] = 9.0  # not a candidate: never chosen
    iou_map = np.zeros((1, 2, 3, 3))
    iou_map[0, 0, 0, 2], iou_map[0, 1, 1, 1] = 0.8, 0.25
    lengths, ious = fine_head_start.top_candidates(scores, iou_map, valid, np.array([[1.0, 1.0]]))
    np.testing.assert_allclose(lengths, [1.0, 1 / 3])
    np.testing.assert_allclose(ious, [0.8, 0.25])
    # Padded query slots are left out.
    lengths, _ = fine_head_start.top_candidates(scores, iou_map, valid, np.array([[1.0, 0.0]]))
    assert lengths.shape == (1,)


def test_fine_head_start_runs_end_to_end(tmp_path):
    output = tmp_path / "start.md"
    run_on_small_demo_data(
        "fine_head_start.py", tmp_path, "--probabilities=0.5,0.05", "--steps=2", "--every=1", f"--output={output}"
    )
    text = output.read_text()
    assert "--fine_initial_probability=0.5" in text and "--fine_initial_probability=0.05" in text
    rows = [line for line in text.splitlines() if line.startswith("| ") and line[2].isdigit()]
    assert len(rows) == 2 * 3  # steps 0, 1, 2 for each probability
    for row in rows:
        cells = [float(cell) for cell in row.strip("|").split("|")]
        assert 0 < cells[1] <= 1 and 0 <= cells[2] <= 1


def test_objective_learnability_clip_hits_by_hand():
    import objective_learnability

    iou_map = np.zeros((1, 2, 3, 3), np.float32)
    iou_map[0, 0, 1, 1] = 0.5  # query 0's moment overlaps clip 1 only
    iou_map[0, 1, 2, 2] = 1.0  # query 1's moment is clip 2
    scores = np.zeros((1, 2, 3, 3), np.float32)
    scores[0, 0, 1, 1] = 0.9  # best clip overlaps: a hit
    scores[0, 1, 0, 0] = 0.9  # best clip is 0: a miss
    scores[0, 1, 0, 2] = 5.0  # off the diagonal: never read
    hits = objective_learnability.clip_hits(scores, iou_map, np.array([[1.0, 1.0]]))
    np.testing.assert_array_equal(hits, [True, False])
    assert objective_learnability.clip_hits(scores, iou_map, np.array([[1.0, 0.0]])).tolist() == [True]


def test_objective_learnability_runs_end_to_end(tmp_path):
    output = tmp_path / "objectives.md"
    run_on_small_demo_data(
        "objective_learnability.py", tmp_path, "--objectives=moment+clip,clear+clip", "--steps=2", "--every=1",
        "--probe_batches=1", "--matcher_video=bi_tcn", f"--output={output}",
    )
    text = output.read_text()
    titles = [line[4:] for line in text.splitlines() if line.startswith("### ")]
    assert titles == [
        "matcher (bi_tcn): moment+clip",
        "clear + clip term ×25: coarse map (cᵀq/d)",
        "clear + clip term ×25: fine head",
    ]
    rows = [line for line in text.splitlines() if line.startswith("| ") and line[2].isdigit()]
    assert len(rows) == 3 * 3  # steps 0, 1, 2 for each table
    for row in rows:
        cells = [float(cell) for cell in row.strip("|").split("|")]
        assert 0 <= cells[1] <= 100 and 0 <= cells[2] <= 1 and 0 <= cells[3] <= 100


def test_objective_learnability_names_an_unknown_objective():
    done = subprocess.run(
        [sys.executable, os.path.join(BENCHMARKS_DIR, "objective_learnability.py"), "--objectives=clip,bogus"],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 2 and "--objectives: unknown bogus" in done.stderr


def test_objective_learnability_names_a_flagfile_without_sentence_vectors(tmp_path):
    flagfile = tmp_path / "trainable_text.flags"
    demo = os.path.join(os.path.dirname(BENCHMARKS_DIR), "configs", "demo.flags")
    with open(demo) as f:
        flagfile.write_text(f.read() + "\n--text_trainable\n")
    done = subprocess.run(
        [sys.executable, os.path.join(BENCHMARKS_DIR, "objective_learnability.py"), f"--flagfile={flagfile}",
         "--dataset=synthetic_moments/small", f"--data_dir={tmp_path / 'tfds'}", "--objectives=clip,clear",
         "--steps=1", "--probe_batches=1", f"--output={tmp_path / 'out.md'}"],
        cwd=os.path.dirname(BENCHMARKS_DIR), capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 2, done.stderr[-2000:]
    assert "--objectives=clip: the matcher reads precomputed sentence vectors" in done.stderr
    assert not (tmp_path / "out.md").exists()


def test_clear_choices_smallest_margin_is_the_worst_recall_over_the_prior():
    import clear_choices

    prior = {"R@1,IoU=0.3": 40.0, "R@5,IoU=0.3": 88.0, "R@5,IoU=0.7": 30.0, "mIoU": 29.0}
    metrics = {"R@1,IoU=0.3": 70.0, "R@5,IoU=0.3": 87.5, "R@5,IoU=0.7": 70.0, "mIoU": 10.0}
    assert clear_choices.smallest_margin(metrics, prior) == -0.5  # mIoU is not a recall
    with pytest.raises(ValueError, match="no R@n,IoU=m"):
        clear_choices.smallest_margin(metrics, {"mIoU": 1.0})


def test_clear_choices_budget_grid_parses_points_and_names_a_bad_one():
    import clear_choices

    assert clear_choices.parse_budget_grid("0:5,0.1:5:0.4") == [(0.0, 5, None), (0.1, 5, 0.4)]
    with pytest.raises(ValueError, match="'0.1' is not share:peaks"):
        clear_choices.parse_budget_grid("0:5,0.1")
    with pytest.raises(ValueError, match="'0.1:x' has a value that is not a number"):
        clear_choices.parse_budget_grid("0.1:x")
