"""Reading and checking a localization request before it reaches the model.

A request is one video (unit features [T, D] and its duration in seconds) and a list
of query sentences. Every problem is reported as an ``InvalidRequestError`` whose
message names the file, key, field or query at fault, so that the Python API and the
command line can show it as is (the CLI exits with status 2, no traceback).

Feature files (``load_features``):

* ``path.npy``: a [T, D] array.
* ``path.hdf5:key`` (or ``.h5``): the TACoS layout, a dataset per video at ``key``
  (stored with or without the ``.avi`` suffix; either spelling finds it), or the
  ActivityNet Captions layout, a group ``key`` holding the dataset ``c3d_features``.
"""

from __future__ import annotations

import math
import os
from typing import Sequence

import numpy as np

HDF5_SUFFIXES = (".hdf5", ".h5", ".hdf")
# The export takes float32 inputs: a larger duration would arrive as inf.
FLOAT32_MAX = float(np.finfo(np.float32).max)
ACTIVITYNET_DATASET = "c3d_features"
TACOS_SUFFIX = ".avi"


class InvalidRequestError(ValueError):
    """A localization request that cannot be served; the message says why."""


def load_features(spec: str) -> np.ndarray:
    """Loads the unit features of one video.

    Args:
        spec: ``path.npy`` or ``path.hdf5:key`` (see the module docstring).

    Returns:
        float32 [T, D] (not yet checked: see ``check_request``).

    Raises:
        InvalidRequestError: the file or key is missing, or the file is not readable
            as features.
    """
    path, key = _split_spec(spec)
    if not os.path.isfile(path):
        raise InvalidRequestError(f"features file {path} does not exist")
    if path.endswith(".npy"):
        if key is not None:
            raise InvalidRequestError(f"{spec}: a .npy file holds one video; drop ':{key}'")
        try:
            features = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as error:
            raise InvalidRequestError(f"features file {path} is not a readable .npy array: {error}")
        return _as_float_matrix(features, path)
    if not path.endswith(HDF5_SUFFIXES):
        raise InvalidRequestError(
            f"features file {path}: expected a .npy file or an HDF5 file "
            f"({', '.join(HDF5_SUFFIXES)}) followed by :video_key"
        )
    if key is None:
        raise InvalidRequestError(
            f"features file {path} is HDF5: name the video as {path}:<video key>"
        )
    return _load_hdf5_video(path, key)


def check_request(
    features: np.ndarray,
    duration: float,
    queries: Sequence[str],
    *,
    feature_dim: int,
    source: str = "features",
) -> tuple[np.ndarray, float, list[str]]:
    """Checks one request against what the model accepts.

    Args:
        features: [T, D] unit features.
        duration: the video's length in seconds.
        queries: the query sentences.
        feature_dim: D the model was trained with.
        source: how to name the features in messages (e.g. the file they came from).

    Returns:
        ``(features float32 [T, D], duration float, queries list[str])``.

    Raises:
        InvalidRequestError: naming the field and the problem.
    """
    features = _as_float_matrix(features, source)
    if features.shape[0] == 0:
        raise InvalidRequestError(f"{source} has no units (shape {features.shape})")
    if features.shape[1] != feature_dim:
        raise InvalidRequestError(
            f"{source} has {features.shape[1]} dimensions per unit; the model expects "
            f"D = {feature_dim} (shape {features.shape})"
        )
    finite = np.isfinite(features)
    if not finite.all():
        unit = int(np.argmin(finite.all(axis=1)))
        raise InvalidRequestError(f"{source} contains NaN or Inf (first at unit {unit})")
    try:
        duration = float(duration)
    except (TypeError, ValueError):
        raise InvalidRequestError(f"duration must be a number of seconds, got {duration!r}")
    if not math.isfinite(duration) or duration <= 0:
        raise InvalidRequestError(f"duration must be a positive number of seconds, got {duration}")
    if duration > FLOAT32_MAX:
        raise InvalidRequestError(
            f"duration must be a positive number of seconds that fits a float32 "
            f"(at most {FLOAT32_MAX:.3g}), got {duration:g}"
        )
    if isinstance(queries, str):
        raise InvalidRequestError("queries must be a list of sentences, got a single string")
    queries = list(queries)
    if not queries:
        raise InvalidRequestError("no queries: give at least one query sentence")
    for index, query in enumerate(queries):
        if not isinstance(query, str):
            raise InvalidRequestError(f"query {index} is not a string: {query!r}")
        if not query.strip():
            raise InvalidRequestError(f"query {index} is empty")
    return features, duration, queries


def check_token_request(token_ids, padding_mask) -> tuple[np.ndarray, np.ndarray]:
    """Checks the token inputs of the ``serving_default`` signature (numeric requests).

    Args:
        token_ids: [M, S] vocabulary ids (``[CLS] … [SEP]`` then 0-padding).
        padding_mask: [M, S], 1 on real tokens and 0 on padding.

    Returns:
        ``(token_ids int32 [M, S], padding_mask int32 [M, S])``.

    Raises:
        InvalidRequestError: naming the input and the problem (what the export's graph
            checks would reject, said before the call).
    """
    ids, mask = np.asarray(token_ids), np.asarray(padding_mask)
    for name, value in (("token_ids", ids), ("padding_mask", mask)):
        if value.ndim != 2:
            raise InvalidRequestError(f"{name} must be a [queries, tokens] matrix, got shape {value.shape}")
        if value.size and not (np.issubdtype(value.dtype, np.integer) or value.dtype == bool):
            if not (np.issubdtype(value.dtype, np.floating) and np.all(np.mod(value, 1) == 0)):
                raise InvalidRequestError(f"{name} must hold integers, got dtype {value.dtype}")
    if ids.shape != mask.shape:
        raise InvalidRequestError(
            f"token_ids and padding_mask must have the same shape [M, S], got {ids.shape} and {mask.shape}"
        )
    if ids.shape[0] == 0:
        raise InvalidRequestError("no queries: token_ids has no rows")
    if np.any(ids < 0) or np.any(ids > np.iinfo(np.int32).max):
        query = int(np.argmax(np.any((ids < 0) | (ids > np.iinfo(np.int32).max), axis=1)))
        raise InvalidRequestError(
            f"token_ids must be vocabulary ids (0 <= id < 2**31); query {query} has {ids[query].tolist()}"
        )
    if not np.all(np.isin(mask, (0, 1))):
        raise InvalidRequestError("padding_mask must hold 0 (padding) and 1 (real tokens) only")
    empty = ~np.any(mask == 1, axis=1)
    if np.any(empty):
        raise InvalidRequestError(
            f"query {int(np.argmax(empty))} has no real token (its row of padding_mask is all 0)"
        )
    return ids.astype(np.int32), mask.astype(np.int32)


def read_queries_file(path: str) -> list[str]:
    """One query per line; blank lines are ignored (but a file with none is an error)."""
    if not os.path.isfile(path):
        raise InvalidRequestError(f"queries file {path} does not exist")
    with open(path, encoding="utf-8") as handle:
        queries = [line.strip() for line in handle if line.strip()]
    if not queries:
        raise InvalidRequestError(f"queries file {path} holds no query")
    return queries


def _split_spec(spec: str) -> tuple[str, str | None]:
    """``path`` or ``path:key``; a colon inside an existing file's name is kept."""
    if os.path.isfile(spec):
        return spec, None
    path, separator, key = spec.rpartition(":")
    if not separator or not path:
        return spec, None
    return path, key


def _load_hdf5_video(path: str, key: str) -> np.ndarray:
    import h5py

    try:
        handle = h5py.File(path, "r")
    except OSError as error:
        raise InvalidRequestError(f"features file {path} is not a readable HDF5 file: {error}")
    with handle:
        candidates = [key]
        if key.endswith(TACOS_SUFFIX):
            candidates.append(key[: -len(TACOS_SUFFIX)])
        else:
            candidates.append(key + TACOS_SUFFIX)
        found = next((name for name in candidates if name in handle), None)
        if found is None:
            names = sorted(handle.keys())
            examples = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
            raise InvalidRequestError(
                f"features file {path} has no video {key!r} (tried {', '.join(map(repr, candidates))}); "
                f"it holds {len(names)} entries ({examples})"
            )
        entry = handle[found]
        if isinstance(entry, h5py.Group):
            if ACTIVITYNET_DATASET not in entry:
                raise InvalidRequestError(
                    f"features file {path}: group {found!r} has no dataset "
                    f"{ACTIVITYNET_DATASET!r} (it holds {sorted(entry.keys())})"
                )
            entry = entry[ACTIVITYNET_DATASET]
        return _as_float_matrix(entry[()], f"{path}:{found}")


def _as_float_matrix(features, source: str) -> np.ndarray:
    features = np.asarray(features)
    if features.ndim != 2:
        raise InvalidRequestError(
            f"{source} must be a [units, dimensions] matrix, got shape {features.shape}"
        )
    if not (np.issubdtype(features.dtype, np.floating) or np.issubdtype(features.dtype, np.integer)):
        raise InvalidRequestError(f"{source} must hold numbers, got dtype {features.dtype}")
    return features.astype(np.float32, copy=False)
