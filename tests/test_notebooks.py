"""The Colab notebooks: valid and stripped, code that parses, command lines that use real
flags (README.md's too), and the quickstart executed top to bottom in quick mode."""

import ast
import importlib.util
import json
import os
import pathlib
import re
import shlex
import sys

import nbformat
import pytest

from clear_tf import config as config_lib

REPO = pathlib.Path(__file__).resolve().parents[1]
COLAB = REPO / "colab"
NOTEBOOKS = sorted(COLAB.glob("*.ipynb"))
NOTEBOOK_IDS = [path.name for path in NOTEBOOKS]

# absl's own flags that the commands may use.
ABSL_FLAGS = {"flagfile", "help", "helpfull", "helpshort"}
# `tfds build`'s flags that the commands use (the TFDS command line takes ~10 s to start).
TFDS_BUILD_FLAGS = {"manual_dir", "data_dir", "config"}
# Programs outside the project whose flags are not checked.
EXTERNAL_PROGRAMS = {"pip", "pip3", "git", "nvidia-smi", "cd", "ls", "cat", "cp", "mkdir", "rm", "[", "make"}
COMMAND_SEPARATORS = {"&&", "||", ";", "|", "&"}


def _defined_names(script: pathlib.Path, call_name: str) -> dict[str, bool]:
    """The flags a script defines, read from its ``<call_name>(...)`` calls: name → is boolean.

    ``call_name`` is ``DEFINE_`` for absl (``flags.DEFINE_string("name", ...)``) or
    ``add_argument`` for argparse (``parser.add_argument("--name", ...)``).
    """
    names = {}
    for node in ast.walk(ast.parse(script.read_text())):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if not node.func.attr.startswith(call_name) or not node.args:
            continue
        first = node.args[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            names[first.value.lstrip("-")] = node.func.attr == "DEFINE_boolean"
    return names


def _absl_flags(extra: dict[str, bool]) -> set[str]:
    """Config flags plus ``extra``, with the ``--no<name>`` form of every boolean."""
    defaults = {name: isinstance(flag.default, bool) for name, flag in config_lib.flag_fields().items()}
    defaults["model"] = False
    defaults.update(extra)
    negated = {f"no{name}" for name, boolean in defaults.items() if boolean}
    return set(defaults) | negated | ABSL_FLAGS


TRAIN_FLAGS = _absl_flags(_defined_names(REPO / "train.py", "DEFINE_"))
EVALUATE_FLAGS = _absl_flags(_defined_names(REPO / "evaluate.py", "DEFINE_"))
LOCALIZE_FLAGS = set(_defined_names(REPO / "clear_tf" / "localize.py", "add_argument"))
EXTRACT_FLAGS = set(_defined_names(REPO / "clear_tf" / "extract_features.py", "add_argument"))
BENCHMARKS = REPO / "benchmarks" / "run.py"
PROGRAM_FLAGS = {
    "train.py": TRAIN_FLAGS,
    "evaluate.py": EVALUATE_FLAGS,
    "clear_tf.demo": TRAIN_FLAGS,
    "clear_tf.localize": LOCALIZE_FLAGS,
    "clear_tf.extract_features": EXTRACT_FLAGS,
    "tfds build": TFDS_BUILD_FLAGS,
}
if BENCHMARKS.is_file():  # the README shows its flags
    PROGRAM_FLAGS["benchmarks/run.py"] = set(_defined_names(BENCHMARKS, "add_argument"))
ANY_PROJECT_FLAG = set().union(*PROGRAM_FLAGS.values())


def _program(tokens: list[str]) -> str | None:
    """Which program a command runs: a key of PROGRAM_FLAGS, "tensorboard", "external" or None."""
    first = os.path.basename(tokens[0])
    if first in EXTERNAL_PROGRAMS:
        return "external"
    if first == "tensorboard":
        return "tensorboard"
    if first == "tfds" and tokens[1:2] == ["build"]:
        return "tfds build"
    if re.fullmatch(r"python[\d.]*", first) and len(tokens) > 1:
        if tokens[1] == "-c":
            return "external"
        if tokens[1] == "-m" and len(tokens) > 2:
            return tokens[2] if tokens[2] in PROGRAM_FLAGS else "external"
        script = os.path.normpath(tokens[1])
        scripts = [key for key in PROGRAM_FLAGS if key.endswith(".py")]
        return next((key for key in scripts if script == key or script.endswith("/" + key)), None)
    return None


def _commands(text: str) -> list[list[str]]:
    """The commands of a shell line, split at &&, ||, ; and |."""
    lexer = shlex.shlex(text, posix=True, punctuation_chars="&|;")
    lexer.whitespace_split = True
    commands, current = [], []
    for token in lexer:
        if token in COMMAND_SEPARATORS:
            commands.append(current)
            current = []
        else:
            current.append(token)
    commands.append(current)
    return [command for command in commands if command]


def _tensorboard_problem(arguments: list[str]) -> str | None:
    from tensorboard import default, program

    argv = ["tensorboard", *(re.sub(r"\{\w+\}", "x", argument) for argument in arguments)]
    try:
        program.TensorBoard(plugins=default.get_plugins()).configure(argv=argv)
    except SystemExit:
        return f"tensorboard rejects {' '.join(arguments)}"
    return None


def _problems(line: str) -> list[str]:
    """What is wrong with the flags of one shell line (empty when nothing is)."""
    problems = []
    for tokens in _commands(line):
        program = _program(tokens)
        if program == "external":
            continue
        if program == "tensorboard":
            problem = _tensorboard_problem(tokens[1:])
            problems += [problem] if problem else []
            continue
        allowed = PROGRAM_FLAGS.get(program, ANY_PROJECT_FLAG)
        for token in tokens:
            if not token.startswith("--"):
                continue
            name, _, value = token[2:].partition("=")
            if name not in allowed:
                problems.append(f"--{name} is not a flag of {program or 'clear-tf'}")
            if name == "flagfile" and "{" not in value and not (REPO / value).is_file():
                problems.append(f"--flagfile={value} does not exist")
    return problems


def _join_continuations(lines: list[str]) -> list[str]:
    joined, pending = [], ""
    for line in lines:
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
        else:
            joined.append(pending + line)
            pending = ""
    return joined + ([pending] if pending else [])


def _markdown_command_lines(text: str) -> list[str]:
    """Lines of fenced code blocks and inline code spans of a Markdown text."""
    lines = []
    for block in re.findall(r"^```[^\n]*\n(.*?)^```", text, flags=re.M | re.S):
        lines += _join_continuations(block.splitlines())
    outside_blocks = re.sub(r"^```[^\n]*\n.*?^```", "", text, flags=re.M | re.S)
    lines += re.findall(r"`([^`\n]+)`", outside_blocks)
    return [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]


def _code_command_lines(source: str) -> list[str]:
    """The shell lines of a code cell: ``!cmd`` and the ``%tensorboard`` magic."""
    lines = []
    for line in _join_continuations(source.splitlines()):
        stripped = line.strip()
        if stripped.startswith("!"):
            lines.append(stripped[1:])
        elif stripped.startswith("%tensorboard"):
            lines.append(stripped[1:])
    return lines


def _command_lines(notebook) -> list[str]:
    lines = []
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            lines += _markdown_command_lines(cell.source)
        elif cell.cell_type == "code":
            lines += _code_command_lines(cell.source)
    return lines


def _python_source(source: str) -> str:
    """A code cell as plain Python: IPython's ``!`` and ``%`` lines become ``pass``."""
    lines = []
    for line in source.splitlines():
        stripped = line.lstrip()
        if stripped.startswith(("!", "%")):
            line = line[: len(line) - len(stripped)] + "pass"
        lines.append(line)
    return "\n".join(lines)


def test_both_notebooks_exist():
    assert {"quickstart.ipynb", "tacos.ipynb"} <= set(NOTEBOOK_IDS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NOTEBOOK_IDS)
def test_notebook_is_valid_nbformat_4_without_outputs(path):
    json.loads(path.read_text())
    notebook = nbformat.read(path, as_version=nbformat.NO_CONVERT)
    assert notebook.nbformat == 4
    nbformat.validate(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path.name}: outputs not stripped"
            assert "execution" not in cell.metadata, f"{path.name}: execution timings not stripped"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NOTEBOOK_IDS)
def test_code_cells_parse(path):
    notebook = nbformat.read(path, as_version=4)
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code":
            try:
                ast.parse(_python_source(cell.source))
            except SyntaxError as error:
                pytest.fail(f"{path.name} cell {index}: {error}")


def test_notebooks_match_their_generator():
    spec = importlib.util.spec_from_file_location("make_notebooks", COLAB / "make_notebooks.py")
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    assert sorted(generator.NOTEBOOKS) == NOTEBOOK_IDS
    for name in generator.NOTEBOOKS:
        assert (COLAB / name).read_text() == generator.notebook_text(name), (
            f"colab/{name} differs from colab/make_notebooks.py: run python colab/make_notebooks.py"
        )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NOTEBOOK_IDS)
def test_notebook_commands_use_real_flags(path):
    problems = [f"{line}: {problem}" for line in _command_lines(nbformat.read(path, as_version=4))
                for problem in _problems(line)]
    assert not problems, "\n".join(problems)


def test_readme_commands_use_real_flags():
    readme = REPO / "README.md"
    lines = _markdown_command_lines(readme.read_text()) if readme.is_file() else []
    problems = [f"{line}: {problem}" for line in lines for problem in _problems(line)]
    assert not problems, "\n".join(problems)


def test_tacos_notebook_covers_every_step():
    lines = _command_lines(nbformat.read(COLAB / "tacos.ipynb", as_version=4))
    programs = {_program(tokens) for line in lines for tokens in _commands(line)}
    assert {"tfds build", "train.py", "evaluate.py", "clear_tf.localize", "tensorboard"} <= programs
    text = "\n".join(lines)
    for needed in ("--all_ablations", "--tune_thresholds", "--flagfile=configs/ablations/clear_v.flags"):
        assert needed in text


@pytest.mark.parametrize(
    "line, expected",
    [
        ("python train.py --flagfile=configs/demo.flags --num_clips=8 --nouse_tcn", []),
        ("python train.py --num_clip=8", ["--num_clip is not a flag of train.py"]),
        ("python train.py --all_ablations", ["--all_ablations is not a flag of train.py"]),
        ("python evaluate.py --run_dir=r --all_ablations --notune_thresholds", []),
        ("python train.py --flagfile=configs/nope.flags", ["--flagfile=configs/nope.flags does not exist"]),
        (
            "cd x && python -m clear_tf.localize --export_dir=e --quer=q",
            ["--quer is not a flag of clear_tf.localize"],
        ),
        (
            "tfds build datasets/tacos --manual_dir={M} --data_dir=d --overwrite",
            ["--overwrite is not a flag of tfds build"],
        ),
        ("pip install --no-deps .", []),
        ("--all_ablations", []),
        ("--all_ablation", ["--all_ablation is not a flag of clear-tf"]),
        ("tensorboard --logdir {RUN}/logs", []),
        ("tensorboard --logdirs x", ["tensorboard rejects --logdirs x"]),
    ],
)
def test_flag_checker_finds_bad_flags(line, expected):
    assert _problems(line) == expected


def test_markdown_commands_come_from_code_blocks_and_spans():
    text = "Run `python train.py --epochs=1`.\n\n```\n# comment\npython evaluate.py \\\n  --split=val\n```\n"
    expected = ["python evaluate.py    --split=val", "python train.py --epochs=1"]
    assert _markdown_command_lines(text) == expected


def _kernel_spec(folder: pathlib.Path) -> str:
    """A kernel spec running this test's Python (the project's virtual environment)."""
    name = "clear-tf-notebook-test"
    spec_dir = folder / "kernels" / name
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "clear-tf test",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    return name


def _output_text(notebook) -> tuple[str, int]:
    """All text the cells printed or returned, and the number of images shown."""
    texts, images = [], 0
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            assert output.output_type != "error", f"{output.ename}: {output.evalue}"
            texts.append(output.get("text", ""))
            data = output.get("data", {})
            texts.append(data.get("text/plain", ""))
            images += "image/png" in data
    return "\n".join(texts), images


@pytest.mark.slow
def test_quickstart_runs_top_to_bottom_in_quick_mode(tmp_path, monkeypatch):
    import nbclient

    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    kernel_name = _kernel_spec(tmp_path / "jupyter")
    monkeypatch.setenv("CLEAR_TF_QUICK", "1")
    monkeypatch.setenv("CLEAR_TF_WORK_DIR", str(tmp_path / "work"))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    notebook = nbformat.read(COLAB / "quickstart.ipynb", as_version=4)
    client = nbclient.NotebookClient(
        notebook, kernel_name=kernel_name, timeout=600, resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()

    text, images = _output_text(notebook)
    assert f"from {REPO}; quick mode: True" in text
    for row in ("CLEAR (binary tree)", "CLEAR (paper tree)", "CLEAR-F (no pruning)", "CLEAR-C (coarse only)",
                "query-blind prior"):
        assert row in text
    assert "R@1,IoU=0.5" in text and "mIoU" in text
    assert '"query": "the cook peels the carrot"' in text
    assert images == 2
    run = tmp_path / "work" / "run"
    assert (run / "test_queries.png").is_file() and (run / "my_queries.png").is_file()
    assert (run / "export" / "1" / "saved_model.pb").is_file()
