"""Every ``>>>`` example in the library's docstrings runs as a doctest (project issue 11).

Each module of ``clear_tf`` (walked with ``pkgutil``) and
``clear_tf_datasets.generation_report`` is imported and handed to ``doctest.testmod``.
A module must have zero failures; the modules in ``WITH_EXAMPLES`` must also run at
least one example, so deleting an example (or breaking its ``>>>`` markup so that
doctest no longer sees it) fails here, and so does a module that gains examples
without being listed. Examples are meant to be fast and self-contained: tiny shapes,
their own inputs, a tiny random BERT where one is needed. Only the modules in
``NEEDS_BERT`` load the real default text encoder; they are marked slow.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import clear_tf

# The modules whose docstrings hold examples, so each must run >= 1.
WITH_EXAMPLES = {
    "clear_tf.data.query_tokenizer",
    "clear_tf.data.sentence_vectors",
    "clear_tf.evaluation.oracle",
    "clear_tf.flagfile",
    "clear_tf.learning_rate",
    "clear_tf.layers.candidate_mask",
    "clear_tf.layers.clip_pooling",
    "clear_tf.layers.conv_fine_head",
    "clear_tf.layers.moment_map",
    "clear_tf.layers.query_moment_fusion",
    "clear_tf.layers.sentence_encoder",
    "clear_tf.losses.fine_alignment_loss",
    "clear_tf.metrics.moment_prior_baseline",
    "clear_tf.metrics.table",
    "clear_tf.models.cdn.dynamic_conv",
    "clear_tf.models.cdn.dynamic_map_conv",
    "clear_tf.models.cdn.frame_attention",
    "clear_tf.models.cdn.model",
    "clear_tf.models.clear.anchor_gather",
    "clear_tf.models.clear.bi_tcn",
    "clear_tf.models.clear.clip_evidence",
    "clear_tf.models.clear.coarse_alignment_loss",
    "clear_tf.models.clear.coarse_map_alignment_loss",
    "clear_tf.models.clear.mlp_fine_head",
    "clear_tf.models.clear.model",
    "clear_tf.models.clear.query_moment_similarity",
    "clear_tf.models.clear.span_boundaries",
    "clear_tf.models.slta.cross_modal_fusion",
    "clear_tf.models.slta.language_temporal_attention",
    "clear_tf.models.slta.model",
    "clear_tf.models.slta.query_moment_map",
    "clear_tf.models.slta.spatial_attention",
    "clear_tf.models.slta.word_encoder",
    "clear_tf.models.tan2d.map_conv",
    "clear_tf.models.tan2d.model",
    "clear_tf.models.tan2d.sparse_layout",
    "clear_tf.models.tan2d.sparse_prop_conv",
    "clear_tf.run_dir",
    "clear_tf_datasets.generation_report",
}

# Examples that load the real all-MiniLM-L6-v2 (seconds to load): run in the slow tier.
NEEDS_BERT = {"clear_tf.data.sentence_vectors"}


# Modules that cannot be imported here at all (none today); each names what is missing.
UNIMPORTABLE: dict[str, str] = {}


def _modules() -> list[str]:
    names = {"clear_tf"} | {
        info.name for info in pkgutil.walk_packages(clear_tf.__path__, prefix="clear_tf.")
    }
    return sorted(names - set(UNIMPORTABLE)) + ["clear_tf_datasets.generation_report"]


def _params():
    for name in _modules():
        marks = [pytest.mark.slow] if name in NEEDS_BERT else []
        yield pytest.param(name, marks=marks, id=name)


@pytest.mark.parametrize("module_name", list(_params()))
def test_docstring_examples_run(module_name, monkeypatch, tmp_path):
    # Examples may not lean on the repository's files, and what they write lands here.
    monkeypatch.chdir(tmp_path)
    module = importlib.import_module(module_name)
    # testmod looks only at the module's own objects: a re-export runs where it is defined.
    result = doctest.testmod(
        module, report=True, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    )
    failed = f"{result.failed} of {result.attempted} examples of {module_name} failed (see stdout)"
    assert result.failed == 0, failed
    if module_name in WITH_EXAMPLES:
        assert result.attempted >= 1, f"{module_name} lost its examples"
    else:
        assert result.attempted == 0, f"{module_name} has examples: list it in WITH_EXAMPLES"


def test_the_lists_name_real_modules():
    modules = set(_modules())
    assert WITH_EXAMPLES <= modules and NEEDS_BERT <= WITH_EXAMPLES
