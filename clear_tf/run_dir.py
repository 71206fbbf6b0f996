"""The layout of a run folder, shared by training, evaluation, export and the demo."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import uuid

from clear_tf.config import Config

# Test hook: ``CLEAR_TF_CRASH_AT=<point>[:<n>]`` makes the process SIGKILL itself the
# n-th time (default: the first) it reaches ``crash_point(<point>)``. See ``crash_point``.
CRASH_ENV = "CLEAR_TF_CRASH_AT"
CRASH_POINTS = (
    "train_step",
    "backup_write",
    "last_checkpoint_write",
    "best_checkpoint_write",
    "test_evaluation",
    "export_write",
)
_crash_counts: dict[str, int] = {}


@dataclasses.dataclass(frozen=True)
class RunDir:
    """Paths inside ``--run_dir``.

    Example:

    >>> run = RunDir("runs/demo")
    >>> run.best_model
    'runs/demo/checkpoints/best.keras'
    """

    root: str

    @property
    def config(self) -> str:
        return os.path.join(self.root, "config.json")

    @property
    def flags(self) -> str:
        return os.path.join(self.root, "flags.txt")

    @property
    def backup(self) -> str:
        return os.path.join(self.root, "backup")

    @property
    def best_model(self) -> str:
        return os.path.join(self.root, "checkpoints", "best.keras")

    @property
    def last_model(self) -> str:
        return os.path.join(self.root, "checkpoints", "last.keras")

    @property
    def logs(self) -> str:
        return os.path.join(self.root, "logs")

    @property
    def results(self) -> str:
        return os.path.join(self.root, "results.json")

    @property
    def export(self) -> str:
        return os.path.join(self.root, "export")

    @property
    def history(self) -> str:
        return os.path.join(self.root, "history.csv")

    @property
    def progress(self) -> str:
        """``progress.json``: the stage a training run is at (``fit``, ``test``, ``export``, ``done``)."""
        return os.path.join(self.root, "progress.json")

    def worker_temp(self, task_index: int) -> str:
        """Where a non-chief worker of a multi-worker run writes (and deletes) its copies."""
        return os.path.join(self.root, f".worker-{task_index}")

    def eval_file(self, variant: str) -> str:
        """Summary of one evaluated variant (``EvalResult.variant``, e.g. ``clear_binary``)."""
        return os.path.join(self.root, f"eval_{variant}.json")

    def predictions_file(self, variant: str) -> str:
        return os.path.join(self.root, f"predictions_{variant}.jsonl")

    def make(self) -> "RunDir":
        os.makedirs(os.path.join(self.root, "checkpoints"), exist_ok=True)
        return self


def temporary_path(path: str) -> str:
    """A sibling name for writing ``path`` before renaming it into place (same folder, so
    the rename is atomic); it keeps the extension, which some writers (Keras) check."""
    folder, name = os.path.split(os.path.abspath(path))
    stem, extension = os.path.splitext(name)
    if stem.endswith(".weights"):  # Keras wants *.weights.h5
        stem, extension = stem[: -len(".weights")], ".weights" + extension
    return os.path.join(folder, f".{stem}.partial-{os.getpid()}-{uuid.uuid4().hex[:8]}{extension}")


def write_text_atomic(path: str, text: str) -> None:
    """Writes ``text`` through a temporary file so readers never see a half-written file.

    The file gets the usual permissions (0666 less the umask), as ``open`` gives.
    """
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    tmp = temporary_path(path)
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def write_json_atomic(path: str, payload) -> None:
    """Writes JSON through a temporary file so readers never see a half-written file."""
    write_text_atomic(path, json.dumps(payload, indent=2, sort_keys=True) + "\n")


def read_json(path: str, default=None):
    """The JSON in ``path``, or ``default`` when there is no such file."""
    if not os.path.isfile(path):
        return default
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def save_config(run: RunDir, config: Config, flags_text: str | None = None) -> None:
    """Writes the resolved config (and, from the entry points, the flags) into the run."""
    write_json_atomic(run.config, config.to_dict())
    if flags_text is not None:
        write_text_atomic(run.flags, flags_text)


def crash_point(name: str) -> None:
    """Test hook: SIGKILLs this process at a named point when ``CLEAR_TF_CRASH_AT`` asks.

    ``CLEAR_TF_CRASH_AT=best_checkpoint_write`` kills the process the first time it
    reaches that point; ``best_checkpoint_write:2`` the second time. The points are
    ``CRASH_POINTS``: ``train_step`` (as a training step begins), ``backup_write``,
    ``last_checkpoint_write``, ``best_checkpoint_write`` and ``export_write`` (the new
    files are written under their temporary names, not yet renamed into place) and
    ``test_evaluation`` (the test split is evaluated, results.json not yet written).
    A kill -9 at that moment leaves the run folder exactly as this does, so the crash
    tests restart the same command and compare with an uninterrupted run.
    """
    spec = os.environ.get(CRASH_ENV, "")
    if not spec:
        return
    point, _, count = spec.partition(":")
    if point not in CRASH_POINTS:
        raise ValueError(f"{CRASH_ENV}={spec!r}: expected one of {', '.join(CRASH_POINTS)}[:n]")
    if point != name:
        return
    _crash_counts[name] = _crash_counts.get(name, 0) + 1
    if _crash_counts[name] == int(count or 1):
        import sys

        sys.stdout.flush()
        sys.stderr.flush()
        os.kill(os.getpid(), signal.SIGKILL)


def load_config(run: RunDir) -> Config:
    if not os.path.isfile(run.config):
        raise FileNotFoundError(f"{run.config} not found: is {run.root!r} a clear-tf run folder?")
    with open(run.config) as f:
        return Config.from_dict(json.load(f))
