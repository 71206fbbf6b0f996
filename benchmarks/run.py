"""clear-tf benchmarks: inference per query, coarse-to-fine saving, training throughput,
input pipeline vs step, scaling, headroom, and R_A against the paper.

    python benchmarks/run.py --quick                  # every section, small, < 5 min on 2 cores
    python benchmarks/run.py                          # full sizes → benchmarks/results/latest.md
    python benchmarks/run.py --sections=1,6 --output=/tmp/bench.md
    python benchmarks/run.py --run_dir=runs/demo      # section 2 reads this trained run

Sections (``--sections``, comma-separated numbers):

1. R_A with the video encoded once for its M queries vs once per query (TACoS- and
   ActivityNet-shaped; target: >= 5× on TACoS).
2. Coarse-to-fine saving on a trained run (default ``runs/demo`` from ``make demo``):
   R@1,IoU=0.5, share of candidates scored and fine-stage time of CLEAR-F, the paper
   tree and the binary tree (targets: binary <= 25% scored, within 1 point of CLEAR-F).
   Without a trained run the section says so and is skipped (also in ``--quick``, which
   evaluates the first 40 test videos only).
3. Training pairs/s per mode: eager, tf.function, XLA, mixed precision (GPU only).
4. Input-pipeline batches/s over training steps/s at the same shapes (target >= 3).
5. R_A and peak memory against L and queries per video (table + ``scale.png``).
6. Fine-head FLOP/s over a large float32 matmul's FLOP/s.
7. TACoS-shaped R_A next to the paper's 17.5 ms/query.

``--quick`` shrinks what is costly, and the tables say so: sections 3 and 4 measure the
TACoS-shaped model alone at reduced B, N and L, section 2 evaluates the first 40 test
videos, section 5 runs three points (L = 32, 64 at M = 25; M = 1 at L = 32), section 6
uses fewer queries and a smaller matmul, and timings use fewer repeats. The inference
shapes of sections 1 and 7 stay real. The full run takes tens of minutes on 2 busy cores
(sections 3 and 5 dominate); it rewrites the report after every section.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
BENCHMARKS_DIR = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(BENCHMARKS_DIR))
sys.path.insert(0, BENCHMARKS_DIR)

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

import bench_inference  # noqa: E402
import bench_training  # noqa: E402
from bench_utils import environment_line, parse_sections  # noqa: E402

ALL_SECTIONS = (1, 2, 3, 4, 5, 6, 7)
RESULTS_DIR = os.path.join(BENCHMARKS_DIR, "results")


def run_sections(sections: list[int], quick: bool, run_dir: str, output: str):
    """Runs ``sections`` in order, yielding each ``Section`` result as it is done."""
    repeats = 2 if quick else 5
    train_steps, train_warmup = 2, 1
    # A quick run must not overwrite the full run's plot.
    plot_name = "scale_quick.png" if quick else "scale.png"
    plot_path = os.path.join(os.path.dirname(os.path.abspath(output)), plot_name)
    inference_measured, step_rates = None, {}
    for number in sections:
        started = time.perf_counter()
        if number == 1:
            section, inference_measured = bench_inference.section_shared_encoding(repeats)
        elif number == 2:
            section = bench_inference.section_coarse_to_fine(
                run_dir, max_videos=5 if quick else 50, repeats=repeats,
                max_eval_videos=40 if quick else None,
            )
        elif number == 3:
            section, step_rates = bench_training.section_training_throughput(quick, train_steps, train_warmup)
        elif number == 4:
            section = bench_training.section_pipeline_vs_step(quick, step_rates, train_steps, train_warmup)
        elif number == 5:
            if quick:  # Three fresh processes: (32, 25) is on both axes.
                section = bench_inference.section_scale((32, 64), (1, 25), 32, 1, plot_path)
            else:
                section = bench_inference.section_scale(
                    (32, 64, 128, 256), (1, 5, 25, 100), 128, repeats, plot_path
                )
        elif number == 6:
            section = bench_inference.section_headroom(
                num_queries=5 if quick else 25, matmul_size=2048 if quick else 4096, repeats=repeats
            )
        else:
            section = bench_inference.section_paper_comparison(inference_measured, repeats)
        print(f"\n## {section.title}  ({time.perf_counter() - started:.0f} s)\n\n{section.body}\n", flush=True)
        yield section


def render(results: list, quick: bool) -> str:
    """The Markdown report: every section's table under an environment line."""
    versions = {"TensorFlow": tf.__version__, "Keras": keras.__version__}
    environment = environment_line(versions)
    lines = ["# clear-tf benchmarks" + (" (--quick: reduced sizes)" if quick else ""), ""]
    for section in results:
        lines += [f"## {section.title}", "", environment, "", section.body, ""]
    lines += ["## Summary", ""] + [f"* {line}" for section in results for line in section.summary]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, fewer repeats (< 5 min on 2 cores)")
    parser.add_argument("--sections", default=",".join(map(str, ALL_SECTIONS)),
                        help="comma-separated section numbers (default: all)")
    parser.add_argument("--run_dir", default="runs/demo", help="trained run for section 2 (make demo)")
    parser.add_argument("--output", default=None,
                        help="Markdown report, scale.png next to it (default: benchmarks/results/"
                        "latest.md, or quick.md and scale_quick.png with --quick)")
    args = parser.parse_args(argv)
    try:
        sections = parse_sections(args.sections, ALL_SECTIONS)
    except ValueError as error:
        parser.error(str(error))

    output = args.output or os.path.join(RESULTS_DIR, "quick.md" if args.quick else "latest.md")
    started = time.perf_counter()
    os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
    results = []
    # The report is rewritten after every section, so a long run that is stopped keeps
    # the sections it finished.
    for section in run_sections(sections, args.quick, args.run_dir, output):
        results.append(section)
        with open(output, "w") as f:
            f.write(render(results, args.quick))
    print(f"\n## Summary ({time.perf_counter() - started:.0f} s in all; report: {output})\n")
    for section in results:
        for line in section.summary:
            print(f"* {line}")


if __name__ == "__main__":
    main()
