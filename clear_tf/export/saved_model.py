"""Exporting a trained model as a SavedModel for TF Serving and the Python API.

Layout (``export_dir`` is TF Serving's *model base path*)::

    export_dir/
      1/                              one SavedModel per version (TF Serving serves the
        saved_model.pb                highest number it finds)
        variables/
        assets.extra/clear_config.json  what the graph bakes in (``metadata``)

The signatures are those of ``clear_tf.export.signatures``. The export is written to a
hidden sibling folder and renamed into place (``versions.publish``), so a crash never
leaves a half-written version and TF Serving (which ignores non-numeric folder names)
never sees one.
"""

from __future__ import annotations

import os
import shutil
import uuid

from clear_tf.config import Config
from clear_tf.export.metadata import metadata, write_metadata
from clear_tf.export.signatures import serving_functions
from clear_tf.export.versions import next_version, publish

DEFAULT_VERSION = 1


def export_saved_model(
    model,
    export_dir: str | os.PathLike,
    *,
    config: Config,
    version: int | None = DEFAULT_VERSION,
    text_endpoints: bool = True,
) -> str:
    """Writes ``model`` as SavedModel version ``version`` under ``export_dir``.

    Args:
        model: a built ``clear_tf.models.MomentLocalizer``.
        export_dir: the model base path; the SavedModel goes to ``export_dir/<version>``.
        config: the run's config: ``data`` (resampling, normalisation, query length),
            ``model.text_preset`` (tokenizer), the inference method and its options.
        version: TF Serving version number. An existing version folder is replaced
            atomically; ``None`` writes the next free number (1 + the highest present),
            which a running TF Serving picks up as a new model version.
        text_endpoints: add ``localize_text`` and ``confidence_maps``. Without them
            the export holds core TensorFlow ops only and loads in any TensorFlow
            runtime, including ones built without TF Text.

    Returns:
        The path of the written SavedModel (``export_dir/<version>``).
    """
    import keras

    base = os.path.abspath(os.fspath(export_dir))
    os.makedirs(base, exist_ok=True)
    if version is None:
        version = next_version(base)
    if isinstance(version, bool) or not isinstance(version, int) or version < 0:
        raise ValueError(f"export version must be a non-negative integer, got {version!r}")
    target = os.path.join(base, str(version))

    archive = keras.export.ExportArchive()
    # No archive.track(model): on the TF backend it stores every weight a second time
    # (keras-team/keras#23553); the endpoints already track the variables they use.
    for name, (function, signature) in serving_functions(model, config, text_endpoints).items():
        archive.add_endpoint(name=name, fn=function, input_signature=signature)

    # A hidden name that TF Serving (which loads numeric folders only) never picks up;
    # mkdir rather than mkdtemp so that the folder gets the usual umask permissions
    # and a server running as another user can read it.
    staging = os.path.join(base, f".{version}.partial-{uuid.uuid4().hex[:8]}")
    os.mkdir(staging)
    try:
        archive.write_out(staging, verbose=False)
        write_metadata(staging, metadata(model, config, text_endpoints))
        publish(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target
