"""The layout of a run folder, shared by training, evaluation, export and the demo."""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile

from clear_tf.config import Config


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

    def eval_file(self, variant: str) -> str:
        """Summary of one evaluated variant (``EvalResult.variant``, e.g. ``clear_binary``)."""
        return os.path.join(self.root, f"eval_{variant}.json")

    def predictions_file(self, variant: str) -> str:
        return os.path.join(self.root, f"predictions_{variant}.jsonl")

    def make(self) -> "RunDir":
        os.makedirs(os.path.join(self.root, "checkpoints"), exist_ok=True)
        return self


def write_json_atomic(path: str, payload) -> None:
    """Writes JSON through a temporary file so readers never see a half-written file."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
    with os.fdopen(handle, "w") as f:
        json.dump(payload, f, indent=2, sort_keys=True)
        f.write("\n")
    os.replace(tmp, path)


def save_config(run: RunDir, config: Config, flags_text: str | None = None) -> None:
    """Writes the resolved config (and, from the entry points, the flags) into the run."""
    write_json_atomic(run.config, config.to_dict())
    if flags_text is not None:
        with open(run.flags, "w") as f:
            f.write(flags_text)


def load_config(run: RunDir) -> Config:
    if not os.path.isfile(run.config):
        raise FileNotFoundError(f"{run.config} not found: is {run.root!r} a clear-tf run folder?")
    with open(run.config) as f:
        return Config.from_dict(json.load(f))
