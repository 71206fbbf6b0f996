"""Configs, flags and flagfiles: every flag documented, every flagfile valid."""

import dataclasses
import pathlib
import subprocess
import sys

import pytest

from clear_tf import config as config_lib

REPO = pathlib.Path(__file__).resolve().parents[1]
FLAGFILES = sorted((REPO / "configs").rglob("*.flags"))


def test_every_field_has_help_and_one_flag():
    # flag_fields raises when a name is used twice with different types or sections.
    fields = config_lib.flag_fields()
    for name, flag in fields.items():
        assert len(flag.field.metadata["help"]) > 15, name
    assert {"num_clips", "hidden_dim", "tree", "mu", "text_preset"} <= set(fields)
    assert fields["tree"].models == ("clear",) and fields["num_clips"].section == "data"


def test_round_trip_through_dict():
    config = config_lib.Config()
    config.data.num_clips = 64
    config.model.tcn_channels = [7, 5]
    assert config_lib.Config.from_dict(config.to_dict()) == config


@pytest.mark.parametrize(
    "section, name, value, message",
    [
        ("data", "num_clips", 48, "multiple of --num_clips"),
        ("model", "tree", "ternary", "--tree='ternary'"),
        ("model", "mu", 0.5, "--mu < --rho"),
        ("model", "max_iou", 0.0, "--min_iou < --max_iou"),
        ("inference", "inference", "tan2d", "--inference='tan2d': --model=clear offers"),
        ("data", "batch_size", 0, "--batch_size must be positive"),
        ("inference", "recall_at", [1, 10], "--recall_at"),
        ("model", "tree_depth", 200, "--tree_depth=200"),
        ("model", "fine_initial_probability", 1.0, "--fine_initial_probability must be in"),
        ("model", "clip_alignment_loss", "hinge", "--clip_alignment_loss='hinge': expected one of squared, softmax"),
        ("model", "clip_alignment_temperature", 0.0, "--clip_alignment_temperature must be positive"),
        ("model", "query_activation", "tanh", "--query_activation='tanh': expected one of relu, linear"),
        ("model", "feature_dropout", 1.0, "--feature_dropout must be in"),
    ],
)
def test_validate_names_the_bad_flag(section, name, value, message):
    config = config_lib.Config()
    setattr(getattr(config, section), name, value)
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("(", r"\(")):
        config_lib.validate(config)


def test_flagfiles_exist_for_the_paper_settings():
    names = {path.name for path in FLAGFILES}
    assert {"tacos.flags", "activitynet.flags", "demo.flags", "clear_v.flags"} <= names


# Parses each argument list (a JSON list of lists on stdin) from the flags' defaults, one
# interpreter for all (``unparse_flags`` resets every flag), and prints one JSON line
# each: the config, or the one-line error the command line would print.
_PARSE_EACH = """
import contextlib, io, json, sys
from absl import flags
from clear_tf import cli
cli.define_flags()
for args in json.loads(sys.stdin.read()):
    flags.FLAGS.unparse_flags()
    errors = io.StringIO()
    try:
        with contextlib.redirect_stderr(errors):
            config = cli.config_or_usage_error(flags.FLAGS(["prog", *args]))
        print(json.dumps({"config": config.to_dict()}))
    except SystemExit:
        print(json.dumps({"error": errors.getvalue()}))
"""


def test_flagfiles_parse_to_valid_configs():
    import json

    # The ablations modify a dataset flagfile; the other files stand alone.
    arguments = [
        (["--flagfile=configs/tacos.flags"] if path.parent.name == "ablations" else []) + [f"--flagfile={path}"]
        for path in FLAGFILES
    ]
    done = subprocess.run(
        [sys.executable, "-c", _PARSE_EACH], input=json.dumps(arguments), capture_output=True,
        text=True, cwd=REPO, timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert len(lines) == len(FLAGFILES), done.stdout[-3000:]
    results = {}
    for path, line in zip(FLAGFILES, lines):
        assert "config" in line, f"{path}: {line.get('error')}"
        results[str(path.relative_to(REPO / "configs"))] = line["config"]
    tacos, anet = results["tacos.flags"], results["activitynet.flags"]
    # The paper's settings (§IV-A) and the original code's Bi-TCN; TACoS's 16 pairs per
    # step as 2 videos x 8 queries (each video encoded once for its 8).
    pairs = tacos["data"]["batch_size"] * tacos["data"]["queries_per_video"]
    assert (pairs, tacos["train"]["learning_rate"], tacos["model"]["tree_depth"]) == (16, 1e-3, 4)
    assert (anet["data"]["batch_size"], anet["train"]["learning_rate"], anet["model"]["tree_depth"]) == (32, 5e-4, 2)
    assert tacos["model"]["tcn_channels"] == [2048, 1024, 512, 256]
    assert len(anet["model"]["tcn_channels"]) == 7 and anet["model"]["tcn_kernel_size"] == 7
    assert results["ablations/clear_v.flags"]["model"]["use_tcn"] is False
    # Every dataset flagfile's evaluation reports the paper tree (--all_ablations): its μ, ρ
    # are picked on val after training.
    for name in ("tacos.flags", "activitynet.flags", "charades_sta.flags", "paper/tacos.flags",
                 "paper/activitynet.flags"):
        assert results[name]["train"]["tune_search_on_val"] is True, name
    # The paper's objective and search beside the improved defaults (same architecture).
    for name, improved in (("tacos", tacos), ("activitynet", anet)):
        paper = results[f"paper/{name}.flags"]
        assert paper["model_name"] == "clear"
        assert (paper["model"]["coarse_weight"], paper["model"]["alpha"], paper["model"]["coarse_map_weight"]) == (1.0, 1.0, 0.0)
        assert (paper["model"]["min_iou"], paper["model"]["max_iou"]) == (0.0, 1.0)
        assert (paper["model"]["tree"], paper["model"]["descend_when"]) == ("paper", "both")
        assert paper["train"]["tune_search_on_val"] is True
        assert paper["model"]["tcn_channels"] == improved["model"]["tcn_channels"]
        assert paper["model"]["tree_depth"] == improved["model"]["tree_depth"]
        # The binary tree reads every candidate's coarse score: some term must train it.
        coarse_terms = (improved["model"]["coarse_map_weight"], improved["model"]["clip_alignment_weight"])
        assert improved["model"]["tree"] == "binary" and max(coarse_terms) > 0
        assert paper["model"]["clip_alignment_weight"] == 0 and paper["model"]["moment_pooling"] == "max"
        assert paper["model"]["fine_clip_evidence"] is False
    assert tacos["model"]["fine_clip_evidence"] is True


def test_bad_flag_value_is_a_usage_message_not_a_traceback():
    done = subprocess.run(
        [sys.executable, "train.py", "--num_clips=48", "--summary_only"],
        capture_output=True, text=True, cwd=REPO, timeout=120,
    )
    assert done.returncode != 0
    assert "multiple of --num_clips" in done.stderr
    assert "Traceback" not in done.stderr
