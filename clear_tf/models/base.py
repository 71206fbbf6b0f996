"""``MomentLocalizer``: the contract between a model and the generic toolkit.

The data pipeline, training driver, validation callback, evaluation, export, the
``Localizer`` API, the command line, plots and benchmarks are written once against this
class. A model subclasses it and supplies exactly what differs between models:

* its config section (``config_class``) and how to build itself from a run's config
  (``from_run_config``);
* what it trains on: ``training_targets`` (the ``y`` dict for its outputs, built in the
  input pipeline from the generic batch keys), ``build_losses`` (the Keras losses and
  weights of those outputs), ``training_model`` (the graph ``fit`` runs) and whether the
  pipeline should precompute frozen sentence vectors (``trains_on_sentence_vectors``);
* how it infers: ``encode_video`` and ``encode_queries`` (once per video, once per
  query) and ``score_candidates`` (a score for the kept cells of the L×L candidate
  grid, per inference method), from which the base class's ``localize`` ranks moments
  with NMS in TF ops; ``score_maps`` for the confidence-map plots and signature;
* how it is reported: ``inference_methods`` (the first is the default),
  ``validation_method`` (what model selection evaluates), ``ablation_rows`` (the rows
  of ``evaluate.py --all_ablations``), ``search_options`` (settings of its methods
  that the config holds), ``tune_search_options`` (settings chosen on val) and
  ``model_stats`` (parameters and FLOPs).

Every model exposes ``feature_dim`` (D), ``num_pre_clips`` (N, the input length),
``num_clips`` (L) and ``candidate_mask`` (np.bool [L, L], its candidate moments);
candidate (i, j) spans ``[i·T/L, (j+1)·T/L]`` (``clear_tf.moments``).

``TwoTowerLocalizer`` is the base of the models made of a video encoder, a
``SentenceEncoder`` and a cross-modal head (CLEAR, 2D-TAN, CDN): it supplies the
frozen-text training on precomputed sentence vectors and ``encode_video`` /
``encode_queries`` once for all of them.
"""

from __future__ import annotations

from typing import Callable, ClassVar

import keras
import numpy as np
import tensorflow as tf

from clear_tf.config import ModelConfig
from clear_tf.inference.candidates import prepare_features
from clear_tf.inference.nms import ranked_moments


class MomentLocalizer(keras.Model):
    """Base class of every moment-localization model (see the module docstring).

    Subclasses are Keras models (functional or subclassed) registered with
    ``keras.saving.register_keras_serializable`` and listed in
    ``clear_tf.models.registry``.
    """

    config_class: ClassVar[type[ModelConfig]] = ModelConfig
    inference_methods: ClassVar[tuple[str, ...]] = ()
    # Method → the names of the search options it takes (``search_options`` keys).
    method_options: ClassVar[dict[str, tuple[str, ...]]] = {}
    # Method that validation (model selection, early stopping) evaluates.
    validation_method: ClassVar[str] = ""
    # Keras loss-log names → the paper's names, added to the training logs.
    loss_aliases: ClassVar[dict[str, str]] = {}
    # Trained without start/end times (video–sentence pairs only); tables mark it.
    weakly_supervised: ClassVar[bool] = False

    # === Building ===

    @classmethod
    def from_run_config(cls, config, feature_dim: int) -> "MomentLocalizer":
        """The model for a full ``clear_tf.config.Config`` and the dataset's D."""
        raise NotImplementedError

    # === Training ===

    @classmethod
    def trains_on_sentence_vectors(cls, model_config) -> bool:
        """Whether ``training_model`` takes ``sentence_embedding`` instead of tokens."""
        return False

    @classmethod
    def video_inputs(cls, features, region_features, model_config):
        """The ``features`` input of the model from a video's unit and region features.

        Called in the input pipeline (``split_for_keras``) and in evaluation
        (``EvalVideos``) on [..., N, D] features and, when the dataset has them,
        ``region_features`` [..., N, O, D_r] (else None). The default ignores regions;
        a model that reads them (SLTA) packs them into one [..., N, D'] tensor, so that
        ``localize``, the export and the ``Localizer`` take one features array.
        """
        return features

    @classmethod
    def training_targets(cls, batch: dict, config) -> dict:
        """``y`` for ``fit``: output name → target tensor, from a pipeline batch.

        Runs inside ``tf.data`` on whole batches. The batch holds the generic keys of
        ARCHITECTURE.md ("Batch dict"): ``iou_map`` [B, K, L, L], ``times`` [B, K, 2],
        ``duration`` [B], ``query_mask`` [B, K], ... Every target gets ``query_mask``
        as its sample weight.
        """
        raise NotImplementedError

    @classmethod
    def build_losses(cls, config) -> tuple[dict, dict]:
        """``(losses, loss_weights)`` keyed by output name, for ``compile``."""
        raise NotImplementedError

    def training_model(self) -> keras.Model:
        """The graph ``fit`` runs: this model, or a weight-sharing view of it."""
        return self

    # === Inference (TF ops; traced inside tf.function and SavedModel signatures) ===

    @classmethod
    def search_options(cls, model_config) -> dict:
        """Keyword arguments of ``score_candidates`` that the config holds."""
        return {}

    @classmethod
    def uses_option(cls, method: str, name: str) -> bool:
        """Whether ``method`` takes the search option ``name``."""
        return name in cls.method_options.get(method, ())

    @classmethod
    def describe_training(cls, config) -> str:
        """One phrase saying how the config trains the model, for every results table."""
        return cls.__name__

    @classmethod
    def variant_name(cls, method: str, options: dict) -> str:
        """The name of a method with its options in file names (``eval_<variant>.json``)."""
        return method

    @classmethod
    def ablation_rows(cls) -> dict[str, tuple[str, dict]]:
        """Rows of the ablation table: row name → (method, options overriding the config's)."""
        return {cls.__name__: (cls.inference_methods[0], {})}

    def tune_search_options(self, config, evaluate: Callable[..., object]) -> dict:
        """Search options picked on the validation split (``evaluate.py --tune_thresholds``).

        Args:
            config: the run's config.
            evaluate: ``evaluate(method, **options)`` → an ``EvalResult`` on val.

        Returns:
            Config field name → value (empty when the model has nothing to tune).
        """
        return {}

    def encode_video(self, features: tf.Tensor):
        """The per-video representation from features [N, D] (N = ``num_pre_clips``)."""
        raise NotImplementedError

    def encode_queries(self, token_ids: tf.Tensor, padding_mask: tf.Tensor):
        """The per-query representation from token_ids / padding_mask [M, S]."""
        raise NotImplementedError

    def score_candidates(self, video, queries, *, method: str, **options):
        """Scores of the L×L candidate grid for each of M queries.

        Returns:
            ``(scores, kept, scored_fraction)``: float32 [M, L, L] (higher is better),
            bool [M, L, L] (the cells that may be returned) and float32 [M] (the share
            of the candidates whose expensive score was computed; 1 without pruning).
        """
        raise NotImplementedError

    # The inference options (``localize``'s keyword arguments) that also shape
    # ``score_maps``: the export's map signature passes these on (``map_options``), so
    # that the maps show the score the search ranks by.
    MAP_OPTIONS: tuple[str, ...] = ()

    def score_maps(self, video, queries, **options) -> tf.Tensor:
        """Confidence in [0, 1] of every cell [M, L, L] (0 outside the candidates).

        ``options``: values of ``MAP_OPTIONS`` (none for most models).
        """
        raise NotImplementedError

    def map_options(self, options: dict) -> dict:
        """The entries of inference ``options`` that ``score_maps`` takes."""
        return {name: options[name] for name in self.MAP_OPTIONS if name in options}

    def localize(
        self,
        features,
        token_ids,
        padding_mask,
        duration,
        *,
        method: str | None = None,
        nms_threshold: float = 0.4,
        top_k: int = 5,
        normalize_features: bool = False,
        **options,
    ) -> dict[str, tf.Tensor]:
        """Top-k moments of one video for each of M queries, in TF ops only.

        What evaluation, the export's signatures, the ``Localizer`` API and
        ``python -m clear_tf.localize`` all run. The video is encoded once for all
        queries. No ``py_function`` and no TF Text ops, so stock TF Serving loads a
        graph that calls it.

        Args:
            features: float [N', D] unit features of the video, any N' >= 1; resampled
                to ``num_pre_clips`` units.
            token_ids: int32 [M, S] tokenized queries.
            padding_mask: bool [M, S], True on real tokens.
            duration: scalar, the video's duration in seconds.
            method: one of ``inference_methods`` (None: the first).
            nms_threshold: temporal NMS threshold (suppress when IoU > threshold).
            top_k: moments returned per query.
            normalize_features: L2-normalise every unit (as in training).
            **options: the method's settings (``search_options``).

        Returns:
            ``start``, ``end`` (seconds) and ``score``, float32 [M, top_k], best first;
            slots beyond the moments that survive hold start = end = 0 and score -inf.
            ``scored_fraction`` float32 [M].
        """
        video = self.encode_video(prepare_features(features, self.num_pre_clips, normalize_features))
        queries = self.encode_queries(token_ids, padding_mask)
        return self.rank_moments(
            video, queries, duration, method=method, nms_threshold=nms_threshold, top_k=top_k, **options
        )

    def rank_moments(
        self,
        video,
        queries,
        duration,
        *,
        method: str | None = None,
        nms_threshold: float = 0.4,
        top_k: int = 5,
        **options,
    ) -> dict[str, tf.Tensor]:
        """``localize`` after the encoders: top-k moments from ``encode_video`` / ``encode_queries``.

        Apart so that a caller who scores one split many times (the search options
        picked on val, ``clear_tf.evaluation.tuning``) encodes every video and query once.

        Args:
            video: ``encode_video`` of the video.
            queries: ``encode_queries`` of its M queries.
            duration: scalar, the video's duration in seconds.
            method, nms_threshold, top_k, **options: as in ``localize``.

        Returns:
            What ``localize`` returns.
        """
        method = method or self.inference_methods[0]
        if method not in self.inference_methods:
            raise ValueError(
                f"unknown inference method {method!r} for {type(self).__name__}; "
                f"expected one of {self.inference_methods}"
            )
        scores, kept, scored = self.score_candidates(video, queries, method=method, **options)
        num_clips = int(self.num_clips)
        num_queries = tf.shape(scores)[0]
        # Cell (i, j) is the clip span [i, j + 1): NMS compares overlaps on these integers.
        cells = tf.range(num_clips * num_clips)
        flat = [num_queries, num_clips * num_clips]
        results = ranked_moments(
            tf.reshape(scores, flat),
            tf.reshape(kept, flat),
            cells // num_clips,
            cells % num_clips + 1,
            tf.cast(duration, tf.float32) / num_clips,
            iou_threshold=nms_threshold,
            top_k=top_k,
        )
        results["scored_fraction"] = scored
        return results

    def confidence_maps(
        self, features, token_ids, padding_mask, normalize_features: bool = False, **map_options
    ):
        """``score_maps`` of one video [N', D] for M queries: float32 [M, L, L].

        ``map_options``: values of ``MAP_OPTIONS`` (``map_options(inference options)``).
        """
        video = self.encode_video(prepare_features(features, self.num_pre_clips, normalize_features))
        return self.score_maps(video, self.encode_queries(token_ids, padding_mask), **map_options)

    # === Reporting ===

    def model_stats(self, num_tokens: int = 32) -> dict:
        """Parameters and FLOPs: ``{"parameters", "flops_per_video", "flops_per_query"}``,
        each a dict of named counts with a ``total`` (``clear_tf.model_stats`` formats it)."""
        raise NotImplementedError

    def valid_candidates(self, num_queries) -> tf.Tensor:
        """``candidate_mask`` broadcast to bool [M, L, L]."""
        mask = tf.constant(np.asarray(self.candidate_mask, dtype=bool))
        return tf.broadcast_to(mask, [num_queries, *mask.shape])


class TwoTowerLocalizer(MomentLocalizer):
    """A ``MomentLocalizer`` made of a video tower, a ``SentenceEncoder`` and a cross-modal head.

    CLEAR, 2D-TAN and CDN share this shape: ``video_encoder`` (a ``keras.Model``:
    features [B, N, D] → the per-video representation, e.g. the moment map
    [B, L, L, d]), a ``clear_tf.layers.SentenceEncoder`` (BERT → sentence vector →
    projection q) and ``interaction_outputs(video, queries)``, the head that turns the
    two into the named training outputs. This class supplies, once for all of them,
    the frozen-text training on precomputed sentence vectors (``sentence_vector_model``,
    ``training_model``, ``trains_on_sentence_vectors``) and ``encode_video`` /
    ``encode_queries``.

    Subclasses set, in ``__init__``: ``text_backbone``, ``text_trainable``,
    ``feature_dim``, ``num_pre_clips``, ``num_clips``, ``hidden_dim``, ``video_encoder``, ``query_encoder`` (a
    ``keras.Model``: {token_ids, padding_mask} [M, S] → q [M, d]) and
    ``_sentence_encoder`` (the ``SentenceEncoder`` layer), and implement
    ``interaction_outputs``.
    """

    def interaction_outputs(self, video, queries, training=None) -> dict:
        """The named outputs from the video representation [B, ...] and q [B, K, d]."""
        raise NotImplementedError

    def get_config(self):
        """The arguments every two-tower model takes; subclasses add their own."""
        return {
            "name": self.name,
            "trainable": self.trainable,
            "text_backbone": keras.layers.serialize(self.text_backbone),
            "feature_dim": self.feature_dim,
            "num_pre_clips": self.num_pre_clips,
            "num_clips": self.num_clips,
            "hidden_dim": self.hidden_dim,
            "text_trainable": self.text_trainable,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["text_backbone"] = keras.layers.deserialize(config["text_backbone"])
        return cls(**config)

    @classmethod
    def trains_on_sentence_vectors(cls, model_config) -> bool:
        return not model_config.text_trainable

    def training_model(self) -> keras.Model:
        """``sentence_vector_model()`` with a frozen text encoder, else this model."""
        return self if self.text_trainable else self.sentence_vector_model()

    def sentence_vector_model(self) -> keras.Model:
        """The same network fed precomputed sentence vectors instead of token ids.

        With a frozen text encoder the sentence vector of a query never changes, so the
        input pipeline computes it once per query (``clear_tf.data``, ``text_vectors``)
        and training runs this view: inputs ``features`` [B, N, D] and
        ``sentence_embedding`` [B, K, E] (E: BERT's width), the same outputs. Every
        layer and weight is shared with this model, which stays the one to save,
        evaluate and export. It skips BERT, most of a step's cost, in every step
        (BENCHMARKS.md, "Training the demo", has the step times).

        Returns:
            A functional ``keras.Model`` sharing this model's layers.
        """
        if self.text_trainable:
            raise ValueError("sentence vectors are fixed only for a frozen text encoder")
        inputs = {
            "features": keras.Input((self.num_pre_clips, self.feature_dim), name="features"),
            "sentence_embedding": keras.Input(
                (None, self.text_backbone.hidden_dim), name="sentence_embedding"
            ),
        }
        queries = self._sentence_encoder.projection(inputs["sentence_embedding"])
        video = self.video_encoder(inputs["features"])
        return keras.Model(
            inputs,
            self.interaction_outputs(video, queries),
            name=f"{self.name}_on_sentence_vectors",
        )

    def encode_video(self, features):
        """The video representation (CLEAR, 2D-TAN, CDN: the map [L, L, d]) of features [N, D]."""
        return tf.cast(self.video_encoder(features[tf.newaxis], training=False)[0], tf.float32)

    def encode_queries(self, token_ids, padding_mask):
        """q [M, d] of M tokenized queries."""
        return tf.cast(
            self.query_encoder({"token_ids": token_ids, "padding_mask": padding_mask}, training=False),
            tf.float32,
        )
