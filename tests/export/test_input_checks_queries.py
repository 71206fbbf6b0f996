"""A query longer than max_query_tokens is cut; the export's clients now say so.

The export has a ``query_lengths`` signature (tokens each query needs before the cut);
``Localizer.localize`` adds a ``warning`` to the result of every query it cuts, and so
does ``python -m clear_tf.localize`` (its lines are those results). Exports without the
text endpoints have neither.
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from clear_tf.export import Localizer, read_metadata
from clear_tf.export.saved_model import QUERY_LENGTHS_SIGNATURE, export_saved_model, remove_stale_versions

from tiny_export import DURATION, MAX_QUERY_TOKENS, video_features

pytestmark = pytest.mark.slow

LONG = "a man in a red shirt slowly cuts the fresh bread on the wooden board by the window"
SHORT = "a person cuts the bread"


def test_token_counts_of_the_tokenizer(config):
    from clear_tf.data.query_tokenizer import QueryTokenizer

    tokenizer = QueryTokenizer(config.model.text_preset, MAX_QUERY_TOKENS)
    counts = tokenizer.token_counts(tf.constant([SHORT, LONG, ""])).numpy()
    assert counts[0] == 7 and counts[2] == 2 and counts[1] > MAX_QUERY_TOKENS  # [CLS] … [SEP]
    assert tokenizer.is_cut(tf.constant([SHORT, LONG])).numpy().tolist() == [False, True]
    ids, mask = tokenizer(tf.constant([LONG]))
    assert int(mask.numpy().sum()) == MAX_QUERY_TOKENS  # what the model sees


def test_the_localizer_warns_about_cut_queries(export_base, saved_model_dir):
    metadata = read_metadata(saved_model_dir)
    assert metadata["signatures"][QUERY_LENGTHS_SIGNATURE] == {
        "inputs": {"queries": ["string", [None]]}, "outputs": {"num_tokens": ["int32", [None]]},
    }
    localizer = Localizer(export_base)
    short, long = localizer.localize(video_features(), DURATION, [SHORT, LONG])
    assert "warning" not in short
    assert long["warning"].startswith(f"the query has {localizer.cut_queries([LONG])[0]} tokens; the model "
                                      f"read only the first {MAX_QUERY_TOKENS}")
    assert localizer.cut_queries([SHORT, LONG])[0] is None


def test_the_command_line_prints_the_warning(export_base, tmp_path):
    np.save(tmp_path / "video.npy", video_features())
    done = subprocess.run(
        [sys.executable, "-m", "clear_tf.localize", f"--export_dir={export_base}",
         f"--features={tmp_path / 'video.npy'}", f"--duration={DURATION}", "--query", SHORT, "--query", LONG],
        capture_output=True, text=True, timeout=300, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"),
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = [json.loads(line) for line in done.stdout.strip().splitlines()[-2:]]
    assert "warning" not in lines[0] and "read only the first" in lines[1]["warning"]


def test_a_numeric_only_export_from_the_config_flag(tmp_path, model, config):
    import dataclasses

    numeric = dataclasses.replace(config, train=dataclasses.replace(config.train, export_text_endpoints=False))
    path = export_saved_model(model, tmp_path / "export", config=numeric)
    assert set(read_metadata(path)["signatures"]) == {"serving_default"}
    assert set(tf.saved_model.load(path).signatures) == {"serving_default"}


def test_remove_stale_versions(tmp_path):
    for name in ("1", "2", ".1.partial-0a1b2c3d", ".3.previous-deadbeef", ".2.previous-cafe0123", "notes"):
        (tmp_path / name).mkdir()
    assert remove_stale_versions(tmp_path) == [".1.partial-0a1b2c3d", ".2.previous-cafe0123"]
    # A re-export killed between moving version 3 aside and the new one in: put back.
    assert sorted(os.listdir(tmp_path)) == ["1", "2", "3", "notes"]
    assert remove_stale_versions(tmp_path / "missing") == []
