"""SLTA (Jiang et al., ICMR 2019) as one functional Keras model."""

from __future__ import annotations

from absl import logging
import keras
import numpy as np
import tensorflow as tf

from clear_tf import moments
from clear_tf.layers import CandidateMask, ClipPooling
from clear_tf.models.base import MomentLocalizer
from clear_tf.models.iou_map_training import IoUMapTraining
from clear_tf.models.slta import stats
from clear_tf.models.slta.config import SLTAConfig
from clear_tf.models.slta.cross_modal_fusion import CrossModalFusion
from clear_tf.models.slta.language_temporal_attention import LanguageTemporalAttention
from clear_tf.models.slta.query_moment_map import QueryMomentMap
from clear_tf.models.slta.spatial_attention import SpatialAttention
from clear_tf.models.slta.word_encoder import WordEncoder

INVALID_LOGIT = -1e4
METHOD = "slta"


def packed_width(unit_dim: int, num_regions: int, region_dim: int) -> int:
    """D' of SLTA's packed video input: D unit dims, then O·D_r region dims (none for O = 0)."""
    return unit_dim + num_regions * region_dim


def pack_regions(features, region_features):
    """[..., N, D] and [..., N, O, D_r] → [..., N, D + O·D_r] (TF ops)."""
    regions = tf.convert_to_tensor(region_features, tf.float32)
    shape = tf.concat([tf.shape(regions)[:-2], [regions.shape[-2] * regions.shape[-1]]], axis=0)
    return tf.concat([tf.cast(features, tf.float32), tf.reshape(regions, shape)], axis=-1)


def region_setting(config) -> tuple[int, int] | None:
    """(O, D_r) the run's SLTA reads: the dataset's regions with ``--use_regions``, else None."""
    if not config.model.use_regions:
        return None
    from clear_tf import dataset_info

    return dataset_info.region_shape(config)


@keras.saving.register_keras_serializable(package="clear_tf")
class SLTA(IoUMapTraining, MomentLocalizer):
    """Spatial and language-temporal attention (SLTA) over the candidates of the moment map.

    Video input: one packed array [B, N, D + O·D_r], the unit features then the O region
    features of D_r dims of every unit (``video_inputs`` packs the dataset's
    ``region_features``; ``num_regions`` = 0: unit features alone). Every unit is L2-
    normalised, and so is every region, inside the model.

    * Video tower (once per video): units → Dense + ReLU → average into L clips →
      temporal convolution (``context_kernel``, ReLU, the clips' context) → c [B, L, d];
      regions → Dense + ReLU → r [B, N, O, d]. Without regions, the projected unit is
      the unit's single region (O = 1).
    * Query tower (once per query): frozen word vectors → BiLSTM → words h [B, K, S, d]
      and the sentence vector q (``WordEncoder``).
    * Spatial attention (``SpatialAttention``): per query, the regions of every unit
      weighted by q, averaged into the L clips → a [B, K, L, d]; the clip of query k is
      Dense + ReLU of [c; a].
    * Moments: every candidate, all L(L+1)/2 of them, as its central part (mean and
      max of clips i..j) and its context (clips i - 1 and j + 1), TALL/SLTA's moment
      representation (``QueryMomentMap``) → Dense + ReLU → v [B, K, L, L, d].
    * Language-temporal attention (``LanguageTemporalAttention``): every candidate
      weights the words by its own v → l [B, K, L, L, d].
    * Fusion and scoring (``CrossModalFusion``): v ⊙ l, v + l, FC[v; l] → MLP → the
      alignment logit of every candidate → ``logits`` [B, K, L, L] (-1e4 outside the
      candidates), trained by the BCE on the IoU rescaled between ``min_iou`` and
      ``max_iou`` (``clear_tf.losses.FineAlignmentLoss``), ranked by its sigmoid and NMS.

    Departures from the paper (TF 1.7 notebook): the candidates are the cells of the
    moment map, where the paper scores multi-scale sliding windows and regresses two
    boundary offsets per window (the map's cells tile every (start, end) at the clip
    grid, so there is nothing to offset, and every toolkit model then shares one
    candidate set, NMS and metric code); the alignment loss is the BCE on the rescaled
    IoU of every cell, a soft version of the paper's positive/negative alignment loss
    on windows; the word vectors are BERT's input embeddings instead of GloVe; the
    language-temporal attention scores by scaled dot product instead of additively.

    Args:
        vocabulary_size: rows of the word-vector table (the BERT vocabulary).
        word_dim: E, width of the word vectors.
        feature_dim: D' of the packed input (``packed_width(unit_dim, num_regions, region_dim)``).
        unit_dim: D of the unit features.
        num_regions: O (0: no region features, the unit is the single region).
        region_dim: D_r (ignored when ``num_regions`` is 0).
        num_pre_clips: N, units per video (a multiple of L).
        num_clips: L.
        hidden_dim: d (even).
        attention_dim: width of both attentions.
        context_kernel: kernel of the clips' temporal convolution (odd).
        dropout: dropout in the fusion MLP.
        text_trainable: fine-tune the word vectors.
        **kwargs: ``keras.Model`` arguments.

    Example:

    >>> import numpy as np
    >>> model = SLTA(vocabulary_size=50, word_dim=6, feature_dim=6 + 3 * 4, unit_dim=6,
    ...              num_regions=3, region_dim=4, num_pre_clips=16, num_clips=8, hidden_dim=8,
    ...              attention_dim=4)
    >>> ids = np.array([[[2, 7, 8, 3], [2, 9, 3, 0]]], "int32")  # [B=1, K=2, S=4]
    >>> features = np.random.rand(1, 16, 18).astype("float32")  # [B, N, D + O·D_r]
    >>> logits = model({"features": features, "token_ids": ids, "padding_mask": ids != 0})["logits"]
    >>> tuple(logits.shape), float(logits[0, 0, 1, 0])  # [B, K, L, L]; -1e4 at i > j
    ((1, 2, 8, 8), -10000.0)
    """

    def __init__(
        self,
        vocabulary_size,
        word_dim,
        feature_dim,
        unit_dim=None,
        num_regions=0,
        region_dim=0,
        num_pre_clips=256,
        num_clips=128,
        hidden_dim=256,
        attention_dim=128,
        context_kernel=3,
        dropout=0.1,
        text_trainable=False,
        **kwargs,
    ):
        unit_dim = feature_dim if unit_dim is None else unit_dim
        if num_regions < 0 or (num_regions and region_dim <= 0):
            raise ValueError(f"SLTA: num_regions={num_regions}, region_dim={region_dim}: need O >= 0 and D_r > 0")
        expected = packed_width(unit_dim, num_regions, region_dim)
        if feature_dim != expected:
            raise ValueError(
                f"SLTA: feature_dim={feature_dim} but unit_dim + num_regions·region_dim = "
                f"{unit_dim} + {num_regions}·{region_dim} = {expected}"
            )
        if num_pre_clips % num_clips:
            raise ValueError(f"SLTA: num_pre_clips={num_pre_clips} must be a multiple of num_clips={num_clips}")

        video_encoder = _video_encoder(
            feature_dim, unit_dim, num_regions, region_dim, num_pre_clips, num_clips, hidden_dim, context_kernel
        )
        word_encoder = WordEncoder(
            vocabulary_size, word_dim, hidden_dim, trainable_embeddings=text_trainable, name="word_encoder"
        )
        query_inputs = {
            "token_ids": keras.Input((None,), dtype="int32", name="token_ids"),
            "padding_mask": keras.Input((None,), dtype="int32", name="padding_mask"),
        }
        words, sentence = word_encoder(query_inputs["token_ids"], query_inputs["padding_mask"])
        query_encoder = keras.Model(
            query_inputs,
            {"words": words, "sentence": sentence, "padding_mask": query_inputs["padding_mask"]},
            name="query_encoder",
        )
        head = {
            "spatial_attention": SpatialAttention(attention_dim, num_clips=num_clips, name="spatial_attention"),
            "clip_projection": keras.layers.Dense(hidden_dim, name="clip_projection"),
            "attended_projection": keras.layers.Dense(hidden_dim, use_bias=False, name="attended_projection"),
            "moment_map": QueryMomentMap(name="moment_map"),
            "moment_projection": keras.layers.Dense(hidden_dim, activation="relu", name="moment_projection"),
            "language_temporal_attention": LanguageTemporalAttention(
                attention_dim, name="language_temporal_attention"
            ),
            "fusion": CrossModalFusion(hidden_dim, dropout=dropout, name="fusion"),
            "logits": CandidateMask(fill_value=INVALID_LOGIT, channels_last=False, name="logits"),
        }

        inputs = {
            "features": keras.Input((num_pre_clips, feature_dim), name="features"),
            "token_ids": keras.Input((None, None), dtype="int32", name="token_ids"),
            "padding_mask": keras.Input((None, None), dtype="int32", name="padding_mask"),
        }
        words, sentence = word_encoder(inputs["token_ids"], inputs["padding_mask"])
        queries = {"words": words, "sentence": sentence, "padding_mask": inputs["padding_mask"]}
        super().__init__(
            inputs=inputs,
            outputs={"logits": _head(head, video_encoder(inputs["features"]), queries)},
            **kwargs,
        )

        self.vocabulary_size = vocabulary_size
        self.word_dim = word_dim
        self.feature_dim = feature_dim
        self.unit_dim = unit_dim
        self.num_regions = num_regions
        self.region_dim = region_dim
        self.num_pre_clips = num_pre_clips
        self.num_clips = num_clips
        self.hidden_dim = hidden_dim
        self.attention_dim = attention_dim
        self.context_kernel = context_kernel
        self.dropout = dropout
        self.text_trainable = text_trainable

        self.candidate_mask = moments.valid_mask(num_clips)
        self.video_encoder = video_encoder
        self.query_encoder = query_encoder
        self.word_encoder = word_encoder
        self._head = head

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "vocabulary_size": self.vocabulary_size,
            "word_dim": self.word_dim,
            "feature_dim": self.feature_dim,
            "unit_dim": self.unit_dim,
            "num_regions": self.num_regions,
            "region_dim": self.region_dim,
            "num_pre_clips": self.num_pre_clips,
            "num_clips": self.num_clips,
            "hidden_dim": self.hidden_dim,
            "attention_dim": self.attention_dim,
            "context_kernel": self.context_kernel,
            "dropout": self.dropout,
            "text_trainable": self.text_trainable,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    @property
    def region_description(self) -> str:
        """What the spatial attention attends over, for logs and results."""
        if not self.num_regions:
            return "unit features only (O = 1, no region features)"
        return f"O = {self.num_regions} regions of D_r = {self.region_dim} per unit"

    # === The MomentLocalizer contract ===

    config_class = SLTAConfig
    inference_methods = (METHOD,)
    method_options = {METHOD: ()}
    validation_method = METHOD

    @classmethod
    def from_run_config(cls, config, feature_dim: int) -> "SLTA":
        """SLTA for the run: ``feature_dim`` is the dataset's D; (O, D_r) come from its schema."""
        from clear_tf import text_presets

        settings = config.model
        regions = region_setting(config)
        if regions is None:
            reason = "--nouse_regions" if not settings.use_regions else "the dataset has no region_features"
            logging.warning(
                "SLTA: %s: the spatial attention runs on the unit features alone (O = 1)", reason
            )
            num_regions, region_dim = 0, 0
        else:
            num_regions, region_dim = regions
            logging.info("SLTA: spatial attention over O = %d regions of D_r = %d per unit", *regions)
        backbone = text_presets.load_backbone(settings.text_preset)
        model = cls(
            vocabulary_size=backbone.vocabulary_size,
            word_dim=backbone.hidden_dim,
            feature_dim=packed_width(feature_dim, num_regions, region_dim),
            unit_dim=feature_dim,
            num_regions=num_regions,
            region_dim=region_dim,
            num_pre_clips=config.data.num_pre_clips,
            num_clips=config.data.num_clips,
            hidden_dim=settings.hidden_dim,
            attention_dim=settings.attention_dim,
            context_kernel=settings.context_kernel,
            dropout=settings.dropout,
            text_trainable=settings.text_trainable,
        )
        model.word_encoder.embedding.set_weights([keras.ops.convert_to_numpy(backbone.token_embedding.embeddings)])
        return model

    @classmethod
    def video_inputs(cls, features, region_features, model_config):
        """The unit features, then the region features flattened, when ``--use_regions``."""
        if region_features is None or not model_config.use_regions:
            return features
        return pack_regions(features, region_features)

    @classmethod
    def describe_training(cls, config) -> str:
        """E.g. "SLTA over O = 4 regions of D_r = 32 per unit, BCE on the IoU rescaled 0.3–0.7"."""
        regions = region_setting(config)
        where = "unit features only (O = 1, no region features)" if regions is None else (
            f"O = {regions[0]} regions of D_r = {regions[1]} per unit"
        )
        settings = config.model
        return f"SLTA on {where}, BCE on the IoU rescaled {settings.min_iou:g}–{settings.max_iou:g}"

    @classmethod
    def ablation_rows(cls) -> dict[str, tuple[str, dict]]:
        return {"SLTA": (METHOD, {})}

    def encode_video(self, features):
        """Clips c [L, d] and projected regions r [N, O', d] of one video's packed features [N, D']."""
        width = features.shape[-1]
        if width is not None and width != self.feature_dim:
            raise ValueError(
                f"features: SLTA expects D' = {self.feature_dim} per unit ({self.unit_dim} unit dims + "
                f"{self.num_regions}·{self.region_dim} region dims: {self.region_description}), got {width}"
            )
        encoded = self.video_encoder(features[tf.newaxis], training=False)
        return {name: tf.cast(value[0], tf.float32) for name, value in encoded.items()}

    def encode_queries(self, token_ids, padding_mask):
        """Word states [M, S, d], sentence vectors [M, d] and the mask of M queries."""
        token_ids = tf.convert_to_tensor(token_ids, tf.int32)
        padding_mask = tf.cast(padding_mask, tf.int32)
        encoded = self.query_encoder({"token_ids": token_ids, "padding_mask": padding_mask}, training=False)
        return {
            "words": tf.cast(encoded["words"], tf.float32),
            "sentence": tf.cast(encoded["sentence"], tf.float32),
            "padding_mask": padding_mask,
        }

    def single_video_logits(self, video, queries) -> tf.Tensor:
        """Logits [M, L, L] of M queries on one video (the full graph's head with B = 1, K = M)."""
        batched_video = {name: value[tf.newaxis] for name, value in video.items()}
        batched_queries = {name: value[tf.newaxis] for name, value in queries.items()}
        return tf.cast(_head(self._head, batched_video, batched_queries, training=False)[0], tf.float32)

    def score_candidates(self, video, queries, *, method: str, **options):
        """Every candidate scored (no pruning): ``(sigmoid(logits), candidates, 1)``."""
        if method != METHOD:
            raise ValueError(f"unknown inference method {method!r}; expected {METHOD!r}")
        scores = tf.sigmoid(self.single_video_logits(video, queries))
        num_queries = tf.shape(scores)[0]
        return scores, self.valid_candidates(num_queries), tf.ones([num_queries], tf.float32)

    def score_maps(self, video, queries):
        scores = tf.sigmoid(self.single_video_logits(video, queries))
        return tf.where(self.valid_candidates(tf.shape(scores)[0]), scores, tf.zeros_like(scores))

    def spatial_weights(self, video, queries) -> tf.Tensor:
        """The spatial attention's region weights [M, N, O'] of M queries on one video."""
        attention = self._head["spatial_attention"]
        _, weights = attention.attend(video["regions"][tf.newaxis], queries["sentence"][tf.newaxis])
        return weights[0]

    def model_stats(self, num_tokens: int = 32) -> dict:
        return stats.model_stats(self, num_tokens)


def _video_encoder(feature_dim, unit_dim, num_regions, region_dim, num_pre_clips, num_clips, hidden_dim, kernel):
    """features [B, N, D'] → {"clips": [B, L, d], "regions": [B, N, max(O, 1), d]}."""
    features = keras.Input((num_pre_clips, feature_dim), name="features")
    units = keras.layers.UnitNormalization(axis=-1, name="unit_l2_normalize")(features[..., :unit_dim])
    projected = keras.layers.Dense(hidden_dim, activation="relu", name="unit_projection")(units)
    clips = ClipPooling(num_clips, "average", name="clip_pooling")(projected)
    clips = keras.layers.Conv1D(
        hidden_dim, kernel, padding="same", activation="relu", name="temporal_context"
    )(clips)
    if num_regions:
        regions = keras.layers.Reshape((num_pre_clips, num_regions, region_dim), name="regions")(
            features[..., unit_dim:]
        )
        regions = keras.layers.UnitNormalization(axis=-1, name="region_l2_normalize")(regions)
        regions = keras.layers.Dense(hidden_dim, activation="relu", name="region_projection")(regions)
    else:
        regions = keras.layers.Reshape((num_pre_clips, 1, hidden_dim), name="regions")(projected)
    return keras.Model(features, {"clips": clips, "regions": regions}, name="video_encoder")


def _head(layers: dict, video: dict, queries: dict, training=None):
    """``logits`` [B, K, L, L] from the video's clips and regions and the queries' words."""
    attended = layers["spatial_attention"](video["regions"], queries["sentence"])  # [B, K, L, d]
    # Dense + ReLU of [c; a], as two projections so that c [B, 1, L, d] broadcasts over K.
    clips = keras.ops.relu(layers["clip_projection"](video["clips"])[:, None] + layers["attended_projection"](attended))
    visual = layers["moment_projection"](layers["moment_map"](clips))  # [B, K, L, L, d]
    language = layers["language_temporal_attention"](visual, queries["words"], queries["padding_mask"])
    return layers["logits"](layers["fusion"](visual, language, training=training))
