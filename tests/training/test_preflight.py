"""Flag and environment checks done before a run folder is touched, each one line with the fix."""

import json
import os
import subprocess

import pytest

from training_runs import REPO, environment, train_command

from clear_tf.config import Config
from clear_tf.run_dir import RunDir, save_config
from clear_tf.training import preflight
from clear_tf.training.preflight import SetupError, check_resume, check_training, flag_differences
from clear_tf.training.strategy import worker_info


def _config(tmp_path, **train):
    config = Config()
    config.data.data_dir = str(tmp_path / "tfds")
    config.train.run_dir = str(tmp_path / "run")
    for name, value in train.items():
        setattr(config.train, name, value)
    return config


def test_the_monitor_must_be_a_validation_metric(tmp_path):
    config = _config(tmp_path, monitor="val_R@1,IoU=0.55")
    with pytest.raises(SetupError, match=r"--monitor='val_R@1,IoU=0.55' is not a metric validation reports; "
                                         r"choose one of val_R@1,IoU=0.1, .*val_R@1,IoU=0.5,"):
        check_training(config)
    assert "val_mIoU" in preflight.validation_metrics(config)
    assert "val_R@5,IoU=0.7" in preflight.validation_metrics(config)
    config.inference.recall_at = [1]
    assert "val_R@5,IoU=0.7" not in preflight.validation_metrics(config)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"dataset": "tacoss"}, r"--dataset='tacoss' is not a known TFDS dataset \(the built-in ones"),
        ({"dataset": "tacos"}, r"--dataset=tacos is not built in .* yet and needs --manual_dir="),
        ({"dataset": "tacos", "manual_dir": "/no/such/folder"}, r"--manual_dir=/no/such/folder: no such folder"),
    ],
)
def test_the_dataset_is_checked_first(tmp_path, change, message):
    config = _config(tmp_path)
    for name, value in change.items():
        setattr(config.data, name, value)
    with pytest.raises(SetupError, match=message):
        check_training(config)


def test_the_text_preset_is_checked_first(tmp_path):
    config = _config(tmp_path)
    config.model.text_preset = str(tmp_path / "missing")
    with pytest.raises(SetupError, match="no such folder"):
        check_training(config)
    (tmp_path / "empty").mkdir()
    config.model.text_preset = str(tmp_path / "empty")
    with pytest.raises(SetupError, match="has no config.json"):
        check_training(config)
    config.model.text_preset = "bert_base_en_uncasedd"
    with pytest.raises(SetupError, match="neither a folder nor a keras-hub BERT preset"):
        check_training(config)


def test_strategy_and_tf_config(tmp_path, monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(SetupError, match="--strategy='ring': expected one of auto, mirrored, multi_worker"):
        check_training(_config(tmp_path, strategy="ring"))
    with pytest.raises(SetupError, match="needs TF_CONFIG, one per worker"):
        check_training(_config(tmp_path, strategy="multi_worker", steps_per_epoch=3))
    cluster = {"worker": ["localhost:1", "localhost:2"]}
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": cluster, "task": {"type": "worker", "index": 1}}))
    with pytest.raises(SetupError, match="needs --steps_per_epoch > 0"):
        check_training(_config(tmp_path, strategy="multi_worker"))
    worker = worker_info("multi_worker")
    assert (worker.index, worker.num_workers, worker.is_chief) == (1, 2, False)
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": {"chief": ["h:1"], **cluster}, "task": {"type": "chief"}}))
    assert worker_info("multi_worker").is_chief and worker_info("multi_worker").num_workers == 3
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": cluster, "task": {"type": "worker", "index": 2}}))
    with pytest.raises(SetupError, match="task worker 2 is not in the cluster"):
        check_training(_config(tmp_path, strategy="multi_worker", steps_per_epoch=3))
    assert worker_info("auto").is_chief  # TF_CONFIG is read for multi_worker only


def test_a_restart_must_keep_the_model_and_data_flags(tmp_path):
    config = _config(tmp_path)
    run = RunDir(config.train.run_dir).make()
    assert check_resume(config, run) is None  # a new folder
    save_config(run, config)

    same = Config.from_dict(config.to_dict())
    for name, value in {"epochs": 7, "early_stopping_patience": 2, "backup_every_steps": 5, "export": False,
                        "export_text_endpoints": False, "strategy": "mirrored", "deterministic": True}.items():
        setattr(same.train, name, value)
    same.data.data_dir, same.data.test_split = "/elsewhere", "test[:10]"
    assert check_resume(same, run).to_dict() == config.to_dict()

    other = Config.from_dict(config.to_dict())
    other.model.hidden_dim, other.data.batch_size, other.train.monitor = 64, 8, "val_mIoU"
    assert flag_differences(config, other) == [
        "--batch_size=8 (the run has 16)",
        f"--hidden_dim=64 (the run has {config.model.hidden_dim})",
        "--monitor=val_mIoU (the run has val_R@1,IoU=0.5)",
    ]
    with pytest.raises(SetupError, match=r"holds a run with other settings: --batch_size=8 .*; restart it with "
                                         r"its own flags \(--flagfile=.*flags.txt\) or use a new --run_dir"):
        check_resume(other, run)


def test_train_py_reports_a_flag_error_in_one_line_and_writes_nothing(training_inputs, tmp_path):
    data_dir, preset = training_inputs
    run_dir = tmp_path / "run"
    done = subprocess.run(
        train_command(data_dir, preset, run_dir, "--monitor=val_R@1,IoU=0.55"),
        cwd=REPO, env=environment(), capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 2
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert lines[-1].startswith("train.py: error: --monitor='val_R@1,IoU=0.55' is not a metric validation reports")
    assert "Traceback" not in done.stderr
    assert not run_dir.exists()


def test_config_and_results_get_the_usual_permissions(tmp_path):
    from clear_tf.run_dir import write_json_atomic, write_text_atomic

    umask = os.umask(0o022)
    try:
        write_json_atomic(str(tmp_path / "results.json"), {"a": 1})
        write_text_atomic(str(tmp_path / "flags.txt"), "--a\n")
    finally:
        os.umask(umask)
    for name in ("results.json", "flags.txt"):
        assert oct(os.stat(tmp_path / name).st_mode & 0o777) == oct(0o644), name
    assert sorted(os.listdir(tmp_path)) == ["flags.txt", "results.json"]  # no temporary left


@pytest.fixture(autouse=True)
def _no_tf_config(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    yield

