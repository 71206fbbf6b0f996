"""SavedModel export, the ``Localizer`` Python API and request checking (DESIGN §6).

``export_saved_model`` writes ``<export_dir>/<version>/``; ``Localizer`` serves it from
Python; ``python -m clear_tf.localize`` from the command line; ``docs/SERVING.md`` shows
TF Serving.
"""

from clear_tf.export.localizer import Localizer
from clear_tf.export.request import (
    InvalidRequestError,
    check_request,
    load_features,
    read_queries_file,
)
from clear_tf.export.saved_model import (
    DEFAULT_VERSION,
    MAPS_SIGNATURE,
    METADATA_PATH,
    SERVING_SIGNATURE,
    TEXT_SIGNATURE,
    export_saved_model,
    next_version,
    read_metadata,
    resolve_version,
)

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
