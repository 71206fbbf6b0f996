"""``clear_tf.flagfile``: the same Config as absl's ``--flagfile``, and clear errors."""

import json
import pathlib
import subprocess
import sys

import pytest

from clear_tf import config as config_lib
from clear_tf.models.clear import ClearConfig
from clear_tf.flagfile import config_from_flagfile, read_flagfile

REPO = pathlib.Path(__file__).resolve().parents[1]
FLAGFILES = sorted(str(path.relative_to(REPO)) for path in (REPO / "configs").rglob("*.flags"))

# Parses every flagfile with the real absl flags in a fresh process (absl's flags are
# process-global) and prints the resulting configs as JSON.
_ABSL_PARSE = """
import json, sys
from absl import flags
from clear_tf.flags import define_flags, config_from_flags
define_flags()
configs = {}
for path in sys.argv[1:]:
    flags.FLAGS.unparse_flags()
    flags.FLAGS(["prog", "--flagfile=" + path])
    configs[path] = config_from_flags().to_dict()
print(json.dumps(configs))
"""


def _write(tmp_path, text, name="test.flags"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_every_repo_flagfile_matches_absl():
    assert "configs/demo.flags" in FLAGFILES and "configs/tacos.flags" in FLAGFILES
    done = subprocess.run(
        [sys.executable, "-c", _ABSL_PARSE, *FLAGFILES],
        cwd=REPO, capture_output=True, text=True, timeout=120, check=True,
    )
    from_absl = json.loads(done.stdout)
    for path in FLAGFILES:
        assert config_from_flagfile(REPO / path).to_dict() == from_absl[path], path


def test_types_booleans_lists_and_comments(tmp_path):
    path = _write(
        tmp_path,
        "# a comment\n\n// another\n--num_clips=16\n--num_pre_clips=32\n--dropout=0.25\n"
        "--tcn_channels=8, 4\n--iou_thresholds=0.3,0.5\n--recall_at=1\n--nouse_tcn\n--deterministic\n"
        "--normalize_features=true\n--cache=0\n--run_dir=/tmp/x=y\n--tree_depth=2\n",
    )
    config = config_from_flagfile(path)
    assert config.data.num_clips == 16 and config.data.num_pre_clips == 32
    assert config.model.dropout == 0.25
    assert config.model.tcn_channels == [8, 4]
    assert config.inference.iou_thresholds == [0.3, 0.5]
    assert config.inference.recall_at == [1]
    assert config.model.use_tcn is False
    assert config.train.deterministic is True
    assert config.data.normalize_features is True and config.data.cache is False
    # Only the first '=' separates name and value.
    assert config.train.run_dir == "/tmp/x=y"
    # Unset fields keep their defaults.
    assert config.model.alpha == ClearConfig().alpha


def test_later_lines_and_nested_flagfiles_override_earlier(tmp_path, monkeypatch):
    _write(tmp_path, "--epochs=7\n--hidden_dim=8\n", name="base.flags")
    path = _write(tmp_path, "--epochs=3\n--flagfile=base.flags\n--hidden_dim=4\n")
    monkeypatch.chdir(tmp_path)  # nested paths are relative to the current folder, as in absl
    assert read_flagfile(path) == {"epochs": 7, "hidden_dim": 4}


def test_overrides_replace_file_values(tmp_path):
    path = _write(tmp_path, "--epochs=7\n--tcn_channels=32,32\n")
    config = config_from_flagfile(
        path, epochs=1, tcn_channels="16", hidden_dim=8, val_split="val[:8]", use_tcn="false"
    )
    assert config.train.epochs == 1
    assert config.model.tcn_channels == [16]
    assert config.model.hidden_dim == 8
    assert config.data.val_split == "val[:8]"
    assert config.model.use_tcn is False
    assert config_from_flagfile(path, tcn_channels=(4, 2)).model.tcn_channels == [4, 2]


@pytest.mark.parametrize(
    "line, message",
    [
        ("--num_clip=16", r"test.flags:2: --num_clip is not a clear-tf config flag"),
        ("--num_clips=sixteen", r"test.flags:2: --num_clips=sixteen"),
        ("--use_tcn=maybe", r"test.flags:2: --use_tcn=maybe: expected true or false"),
        ("--tcn_channels=16,a", r"test.flags:2: --tcn_channels=16,a"),
        ("--epochs", r"test.flags:2: --epochs needs a value"),
        ("--noepochs", r"test.flags:2: --noepochs is not a clear-tf config flag"),
        ("num_clips=16", r"test.flags:2: expected --name=value"),
    ],
)
def test_bad_lines_name_file_and_line(tmp_path, line, message):
    path = _write(tmp_path, f"# header\n{line}\n")
    with pytest.raises(ValueError, match=message):
        read_flagfile(path)


def test_bad_overrides_and_invalid_configs(tmp_path):
    path = _write(tmp_path, "--num_clips=16\n")
    with pytest.raises(ValueError, match="override num_clip=8: not a clear-tf config field"):
        config_from_flagfile(path, num_clip=8)
    with pytest.raises(ValueError, match="--num_pre_clips=20 must be a multiple of --num_clips=16"):
        config_from_flagfile(path, num_pre_clips=20)


def test_missing_and_looping_flagfiles(tmp_path, monkeypatch):
    with pytest.raises(FileNotFoundError, match="nope.flags does not exist"):
        read_flagfile(tmp_path / "nope.flags")
    monkeypatch.chdir(tmp_path)
    _write(tmp_path, "--flagfile=b.flags\n", name="a.flags")
    _write(tmp_path, "--flagfile=a.flags\n", name="b.flags")
    with pytest.raises(ValueError, match="include each other in a loop"):
        read_flagfile("a.flags")
