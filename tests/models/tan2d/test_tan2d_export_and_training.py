"""TAN2D through the generic toolkit: SavedModel export + ``Localizer``, and ``train`` end to end."""

import pytest

import map_model_checks as checks

TINY = dict(hidden_dim=8, pooling_counts=[3, 2], map_layers=2, map_kernel_size=3)


@pytest.mark.slow
@pytest.mark.parametrize("variant", ["pool", "conv"])
def test_export_and_localizer(variant, tiny_text_preset, tmp_path):
    config = checks.tiny_run_config("tan2d", tiny_text_preset, variant=variant, **TINY)
    checks.check_export_and_localizer(checks.build(config), config, tmp_path)


@pytest.mark.slow
def test_train_end_to_end(tiny_text_preset, tmp_path):
    checks.check_train_end_to_end("tan2d", tiny_text_preset, tmp_path, variant="conv", **TINY)
