"""One tiny real CLEAR model and its SavedModel export, shared by the export tests.

The model is the real ``CLEAR`` with a tiny random BERT (the real MiniLM vocabulary,
``tiny_text_preset``), shrunk everywhere else (D = 8, N = 16 units, L = 8 clips, d = 16,
one Bi-TCN block). Exporting it traces three signatures, so it is done once per session.
"""

import pytest

from tiny_export import FEATURE_DIM, tiny_config


@pytest.fixture(scope="session")
def config():
    return tiny_config()


@pytest.fixture(scope="session")
def model(config):
    import keras

    from clear_tf.models import build_model

    keras.utils.set_random_seed(0)
    return build_model(config, FEATURE_DIM)


@pytest.fixture(scope="session")
def export_base(tmp_path_factory, model, config):
    """The model base path holding version 1 of the export."""
    from clear_tf.export import export_saved_model

    base = tmp_path_factory.mktemp("export")
    export_saved_model(model, base, config=config)
    return base


@pytest.fixture(scope="session")
def saved_model_dir(export_base):
    return str(export_base / "1")
