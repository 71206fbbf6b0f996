"""``Localizer``: the Python client of an exported SavedModel (any model of the toolkit)."""

from __future__ import annotations

import os
from typing import Sequence

import numpy as np

from clear_tf.export.checks import assertion_message
from clear_tf.export.request import InvalidRequestError, check_request
from clear_tf.export.metadata import read_metadata
from clear_tf.export.saved_model import QUERY_LENGTHS_SIGNATURE
from clear_tf.export.signatures import MAPS_SIGNATURE, TEXT_SIGNATURE
from clear_tf.export.versions import resolve_version


class Localizer:
    """Localizes natural-language queries in a video with an exported model.

    Loads the SavedModel written by ``clear_tf.export.export_saved_model`` and calls its
    ``localize_text`` signature, so the tokenizer baked into the export is the one
    used, exactly as in training. Needs TensorFlow and TF Text (imported here to
    register the tokenizer's ops); neither Keras nor keras-hub is used.

    Requests are checked in Python first (``clear_tf.export.request.check_request``),
    so bad input raises ``InvalidRequestError`` naming the field; what only the graph's
    checks catch is raised the same way, without TensorFlow's trace.

    A query longer than the export's ``max_query_tokens`` is cut to that many tokens
    (as in training); its result then carries a ``warning`` saying so (exports written
    before ``query_lengths`` existed cannot tell).

    Args:
        export_dir: a SavedModel folder (``<base>/<version>``) or a model base path, in
            which case the highest numbered version is loaded.

    Example (needs an export, e.g. the one ``make demo`` writes; not run as a doctest)::

        localizer = Localizer("runs/demo/export")
        results = localizer.localize(features, 42.0, ["a person opens the fridge"])
        results[0]["moments"][0]  # {'start': ..., 'end': ..., 'score': ...}
    """

    def __init__(self, export_dir: str | os.PathLike):
        try:
            self.saved_model_dir = resolve_version(export_dir)
            self.metadata = read_metadata(self.saved_model_dir)
        except FileNotFoundError as error:
            raise InvalidRequestError(f"cannot use export {os.fspath(export_dir)}: {error}") from None
        if TEXT_SIGNATURE not in self.metadata["signatures"]:
            raise InvalidRequestError(
                f"export {self.saved_model_dir} was written without text endpoints "
                "(text_endpoints=False); call its serving_default signature with token ids"
            )
        import tensorflow as tf
        import tensorflow_text  # noqa: F401  (registers the tokenizer's ops before loading)

        self._tf = tf
        self._saved_model = tf.saved_model.load(self.saved_model_dir)
        self._localize = self._saved_model.signatures[TEXT_SIGNATURE]
        self._confidence_maps = self._saved_model.signatures[MAPS_SIGNATURE]
        self._query_lengths = self._saved_model.signatures.get(QUERY_LENGTHS_SIGNATURE)

    @property
    def max_query_tokens(self) -> int:
        """S: tokens per query the model sees, ``[CLS]`` and ``[SEP]`` included."""
        return int(self.metadata["max_query_tokens"])

    def cut_queries(self, queries: Sequence[str]) -> list[int | None]:
        """For each query, the tokens it needs when that is more than ``max_query_tokens``
        (the model then sees only its beginning), else None; all None for an export
        without ``query_lengths``."""
        if self._query_lengths is None:
            return [None] * len(queries)
        counts = self._call(self._query_lengths, queries=self._tf.constant(list(queries)))["num_tokens"]
        limit = self.max_query_tokens
        return [int(count) if count > limit else None for count in counts.numpy()]

    def _call(self, signature, **inputs):
        """Runs a signature; a failed input check in the graph becomes ``InvalidRequestError``."""
        try:
            return signature(**inputs)
        except self._tf.errors.InvalidArgumentError as error:
            raise InvalidRequestError(assertion_message(error)) from None

    @property
    def feature_dim(self) -> int:
        """D, the unit feature size the model takes."""
        return int(self.metadata["feature_dim"])

    @property
    def top_k(self) -> int:
        """Moments per query the export returns at most."""
        return int(self.metadata["inference"]["top_k"])

    @property
    def num_clips(self) -> int:
        """L, the side of the confidence maps."""
        return int(self.metadata["num_clips"])

    def localize(
        self,
        features: np.ndarray,
        duration: float,
        queries: Sequence[str],
        top_k: int | None = None,
    ) -> list[dict]:
        """The top moments of every query.

        Args:
            features: the video's unit features [T, D] (any T >= 1; the export
                resamples them as in training).
            duration: the video's length in seconds.
            queries: M query sentences.
            top_k: moments per query (default and maximum: the export's ``top_k``).

        Returns:
            One dict per query, in order: ``query`` (the sentence) and ``moments``, a
            list of {``start``, ``end``, ``score``} (seconds; best first). A query gets
            fewer than ``top_k`` moments when fewer survive the search and NMS. A query
            longer than ``max_query_tokens`` also gets ``warning`` (a sentence: how
            many tokens it has and that only the first ``max_query_tokens`` were used).
        """
        top_k = self._check_top_k(top_k)
        features, duration, queries = check_request(
            features, duration, queries, feature_dim=self.feature_dim
        )
        outputs = self._call(
            self._localize,
            queries=self._tf.constant(queries),
            features=self._tf.constant(features),
            duration=self._tf.constant(duration, self._tf.float32),
        )
        cut = self.cut_queries(queries)
        starts, ends, scores = (outputs[name].numpy() for name in ("start", "end", "score"))
        results = []
        for index, query in enumerate(queries):
            # Empty slots (score -inf) pad the queries with fewer moments than top_k.
            kept = np.isfinite(scores[index])[:top_k]
            result = {
                "query": query,
                "moments": [
                    {
                        "start": float(starts[index, slot]),
                        "end": float(ends[index, slot]),
                        "score": float(scores[index, slot]),
                    }
                    for slot in np.flatnonzero(kept)
                ],
            }
            if cut[index] is not None:
                result["warning"] = (
                    f"the query has {cut[index]} tokens; the model read only the first "
                    f"{self.max_query_tokens} (max_query_tokens, [CLS] and [SEP] included)"
                )
            results.append(result)
        return results

    def confidence_maps(
        self, features: np.ndarray, duration: float, queries: Sequence[str]
    ) -> np.ndarray:
        """The fine head's score of every candidate moment, for plots.

        Args:
            features: the video's unit features [T, D].
            duration: the video's length in seconds (checked like ``localize``; the maps
                themselves are in clips: cell (i, j) spans [i·T/L, (j+1)·T/L]).
            queries: M query sentences.

        Returns:
            float32 [M, L, L]: the fine score the exported search ranks by, as a
            probability, on every candidate (no pruning); NaN where (i, j) is not a
            candidate moment.
        """
        features, duration, queries = check_request(
            features, duration, queries, feature_dim=self.feature_dim
        )
        outputs = self._call(
            self._confidence_maps, queries=self._tf.constant(queries), features=self._tf.constant(features)
        )
        scores = outputs["fine_scores"].numpy()
        candidates = outputs["candidate_mask"].numpy().astype(bool)
        return np.where(candidates[np.newaxis], scores, np.float32(np.nan))

    def _check_top_k(self, top_k: int | None) -> int:
        if top_k is None:
            return self.top_k
        if isinstance(top_k, bool) or not isinstance(top_k, (int, np.integer)) or not 1 <= top_k <= self.top_k:
            raise InvalidRequestError(
                f"top_k must be an integer in [1, {self.top_k}] (the export's top_k), got {top_k!r}"
            )
        return int(top_k)
