"""SLTA through the generic toolkit: SavedModel export + ``Localizer``, and ``train`` end to end with regions."""

import json
import os

import pytest

import map_model_checks as checks

TINY = dict(hidden_dim=8, attention_dim=4, dropout=0.0)


@pytest.mark.slow
def test_export_and_localizer(tiny_text_preset, tmp_path):
    """On a dataset without regions (O = 1): the export and the Localizer give localize's moments."""
    config = checks.tiny_run_config("slta", tiny_text_preset, **TINY)
    config.data.dataset = "synthetic_moments/small"
    model = checks.build(config)
    assert model.num_regions == 0
    checks.check_export_and_localizer(model, config, tmp_path)


@pytest.mark.slow
def test_train_end_to_end_with_regions(tiny_text_preset, tmp_path):
    from clear_tf.models import load_model

    run = checks.check_train_end_to_end(
        "slta", tiny_text_preset, tmp_path, dataset="synthetic_moments/regions_small", epochs=1, **TINY
    )
    with open(os.path.join(run, "results.json")) as handle:
        saved = json.load(handle)
    assert "O = 4 regions of D_r = 32" in json.dumps(saved), saved.keys()
    model = load_model(os.path.join(run, "checkpoints", "best.keras"))
    assert (model.num_regions, model.region_dim) == (4, 32) and model.feature_dim == 256 + 4 * 32
