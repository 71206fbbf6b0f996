"""--strategy=multi_worker with two worker processes on this machine (one CPU each).

Each worker gets its own TF_CONFIG naming two free localhost ports. A 2-worker step on
one global batch must give the weights of a 1-worker step on it; a 2-worker run whose
second worker is killed, restarted as a whole, must resume from its backup.
"""

import csv
import json
import os
import signal
import socket
import subprocess
import sys

import numpy as np
import pytest

from training_runs import REPO, environment, start, train_command

pytestmark = pytest.mark.slow
STEP_SCRIPT = os.path.join(os.path.dirname(__file__), "multi_worker_step.py")


def _tf_configs(num_workers: int = 2) -> list[str]:
    sockets = [socket.socket() for _ in range(num_workers)]
    for handle in sockets:
        handle.bind(("localhost", 0))
    ports = [handle.getsockname()[1] for handle in sockets]
    for handle in sockets:
        handle.close()
    cluster = {"worker": [f"localhost:{port}" for port in ports]}
    return [json.dumps({"cluster": cluster, "task": {"type": "worker", "index": i}}) for i in range(num_workers)]


def _pinned(command: list, cpu: int) -> list:
    """One CPU per worker where ``taskset`` exists."""
    if os.path.exists("/usr/bin/taskset") and os.cpu_count() and os.cpu_count() > 1:
        return ["taskset", "-c", str(cpu % os.cpu_count()), *command]
    return command


def _workers(command: list, crash_second_at: str | None = None) -> list[subprocess.Popen]:
    return [
        start(_pinned(command, index), TF_CONFIG=tf_config,
              CLEAR_TF_CRASH_AT=crash_second_at if index == 1 else None)
        for index, tf_config in enumerate(_tf_configs())
    ]


def _finish(processes, timeout=600) -> list[tuple[int, str]]:
    finished = []
    for process in processes:
        output, _ = process.communicate(timeout=timeout)
        finished.append((process.returncode, output))
    return finished


def test_a_two_worker_step_equals_a_one_worker_step(training_inputs, tmp_path):
    data_dir, preset = training_inputs
    single, double = str(tmp_path / "one.npz"), str(tmp_path / "two.npz")
    done = subprocess.run(
        [sys.executable, STEP_SCRIPT, single, data_dir, preset], cwd=REPO, env=environment(),
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    command = [sys.executable, STEP_SCRIPT, double, data_dir, preset, "multi_worker"]
    for returncode, output in _finish(_workers(command), timeout=300):
        assert returncode == 0, output[-3000:]

    one, two = np.load(single), np.load(double)
    assert (int(one["replicas"]), int(two["replicas"])) == (1, 2)
    count = len([key for key in one if key.startswith("after_")])
    assert count > 0
    for index in range(count):
        np.testing.assert_array_equal(one[f"before_{index}"], two[f"before_{index}"])
        step = np.abs(one[f"after_{index}"] - one[f"before_{index}"]).max()
        assert step > 0, f"variable {index} did not move"
        np.testing.assert_allclose(two[f"after_{index}"], one[f"after_{index}"], rtol=1e-5, atol=1e-5 * max(1.0, step))


def test_killing_a_worker_then_restarting_both_resumes(training_inputs, tmp_path):
    data_dir, preset = training_inputs
    run_dir = tmp_path / "run"
    command = train_command(data_dir, preset, run_dir, "--strategy=multi_worker", "--noexport")

    # Worker 1 dies as step 2 of epoch 1 begins (the backup holds the end of epoch 0).
    # The chief would stop once the lost heartbeats are noticed; a cluster manager
    # restarting the job kills it at once, as here.
    chief, second = _workers(command, crash_second_at="train_step:5")
    output, _ = second.communicate(timeout=600)
    assert second.returncode == -signal.SIGKILL, output[-3000:]
    if chief.poll() is None:
        chief.kill()
    chief.communicate(timeout=60)
    assert (run_dir / "backup" / "current" / "state.json").exists()

    finished = _finish(_workers(command))
    for returncode, output in finished:
        assert returncode == 0, output[-3000:]
        assert "Resuming" in output and "at epoch 2, step 0" in output
    with open(run_dir / "history.csv") as f:
        assert [row["epoch"] for row in csv.DictReader(f)] == ["0", "1"]
    results = json.loads((run_dir / "results.json").read_text())
    assert results["epochs_run"] == 2 and results["num_queries"] > 0
    # Only the chief wrote: no worker folder, no backup left.
    assert sorted(p.name for p in run_dir.iterdir() if p.name.startswith(".")) == []
    assert not (run_dir / "backup").exists()
