"""Fixtures: tiny fake CLEAR models (see ``fake_clear``)."""

import pytest

from fake_clear import FakeClear, build_fake_clear


@pytest.fixture(scope="module")
def fake_mlp_model() -> FakeClear:
    return build_fake_clear("mlp")


@pytest.fixture(scope="module")
def fake_conv_model() -> FakeClear:
    return build_fake_clear("conv")


@pytest.fixture(scope="module")
def fake_evidence_model() -> FakeClear:
    return build_fake_clear("mlp", clip_evidence=True)
