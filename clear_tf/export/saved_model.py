"""Exporting a trained model as a SavedModel for TF Serving and the Python API.

Layout (``export_dir`` is TF Serving's *model base path*)::

    export_dir/
      1/                              one SavedModel per version (TF Serving serves the
        saved_model.pb                highest number it finds)
        variables/
        assets.extra/clear_config.json  what the graph bakes in (``metadata``)

The signatures are those of ``clear_tf.export.signatures`` and, with the text endpoints,
``query_lengths`` (``queries`` string [M] → ``num_tokens`` int32 [M], the tokens each
query needs, ``[CLS]`` and ``[SEP]`` included, before the cut to ``max_query_tokens``),
which ``Localizer`` uses to warn about queries the model sees only in part. The export
is written to a hidden sibling folder and renamed into place (``versions.publish``), so
a crash never leaves a half-written version and TF Serving (which ignores non-numeric
folder names) never sees one; ``remove_stale_versions`` clears what a kill left.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from typing import Callable

from clear_tf.config import Config
from clear_tf.export.metadata import metadata, write_metadata
from clear_tf.export.signatures import serving_functions
from clear_tf.export.versions import next_version, publish

DEFAULT_VERSION = 1
QUERY_LENGTHS_SIGNATURE = "query_lengths"
_STAGING = re.compile(r"^\.([0-9]+)\.(partial|previous)-[0-9a-f]+$")


def query_lengths_endpoint(config: Config):
    """``query_lengths``: (Python function, input signature) counting each query's tokens."""
    import tensorflow as tf

    from clear_tf.data.query_tokenizer import QueryTokenizer

    tokenizer = QueryTokenizer(config.model.text_preset, config.data.max_query_tokens)

    def query_lengths(queries):
        return {"num_tokens": tokenizer.token_counts(queries)}

    return query_lengths, [tf.TensorSpec([None], tf.string, name="queries")]


def remove_stale_versions(export_dir: str | os.PathLike) -> list[str]:
    """Clears what a killed export left under a model base path; returns the names removed.

    ``.<N>.partial-*`` folders (an export interrupted before publication) are deleted.
    A ``.<N>.previous-*`` folder (a re-export killed between moving the old version
    aside and moving the new one in) is moved back to ``<N>`` when ``<N>`` is missing,
    and deleted otherwise.
    """
    base = os.fspath(export_dir)
    if not os.path.isdir(base):
        return []
    removed = []
    for name in sorted(os.listdir(base)):
        match = _STAGING.match(name)
        if not match:
            continue
        path, target = os.path.join(base, name), os.path.join(base, match.group(1))
        if match.group(2) == "previous" and not os.path.exists(target):
            os.rename(path, target)
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(name)
    return removed


def export_saved_model(
    model,
    export_dir: str | os.PathLike,
    *,
    config: Config,
    version: int | None = DEFAULT_VERSION,
    text_endpoints: bool | None = None,
    before_publish: Callable[[], None] | None = None,
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
        text_endpoints: add ``localize_text``, ``confidence_maps`` and
            ``query_lengths``. Without them the export holds core TensorFlow ops only
            and loads in any TensorFlow runtime, including ones built without TF Text.
            None: ``config.train.export_text_endpoints`` (``--export_text_endpoints``).
        before_publish: called once the new version is complete under its hidden
            name, before it is renamed into place (the trainer's crash-test hook).

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

    if text_endpoints is None:
        text_endpoints = bool(config.train.export_text_endpoints)
    archive = keras.export.ExportArchive()
    # No archive.track(model): on the TF backend it stores every weight a second time
    # (keras-team/keras#23553); the endpoints already track the variables they use.
    for name, (function, signature) in serving_functions(model, config, text_endpoints).items():
        archive.add_endpoint(name=name, fn=function, input_signature=signature)
    if text_endpoints:
        function, signature = query_lengths_endpoint(config)
        archive.add_endpoint(name=QUERY_LENGTHS_SIGNATURE, fn=function, input_signature=signature)

    # A hidden name that TF Serving (which loads numeric folders only) never picks up;
    # mkdir rather than mkdtemp so that the folder gets the usual umask permissions
    # and a server running as another user can read it.
    staging = os.path.join(base, f".{version}.partial-{uuid.uuid4().hex[:8]}")
    os.mkdir(staging)
    try:
        archive.write_out(staging, verbose=False)
        payload = metadata(model, config, text_endpoints)
        if text_endpoints:
            payload["signatures"][QUERY_LENGTHS_SIGNATURE] = {
                "inputs": {"queries": ["string", [None]]},
                "outputs": {"num_tokens": ["int32", [None]]},
            }
        write_metadata(staging, payload)
        if before_publish is not None:
            before_publish()
        publish(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target
