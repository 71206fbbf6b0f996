"""SavedModel export, the ``Localizer`` Python client and request checking (DESIGN §6).

``export_saved_model`` writes ``<export_dir>/<version>/`` (``saved_model``) with the
signatures of ``signatures``, the input checks of ``checks`` and the metadata of
``metadata``, published atomically (``versions``); ``Localizer`` (``client``) serves
it from Python; ``python -m clear_tf.localize`` from the command line;
``docs/SERVING.md`` shows TF Serving.
"""

from clear_tf.export.client import Localizer
from clear_tf.export.metadata import METADATA_PATH, read_metadata
from clear_tf.export.request import (
    InvalidRequestError,
    check_request,
    load_features,
    read_queries_file,
)
from clear_tf.export.saved_model import DEFAULT_VERSION, export_saved_model
from clear_tf.export.signatures import MAPS_SIGNATURE, SERVING_SIGNATURE, TEXT_SIGNATURE
from clear_tf.export.versions import next_version, resolve_version

__all__ = [
    "DEFAULT_VERSION",
    "InvalidRequestError",
    "Localizer",
    "MAPS_SIGNATURE",
    "METADATA_PATH",
    "SERVING_SIGNATURE",
    "TEXT_SIGNATURE",
    "check_request",
    "export_saved_model",
    "load_features",
    "next_version",
    "read_metadata",
    "read_queries_file",
    "resolve_version",
]
