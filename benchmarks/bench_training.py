"""Training benchmark sections: step throughput per execution mode, and the input
pipeline's rate against the step rate at the same shapes.

A step is ``model.train_on_batch`` on one random batch of the real layout (B videos,
K = 1 query each, the paper's pair batching), compiled as ``clear_tf.training`` does
(Adam, the losses of ``build_losses``: Ψ = Γ₁ + αΓ₂ plus the coarse-map term when the
flagfile weights it) with ``run_eagerly`` / ``jit_compile`` set per mode.
"""

from __future__ import annotations

import dataclasses
import gc
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO_ROOT)

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import pipeline_throughput  # noqa: E402
from bench_inference import ACTIVITYNET_FLAGS, TACOS_FLAGS, WORDS, Section  # noqa: E402
from bench_utils import markdown_table, ratio_line, time_call  # noqa: E402
from clear_tf.data.query_tokenizer import QueryTokenizer  # noqa: E402
from clear_tf.data.targets import moment_iou_map  # noqa: E402
from clear_tf.flagfile import config_from_flagfile  # noqa: E402
from clear_tf.models import build_model, model_class  # noqa: E402

MODES = ("eager", "tf.function", "XLA", "mixed precision")


@dataclasses.dataclass
class TrainShape:
    """A training shape: the dataset's flagfile, D, and config overrides (quick runs)."""

    name: str
    flagfile: str
    feature_dim: int
    overrides: dict

    def config(self):
        return config_from_flagfile(self.flagfile, queries_per_video=1, **self.overrides)

    def describe(self) -> str:
        config = self.config()
        data = config.data
        return (f"{self.name}{' (reduced)' if self.overrides else ''}: B × K = {data.batch_size} × 1, "
                f"D / N / L = {self.feature_dim} / {data.num_pre_clips} / {data.num_clips}, "
                f"TCN {','.join(map(str, config.model.tcn_channels))}, d = {config.model.hidden_dim}")


def train_shapes(quick: bool) -> tuple[TrainShape, ...]:
    """The paper's batch sizes (TACoS 16, ActivityNet 32).

    Quick runs measure the TACoS-shaped model alone, with B, N and L shrunk: building,
    tracing and compiling the model three times per shape is most of their time.
    """
    if quick:
        return (TrainShape("TACoS-shaped", TACOS_FLAGS, 4096,
                           {"batch_size": 2, "num_pre_clips": 64, "num_clips": 32}),)
    return (
        TrainShape("TACoS-shaped", TACOS_FLAGS, 4096, {}),
        TrainShape("ActivityNet-shaped", ACTIVITYNET_FLAGS, 500, {}),
    )


def random_batch(config, feature_dim: int, seed: int = 0) -> tuple[dict, dict, dict]:
    """``(x, y, sample_weight)`` of ``split_for_keras`` for B random videos × 1 query."""
    rng = np.random.default_rng(seed)
    data = config.data
    batch = data.batch_size
    sentences = [" ".join(rng.choice(WORDS, size=int(rng.integers(5, 15)))) for _ in range(batch)]
    token_ids, padding_mask = QueryTokenizer(config.model.text_preset, data.max_query_tokens)(
        tf.constant(sentences)
    )
    x = {
        "features": tf.constant(rng.standard_normal((batch, data.num_pre_clips, feature_dim)), tf.float32),
        "token_ids": token_ids[:, tf.newaxis],
        "padding_mask": tf.cast(padding_mask, tf.int32)[:, tf.newaxis],
    }
    duration = tf.constant(rng.uniform(30.0, 300.0, size=batch), tf.float32)
    starts = rng.uniform(0.0, 0.7, size=(batch, 1))
    times = tf.constant(np.stack([starts, starts + 0.2], axis=-1), tf.float32) * duration[:, None, None]
    targets = {
        "times": times,
        "duration": duration,
        "query_mask": tf.ones([batch, 1], tf.float32),
        "iou_map": moment_iou_map(times, duration[:, None], data.num_clips),
    }
    y = model_class(config.model_name).training_targets(targets, config)
    return x, y, {name: targets["query_mask"] for name in y}


def seconds_per_step(shape: TrainShape, mode: str, steps: int, warmup: int) -> float:
    """Median seconds of one training step in ``mode`` (see ``MODES``)."""
    config = shape.config()
    if mode == "mixed precision":
        keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        model = build_model(config, shape.feature_dim)
        loss, loss_weights = model.build_losses(config)
        model.compile(
            optimizer=keras.optimizers.Adam(learning_rate=config.train.learning_rate),
            loss=loss,
            loss_weights=loss_weights,
            run_eagerly=mode == "eager",
            jit_compile=mode == "XLA",
        )
        x, y, sample_weight = random_batch(config, shape.feature_dim)
        # train_on_batch returns the losses as NumPy values, so each call blocks.
        timing = time_call(lambda: model.train_on_batch(x, y, sample_weight=sample_weight),
                           repeats=steps, warmup=warmup)
    finally:
        keras.mixed_precision.set_global_policy("float32")
        keras.backend.clear_session()
        gc.collect()
    return timing.median


def section_training_throughput(quick: bool, steps: int, warmup: int) -> tuple[Section, dict]:
    """Section 3; also returns the tf.function steps/s per shape name for section 4."""
    has_gpu = bool(tf.config.list_physical_devices("GPU"))
    rows, summary, step_rates, notes = [], [], {}, []
    for shape in train_shapes(quick):
        config = shape.config()
        rates = {}
        for mode in MODES:
            if mode == "mixed precision" and not has_gpu:
                rows.append([shape.describe(), mode, "", "", "skipped: no GPU (float16 on CPU is emulated)"])
                continue
            try:
                seconds = seconds_per_step(shape, mode, steps, warmup)
            except Exception as error:  # noqa: BLE001  (a mode XLA cannot compile is a result)
                rows.append([shape.describe(), mode, "", "", f"failed: {type(error).__name__}: "
                             f"{str(error).splitlines()[0][:120]}"])
                continue
            rates[mode] = config.data.batch_size / seconds
            # Full-size steps take minutes on a small CPU: show progress as it comes.
            print(f"[3] {shape.name}, {mode}: {seconds:.2f} s/step", flush=True)
            rows.append([shape.describe(), mode, f"{seconds:.2f}", f"{rates[mode]:.1f}", ""])
        if "tf.function" in rates:
            step_rates[shape.name] = rates["tf.function"] / config.data.batch_size
            for faster in ("XLA", "mixed precision"):
                if faster in rates:
                    summary.append(ratio_line(f"[3] {shape.name} {faster} / tf.function pairs/s",
                                              rates[faster] / rates["tf.function"]))
            if "eager" in rates:
                summary.append(ratio_line(f"[3] {shape.name} tf.function / eager pairs/s",
                                          rates["tf.function"] / rates["eager"]))
    if quick:
        notes.append("Quick run: the TACoS-shaped model only, with B, N and L shrunk (as labelled), "
                     "not the paper's shapes.")
    body = markdown_table(["shape", "mode", "s/step (median)", "pairs/s (= queries/s)", "note"], rows)
    body += (
        f"\n\n{steps} timed `train_on_batch` steps per mode after {warmup} warm-up step(s) "
        "(tracing / XLA compilation excluded), median; one random batch of the real layout, "
        "K = 1 so pairs/s = B / (s/step). Models from the flagfiles with random weights, "
        "frozen BERT. " + " ".join(notes)
    )
    return Section("3. Training throughput by execution mode", body, summary), step_rates


def pipeline_batches_per_second(shape: TrainShape, num_videos: int, epochs: int) -> float:
    """Cached-epoch batches/s of ``build_dataset`` at ``shape``'s layout (K = 1)."""
    config = shape.config()
    scenarios = {scenario.name: scenario for scenario in pipeline_throughput.SCENARIOS}
    scenario = dataclasses.replace(
        scenarios[shape.name],
        num_pre_clips=config.data.num_pre_clips,
        num_clips=config.data.num_clips,
        tree_depth=config.model.tree_depth,
        queries_per_video=1,
        batch_size=config.data.batch_size,
        num_videos=num_videos,
    )
    return pipeline_throughput.run(scenario, num_videos, epochs)["cached"]


def section_pipeline_vs_step(quick: bool, step_rates: dict, steps: int, warmup: int) -> Section:
    """Section 4: pipeline batches/s over training steps/s at the same shapes (target >= 3)."""
    rows, summary = [], []
    for shape in train_shapes(quick):
        if shape.name not in step_rates:
            step_rates[shape.name] = 1.0 / seconds_per_step(shape, "tf.function", steps, warmup)
        num_videos = 10 if quick else 40 if shape.name.startswith("TACoS") else 200
        pipeline_rate = pipeline_batches_per_second(shape, num_videos, epochs=1 if quick else 2)
        ratio = pipeline_rate / step_rates[shape.name]
        rows.append([shape.describe(), f"{pipeline_rate:.2f}", f"{step_rates[shape.name]:.3f}", f"{ratio:.1f}"])
        summary.append(ratio_line(f"[4] {shape.name} pipeline / training step rate", ratio, 3.0))
    body = markdown_table(
        ["shape", "pipeline (batches/s, cached epochs)", "training (steps/s, tf.function)", "ratio"], rows
    )
    body += (
        "\n\nPipeline: `benchmarks/pipeline_throughput.py`'s synthetic videos through "
        "`clear_tf.data.build_dataset` (training mode) at the same B, K = 1, N and L, no "
        "model; batches/s of the epochs after the cache is filled. Steps: section 3's "
        "tf.function rate. Both compete for the same cores here; in training tf.data runs "
        "concurrently with the step."
    )
    return Section("4. Input pipeline vs training step", body, summary)
