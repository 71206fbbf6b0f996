"""The SavedModel export: layout, signatures, fresh-process parity, core ops, atomic writes."""

import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from clear_tf.export import saved_model as export_lib
from clear_tf.export import (
    METADATA_PATH,
    export_saved_model,
    next_version,
    read_metadata,
    resolve_version,
)

from tiny_export import (
    DURATION, FEATURE_DIM, MAX_QUERY_TOKENS, QUERIES, TOP_K, picked_fine_probabilities, run_python, video_features,
)

pytestmark = pytest.mark.slow

SAVED_MODEL_CLI = os.path.join(os.path.dirname(sys.executable), "saved_model_cli")
# saved_model_cli with TF Text's ops registered (the full export holds the tokenizer).
SAVED_MODEL_CLI_WITH_TF_TEXT = (
    "import sys, tensorflow_text; from tensorflow.python.tools.saved_model_cli import main; "
    "sys.argv[0] = 'saved_model_cli'; main()"
)

FRESH_PROCESS_CALL = """
import sys
import numpy as np
import tensorflow as tf
import tensorflow_text  # registers the tokenizer's ops

saved_model_dir, inputs_path, outputs_path = sys.argv[1:]
inputs = np.load(inputs_path)
loaded = tf.saved_model.load(saved_model_dir)
numeric = loaded.signatures["serving_default"](
    features=tf.constant(inputs["features"]), duration=tf.constant(inputs["duration"]),
    token_ids=tf.constant(inputs["token_ids"]), padding_mask=tf.constant(inputs["padding_mask"]))
text = loaded.signatures["localize_text"](
    queries=tf.constant(inputs["queries"]), features=tf.constant(inputs["features"]),
    duration=tf.constant(inputs["duration"]))
maps = loaded.signatures["confidence_maps"](
    queries=tf.constant(inputs["queries"]), features=tf.constant(inputs["features"]))
outputs = {f"numeric_{k}": v.numpy() for k, v in numeric.items()}
outputs.update({f"text_{k}": v.numpy() for k, v in text.items()})
outputs.update({f"maps_{k}": v.numpy() for k, v in maps.items()})
# TensorFlow itself may import keras; the export must not need clear-tf or keras-hub.
foreign = sorted(m for m in sys.modules if m.split(".")[0] in ("keras_hub", "clear_tf"))
assert not foreign, f"the fresh process imported {foreign}"
np.savez(outputs_path, **outputs)
"""

# Walks the functions a signature calls and lists the op types this process (plain
# TensorFlow, no TF Text) does not know.
UNREGISTERED_OPS = """
import json, sys
import tensorflow as tf
from tensorflow.core.protobuf import saved_model_pb2
from tensorflow.python.framework import op_def_registry

proto = saved_model_pb2.SavedModel()
with open(sys.argv[1] + "/saved_model.pb", "rb") as handle:
    proto.ParseFromString(handle.read())
graph = proto.meta_graphs[0]
functions = {f.signature.name: f for f in graph.graph_def.library.function}
nodes = {n.name: n for n in graph.graph_def.node}

def called(node_def):
    for value in node_def.attr.values():
        if value.HasField("func"):
            yield value.func.name
        for func in value.list.func:
            yield func.name

def unregistered(signature):
    seen, pending, unknown = set(), [], set()
    for tensor in graph.signature_def[signature].outputs.values():
        pending.extend(called(nodes[tensor.name.split(":")[0]]))
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        for node_def in functions[name].node_def:
            if op_def_registry.get(node_def.op) is None:
                unknown.add(node_def.op)
            pending.extend(called(node_def))
    return sorted(unknown)

print(json.dumps({s: unregistered(s) for s in graph.signature_def if not s.startswith("__")}))
"""


def keras_reference(model, config, features, token_ids, padding_mask):
    from clear_tf.export.signatures import inference_options

    result = model.localize(
        features,
        token_ids,
        padding_mask,
        DURATION,
        normalize_features=config.data.normalize_features,
        **inference_options(model, config),
    )
    return {name: result[name].numpy() for name in ("start", "end", "score")}


def tokenize(config, queries):
    from clear_tf.data.query_tokenizer import QueryTokenizer

    token_ids, padding_mask = QueryTokenizer(config.model.text_preset, MAX_QUERY_TOKENS)(
        tf.constant(queries)
    )
    return token_ids.numpy(), padding_mask.numpy()


def assert_same_moments(actual, expected):
    np.testing.assert_allclose(actual["start"], expected["start"], rtol=1e-6, atol=1e-5)
    np.testing.assert_allclose(actual["end"], expected["end"], rtol=1e-6, atol=1e-5)
    np.testing.assert_allclose(actual["score"], expected["score"], rtol=1e-5, atol=1e-6)


def parse_signatures(show_output: str) -> dict:
    """{signature: {"inputs"|"outputs": {name: (dtype, shape)}}} from ``saved_model_cli show``."""
    signatures = {}
    for block in re.split(r"\nsignature_def\['", show_output)[1:]:
        name = block.split("'", 1)[0]
        entry = {"inputs": {}, "outputs": {}}
        for kind, key, dtype, shape in re.findall(
            r"(inputs|outputs)\['(\w+)'\] tensor_info:\s+dtype: (\w+)\s+shape: (\([^)]*\)|unknown_rank)",
            block,
        ):
            entry[kind][key] = (dtype, shape)
        signatures[name] = entry
    return signatures


def test_layout_and_metadata(export_base, saved_model_dir, model):
    assert sorted(os.listdir(export_base)) == ["1"], "staging folders must not be left behind"
    for name in ("saved_model.pb", "variables", METADATA_PATH):
        assert os.path.exists(os.path.join(saved_model_dir, name)), name
    metadata = read_metadata(saved_model_dir)
    assert metadata["feature_dim"] == FEATURE_DIM
    assert metadata["num_clips"] == 8 and metadata["num_pre_clips"] == 16
    assert metadata["max_query_tokens"] == MAX_QUERY_TOKENS
    assert metadata["inference"] == {
        "method": "clear", "tree": "binary", "mu": -0.1, "rho": 0.1, "descend_when": "both",
        "min_kept_share": 0.1, "coarse_peaks": 5,
        "coarse_peak_iou": 0.4, "refine_straddling": False, "evidence_threshold": 1.0, "fine_mlp_weight": 0.5,
        "nms_threshold": 0.4, "top_k": TOP_K,
    }
    assert metadata["model"] == "clear"
    # The synthetic benchmark records no feature encoder: --video needs one (or --features).
    assert (metadata["feature_encoder"], metadata["feature_attributes"]) == ("", {})
    assert set(metadata["signatures"]) == {"serving_default", "localize_text", "confidence_maps", "query_lengths"}
    assert metadata["config"]["model"]["hidden_dim"] == 16
    # Each weight the endpoints use is stored once (keras-team/keras#23553 stores them
    # twice after track()); the learned τ is not used: the export's τ is the picked one.
    reader = tf.train.load_checkpoint(os.path.join(saved_model_dir, "variables", "variables"))
    stored = sum(
        int(np.prod(shape)) for key, shape in reader.get_variable_to_shape_map().items()
        if key != "_CHECKPOINTABLE_OBJECT_GRAPH"
    )
    assert stored == model.count_params() - int(np.size(model.clip_evidence.threshold))


def test_saved_model_cli_show_lists_the_documented_signatures(saved_model_dir):
    shown = subprocess.run(
        [SAVED_MODEL_CLI, "show", "--dir", saved_model_dir, "--all"],
        capture_output=True, text=True, timeout=120, check=True,
    ).stdout
    signatures = parse_signatures(shown)
    moments = {name: ("DT_FLOAT", f"(-1, {TOP_K})") for name in ("start", "end", "score")}
    assert signatures["serving_default"] == {
        "inputs": {
            "features": ("DT_FLOAT", f"(-1, {FEATURE_DIM})"),
            "duration": ("DT_FLOAT", "()"),
            "token_ids": ("DT_INT32", "(-1, -1)"),
            "padding_mask": ("DT_INT32", "(-1, -1)"),
        },
        "outputs": moments,
    }
    assert signatures["localize_text"] == {
        "inputs": {
            "queries": ("DT_STRING", "(-1)"),
            "features": ("DT_FLOAT", f"(-1, {FEATURE_DIM})"),
            "duration": ("DT_FLOAT", "()"),
        },
        "outputs": moments,
    }
    assert signatures["confidence_maps"] == {
        "inputs": {"queries": ("DT_STRING", "(-1)"), "features": ("DT_FLOAT", f"(-1, {FEATURE_DIM})")},
        "outputs": {"fine_scores": ("DT_FLOAT", "(-1, 8, 8)"), "candidate_mask": ("DT_INT32", "(8, 8)")},
    }


def test_fresh_process_matches_the_keras_model(saved_model_dir, model, config, tmp_path):
    features = video_features()
    token_ids, padding_mask = tokenize(config, QUERIES)
    inputs = tmp_path / "inputs.npz"
    outputs = tmp_path / "outputs.npz"
    np.savez(
        inputs, features=features, duration=np.float32(DURATION), token_ids=token_ids,
        padding_mask=padding_mask.astype(np.int32), queries=np.array(QUERIES),
    )
    finished = run_python(FRESH_PROCESS_CALL, saved_model_dir, str(inputs), str(outputs))
    assert finished.returncode == 0, finished.stderr[-3000:]
    served = np.load(outputs)

    expected = keras_reference(model, config, features, token_ids, padding_mask)
    for prefix in ("numeric", "text"):
        assert_same_moments({k: served[f"{prefix}_{k}"] for k in expected}, expected)
    assert served["numeric_score"].shape == (len(QUERIES), TOP_K)

    # The Keras model's fine score at the exported options, on every cell (no pruning).
    expected_maps = picked_fine_probabilities(model, config, features, token_ids, padding_mask)
    candidates = np.asarray(model.candidate_mask)
    np.testing.assert_array_equal(served["maps_candidate_mask"], candidates.astype(np.int32))
    np.testing.assert_allclose(served["maps_fine_scores"], np.where(candidates, expected_maps, 0.0), atol=1e-5)


def test_serving_default_needs_core_tensorflow_ops_only(saved_model_dir):
    finished = run_python(UNREGISTERED_OPS, saved_model_dir)
    assert finished.returncode == 0, finished.stderr[-3000:]
    unknown = json.loads(finished.stdout.strip().splitlines()[-1])
    assert unknown["serving_default"] == []
    # The walk does see TF Text ops where they are: in the tokenizing signatures.
    assert unknown["localize_text"] and unknown["confidence_maps"]


def test_saved_model_cli_run_answers_serving_default(saved_model_dir, model, config):
    features = video_features(num_units=5)
    token_ids, padding_mask = tokenize(config, QUERIES[:1])
    expressions = literal_inputs(features, token_ids, padding_mask)
    printed = saved_model_cli_run(
        [sys.executable, "-c", SAVED_MODEL_CLI_WITH_TF_TEXT], saved_model_dir, expressions
    )
    expected = keras_reference(model, config, features, token_ids, padding_mask)
    assert set(printed) == set(expected)
    assert_same_moments(printed, expected)


def saved_model_cli_run(command: list, saved_model_dir: str, expressions: str) -> dict:
    """Runs ``saved_model_cli run`` on serving_default and parses the printed [1, top_k] results."""
    finished = subprocess.run(
        [*command, "run", "--dir", saved_model_dir, "--tag_set", "serve",
         "--signature_def", "serving_default", "--input_exprs", expressions],
        capture_output=True, text=True, timeout=120,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    number = r"-?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?|-?inf"
    return {
        key: np.array([float(value) for value in re.findall(number, values)]).reshape(1, TOP_K)
        for key, values in re.findall(r"Result for output key (\w+):\n(\[\[[^\]]*\]\])", finished.stdout)
    }


def literal_inputs(features, token_ids, padding_mask) -> str:
    """serving_default's inputs as ``saved_model_cli --input_exprs`` Python literals."""
    return ";".join(
        [
            f"features={features.tolist()}",
            f"duration={DURATION}",
            f"token_ids={token_ids.tolist()}",
            f"padding_mask={padding_mask.astype(int).tolist()}",
        ]
    )


def test_graph_checks_reject_bad_requests(saved_model_dir):
    import tensorflow_text  # noqa: F401

    signatures = tf.saved_model.load(saved_model_dir).signatures
    good = {
        "features": tf.constant(video_features()),
        "duration": tf.constant(DURATION),
        "token_ids": tf.constant([[101, 2000, 102]]),
        "padding_mask": tf.constant([[1, 1, 1]]),
    }
    bad_requests = {
        "duration must be a positive": {"duration": tf.constant(-1.0)},
        "features contain NaN": {"features": tf.constant(np.full((4, FEATURE_DIM), np.nan, np.float32))},
        "the video has no units": {"features": tf.zeros([0, FEATURE_DIM])},
        "same shape": {"padding_mask": tf.constant([[1, 1]])},
        "at least one real token": {"padding_mask": tf.constant([[0, 0, 0]])},
    }
    assert signatures["serving_default"](**good)["score"].shape == (1, TOP_K)
    for message, change in bad_requests.items():
        with pytest.raises(tf.errors.InvalidArgumentError, match=message):
            signatures["serving_default"](**{**good, **change})
    with pytest.raises(tf.errors.InvalidArgumentError, match="must not be empty"):
        signatures["localize_text"](
            queries=tf.constant(["fine", "  "]), features=good["features"], duration=good["duration"]
        )


def cheap_endpoints(model, config, text_endpoints=True):
    """A one-op endpoint: the atomic-write tests need a SavedModel, not CLEAR's graph."""
    return {
        "serving_default": (
            lambda features: {"doubled": features * 2.0},
            [tf.TensorSpec([None, FEATURE_DIM], tf.float32, name="features")],
        )
    }


def test_failed_export_leaves_no_version(tmp_path, model, config, monkeypatch):
    monkeypatch.setattr(export_lib, "serving_functions", cheap_endpoints)

    def crash(folder, payload):
        assert os.path.isfile(os.path.join(folder, "saved_model.pb"))  # mid-export: graph written
        raise OSError("disk full")

    monkeypatch.setattr(export_lib, "write_metadata", crash)
    with pytest.raises(OSError, match="disk full"):
        export_saved_model(model, tmp_path / "export", config=config)
    assert os.listdir(tmp_path / "export") == []


def test_re_export_replaces_atomically_and_a_failure_keeps_the_previous(tmp_path, model, config, monkeypatch):
    import dataclasses

    monkeypatch.setattr(export_lib, "serving_functions", cheap_endpoints)
    base = tmp_path / "export"
    first = export_saved_model(model, base, config=config)
    assert first == str(base / "1") and read_metadata(first)["inference"]["top_k"] == TOP_K
    with open(os.path.join(first, "saved_model.pb"), "rb") as handle:
        first_graph = handle.read()

    other = dataclasses.replace(config, inference=dataclasses.replace(config.inference, top_k=2))
    real_write = export_lib.write_metadata
    monkeypatch.setattr(export_lib, "write_metadata", lambda *args: (_ for _ in ()).throw(OSError("crash")))
    with pytest.raises(OSError, match="crash"):
        export_saved_model(model, base, config=other)
    assert sorted(os.listdir(base)) == ["1"]
    assert read_metadata(first)["inference"]["top_k"] == TOP_K
    with open(os.path.join(first, "saved_model.pb"), "rb") as handle:
        assert handle.read() == first_graph

    # The last step can fail too: moving the new version in. The old one is put back.
    real_rename = os.rename
    calls = []

    def rename_failing_on_second_call(source, target):
        calls.append((source, target))
        if len(calls) == 2:
            raise OSError("rename failed")
        real_rename(source, target)

    monkeypatch.setattr(export_lib, "write_metadata", real_write)
    monkeypatch.setattr(export_lib.os, "rename", rename_failing_on_second_call)
    with pytest.raises(OSError, match="rename failed"):
        export_saved_model(model, base, config=other)
    monkeypatch.setattr(export_lib.os, "rename", real_rename)
    assert sorted(os.listdir(base)) == ["1"]
    assert read_metadata(first)["inference"]["top_k"] == TOP_K

    assert export_saved_model(model, base, config=other) == first
    assert sorted(os.listdir(base)) == ["1"]
    assert read_metadata(first)["inference"]["top_k"] == 2


def test_version_none_writes_the_next_version(tmp_path, model, config, monkeypatch):
    monkeypatch.setattr(export_lib, "serving_functions", cheap_endpoints)
    base = tmp_path / "export"
    assert next_version(str(tmp_path)) == 1
    export_saved_model(model, base, config=config, version=3)
    assert export_saved_model(model, base, config=config, version=None) == str(base / "4")
    assert resolve_version(base) == str(base / "4")
    assert resolve_version(base / "3") == str(base / "3")
    with pytest.raises(ValueError, match="non-negative integer"):
        export_saved_model(model, base, config=config, version=-1)
    with pytest.raises(FileNotFoundError, match="numbered version"):
        resolve_version(tmp_path)


NUMERIC_ONLY_CALL = """
import sys
import numpy as np
import tensorflow as tf

saved_model_dir, inputs_path, outputs_path = sys.argv[1:]
inputs = np.load(inputs_path)
loaded = tf.saved_model.load(saved_model_dir)
assert list(loaded.signatures) == ["serving_default"], list(loaded.signatures)
result = loaded.signatures["serving_default"](**{k: tf.constant(inputs[k]) for k in inputs.files})
assert "tensorflow_text" not in sys.modules
np.savez(outputs_path, **{k: v.numpy() for k, v in result.items()})
"""


def test_numeric_only_export_loads_with_plain_tensorflow(tmp_path, model, config):
    saved_model_dir = export_saved_model(model, tmp_path / "numeric", config=config, text_endpoints=False)
    features = video_features(num_units=40, seed=3)
    token_ids, padding_mask = tokenize(config, QUERIES)
    inputs, outputs = tmp_path / "inputs.npz", tmp_path / "outputs.npz"
    np.savez(
        inputs, features=features, duration=np.float32(DURATION), token_ids=token_ids,
        padding_mask=padding_mask.astype(np.int32),
    )
    finished = run_python(NUMERIC_ONLY_CALL, saved_model_dir, str(inputs), str(outputs))
    assert finished.returncode == 0, finished.stderr[-3000:]
    served = np.load(outputs)
    expected = keras_reference(model, config, features, token_ids, padding_mask)
    assert_same_moments({k: served[k] for k in ("start", "end", "score")}, expected)

    # The stock saved_model_cli (no TF Text) runs it too.
    printed = saved_model_cli_run(
        [SAVED_MODEL_CLI], saved_model_dir, literal_inputs(features, token_ids[:1], padding_mask[:1])
    )
    assert_same_moments(printed, {name: values[:1] for name, values in expected.items()})
