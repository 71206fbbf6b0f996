"""Helpers shared by the benchmark sections: timing, FLOP counts, Markdown, environment.

Pure Python (plus ``resource``) so that ``tests/test_benchmarks.py`` checks them without
TensorFlow.
"""

from __future__ import annotations

import dataclasses
import datetime
import os
import platform
import resource
import statistics
import sys
import time
from typing import Callable, Sequence


@dataclasses.dataclass
class Timing:
    """Wall times of the repeats of one call (warm-up calls excluded).

    Attributes:
        seconds: every timed repeat, in order.
    """

    seconds: list

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def spread(self) -> float:
        """(max − min) / median: how noisy the repeats were (0 for a single repeat)."""
        return (max(self.seconds) - min(self.seconds)) / self.median if self.median else 0.0


def time_call(function: Callable[[], object], repeats: int = 3, warmup: int = 1) -> Timing:
    """Calls ``function`` ``warmup`` times untimed, then times ``repeats`` calls.

    ``function`` must block until its work is done (e.g. end in ``.numpy()``), or the
    time measures only the dispatch.
    """
    if repeats < 1:
        raise ValueError(f"repeats must be >= 1, got {repeats}")
    if warmup < 0:
        raise ValueError(f"warmup must be >= 0, got {warmup}")
    for _ in range(warmup):
        function()
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        seconds.append(time.perf_counter() - started)
    return Timing(seconds)


def mlp_head_flops(num_cells: int, hidden_dim: int, num_layers: int) -> int:
    """FLOPs (multiply-add = 2) of the pointwise MLP fine head on ``num_cells`` cells.

    ``num_layers - 1`` Dense d → d layers and a Dense d → 1 logit, as
    ``clear_tf.models.clear.mlp_fine_head.MLPFineHead`` (biases and ReLU left out, as in
    ``clear_tf.model_stats``).
    """
    per_cell = (num_layers - 1) * hidden_dim * hidden_dim * 2 + hidden_dim * 2
    return num_cells * per_cell


def matmul_flops(rows: int, inner: int, columns: int) -> int:
    """FLOPs of a [rows, inner] × [inner, columns] matrix product (multiply-add = 2)."""
    return 2 * rows * inner * columns


def ratio_line(name: str, value: float, target: float | None = None, unit: str = "×") -> str:
    """One summary line: ``name: value`` and, with a target, whether it is met (>= target)."""
    line = f"{name}: {value:.2f}{unit}"
    if target is not None:
        line += f" (target >= {target:g}{unit}: {'met' if value >= target else 'NOT met'})"
    return line


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table; floats get 3 significant decimals unless already formatted."""
    for row in rows:
        if len(row) != len(header):
            raise ValueError(f"row {list(row)} has {len(row)} cells, the header {len(header)}")
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    for row in rows:
        lines.append("| " + " | ".join(_cell(value) for value in row) + " |")
    return "\n".join(lines)


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"
    return str(value)


def parse_sections(text: str, allowed: Sequence[int]) -> list[int]:
    """``"3,1"`` → [1, 3]; raises ``ValueError`` naming a section not in ``allowed``."""
    sections = set()
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit() or int(part) not in allowed:
            raise ValueError(f"--sections: unknown section {part!r}; expected numbers in {tuple(allowed)}")
        sections.add(int(part))
    if not sections:
        raise ValueError("--sections: no section given")
    return sorted(sections)


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (``platform.processor()`` elsewhere)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _repo_relative(argument: str) -> str:
    """``argument`` with paths inside this checkout written relative to it (reports travel)."""
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
    return argument.replace(repo, "")


def environment_line(versions: dict) -> str:
    """Machine, CPU model, cores, load, library versions, command and UTC date, one line."""
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    libraries = ", ".join(f"{name} {version}" for name, version in versions.items())
    command = " ".join(["python"] + [_repo_relative(arg) for arg in sys.argv])
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"_{platform.node()} ({platform.machine()}), {cpu_model()}, {os.cpu_count()} cores, "
        f"load average {load:.1f}; {libraries}; `{command}`; {date}_"
    )


def peak_rss_mib() -> float:
    """This process's peak resident memory so far, MiB.

    Linux: ``VmHWM`` of /proc/self/status, the high-water mark of this process's own
    address space. ``ru_maxrss`` is not used there: it survives ``exec``, so a child
    started from a large parent reports the parent's peak. Elsewhere ``ru_maxrss``
    (KiB on Linux and the BSDs, bytes on macOS).
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0  # "VmHWM:  123456 kB"
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024.0


def write_training_probe_report(
    path: str, title: str, versions: dict, config, probe: str, sections: Sequence[str]
) -> str:
    """Writes (and prints) the report of a script that probes a training's first steps.

    Args:
        path: the Markdown file written (its folder is made).
        title: the report's heading.
        versions: library versions for ``environment_line``.
        config: the run's ``clear_tf.config.Config`` (dataset, L, the batch layout).
        probe: what was probed and when, ending the description line.
        sections: the report's sections (Markdown), in order.

    Returns:
        The report's text.
    """
    report = (
        f"## {title}\n\n{environment_line(versions)}. {config.data.dataset}, L = {config.data.num_clips}, "
        f"{config.data.batch_size} videos × {config.data.queries_per_video} queries per step; {probe}\n\n"
        + "\n\n".join(sections) + "\n"
    )
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(report)
    print(report)
    return report
