"""CNM (Zheng et al., AAAI 2022) as one functional Keras model with its own two-part train step."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from clear_tf import text_presets
from clear_tf.models.base import MomentLocalizer
from clear_tf.models.cnm import stats
from clear_tf.models.cnm.attention import PACKAGE
from clear_tf.models.cnm.config import RECONSTRUCT, CNMConfig
from clear_tf.models.cnm.decoder import TransformerDecoder
from clear_tf.models.cnm.gaussian import GaussianHead, GaussianMask, proposal_indices, segment_score_map
from clear_tf.models.cnm.proposal_scoring import reconstruction_scores
from clear_tf.models.cnm.losses import IntraVideoContrastiveLoss, ReconstructionLoss, SlotTriples, WordNLL
from clear_tf.models.cnm.slots import DropLast, FlattenSlots, ProposalBatch, ProposalFrames, RepeatForSlots
from clear_tf.models.cnm.vocabulary import training_vocabulary
from clear_tf.models.cnm.words import (
    MaskedTargets,
    MaskVector,
    ReconstructionTargets,
    SinusoidalPositions,
    WordEmbedding,
    WordMasking,
)

METHOD = "cnm"
# Not in the reference: candidates ranked by the trained objective (``proposal_scoring``).
RECONSTRUCTION_METHOD = "cnm_reconstruction"
RECONSTRUCTION = "reconstruction"
CONTRASTIVE = "contrastive"


@keras.saving.register_keras_serializable(package=PACKAGE)
class CNM(MomentLocalizer):
    """Weakly supervised moment localization with contrastive negative sample mining (CNM).

    Trained from video–sentence pairs only: no start or end time reaches the model or its
    losses. Parts (the reference's ``models/cnm.py``):

    * ``video_encoder``: unit features [B, N, D] → dropout → Dense → (+ sinusoidal
      positions, ``frame_positions``) → frames [B, N, d];
    * words: token ids → the frozen BERT word-piece vectors, [CLS] replaced by a learned
      start vector → dropout → Dense → + sinusoidal positions; ``query_encoder``: the
      word decoder over them → word states [M, S, d];
    * ``mask_generator``: the video decoder over the frames, attending to the word
      states → ``GaussianHead`` (its last state, or attention over the frames) →
      (center c, width w) [M, 2];
    * reconstruction (training only): the P = N // ``proposal_stride`` sampled frames
      go through the video decoder re-weighted by the Gaussian g (positive), by nothing
      (hard negative: the whole video) and by 1 - g (easy negative), the three as one
      batch (``ProposalBatch``); each time the word
      decoder reads the query with max(⌊l/3⌋, 1) words masked, attends to those frames
      with the same re-weighting, and predicts every next word among ``vocabulary``.

    Outputs of the full graph (B videos × K query slots): ``reconstruction`` and
    ``contrastive``, both the word cross entropies ``nll`` [B, K, 3] (positive, hard,
    easy), read by ``ReconstructionLoss`` and ``IntraVideoContrastiveLoss``.

    Inference: (c, w) → the segment [c - w/2, c + w/2] (the reference's prediction) →
    every candidate of the L×L grid scored by its IoU with it (``segment_score_map``).

    Args:
        feature_dim: D.
        token_vocabulary_size: rows of the BERT word-piece table (the tokenizer's size).
        word_dim: E, the width of that table.
        vocabulary: token ids of the words reconstructed (``vocabulary.training_vocabulary``).
        function_words: those of them masked with the low weight.
        num_pre_clips: N, units per video.
        num_clips: L, side of the candidate grid used at inference.
        hidden_dim: d.
        num_heads: heads of every attention.
        num_layers: layers of each decoder.
        dropout: dropout of the input features and inside the decoders.
        frame_positions: add sinusoidal positions to the frames (not in the reference).
        proposal_stride: the reconstructor reads every this-many-th frame.
        gauss_alpha, max_width, min_width: the Gaussian mask.
        words_per_mask: one word in this many is masked.
        label_smoothing: ε of the word cross entropy.
        text_trainable: fine-tune the word-piece table.
        clip_norm: the global norm each loss's gradient is clipped to (0: none).
        gaussian_readout: how the head reads (c, w) off the frame states: "last" (the
            reference) or "attention" (``GaussianHead``).
        share_decoders: the mask generator and the reconstructor share their two decoders
            (the reference); False gives the generator its own pair, trained with the head
            by L_ivc (``generator_variables``).
        reconstruct: the words scored: "all" (the reference: every word of the query) or
            "masked" (only the masked ones).
        word_vectors: float [token_vocabulary_size, E], the table's initial values (BERT's
            input embeddings); None leaves zeros (``from_config``: the saved weights load).
        **kwargs: ``keras.Model`` arguments.
    """

    def __init__(
        self,
        feature_dim,
        token_vocabulary_size,
        word_dim,
        vocabulary,
        function_words=(),
        num_pre_clips=200,
        num_clips=100,
        hidden_dim=256,
        num_heads=4,
        num_layers=3,
        dropout=0.1,
        frame_positions=True,
        proposal_stride=4,
        gauss_alpha=5.0,
        max_width=1.0,
        min_width=0.1,
        words_per_mask=3,
        label_smoothing=0.1,
        text_trainable=False,
        clip_norm=10.0,
        gaussian_readout="last",
        share_decoders=True,
        reconstruct="all",
        word_vectors=None,
        **kwargs,
    ):
        vocabulary = [int(i) for i in vocabulary]
        function_words = [int(i) for i in function_words]
        if not vocabulary:
            raise ValueError("CNM needs a non-empty reconstruction vocabulary")
        if reconstruct not in RECONSTRUCT:
            raise ValueError(f"reconstruct must be one of {RECONSTRUCT}, got {reconstruct!r}")
        indices = proposal_indices(num_pre_clips, proposal_stride)
        if len(indices) < 2:
            raise ValueError(f"proposal_stride={proposal_stride} leaves fewer than 2 of {num_pre_clips} frames")

        # === Video: features → frames ===
        features = keras.Input((num_pre_clips, feature_dim), name="features")
        x = keras.layers.Dropout(dropout, name="frame_dropout")(features)
        x = keras.layers.Dense(hidden_dim, name="frame_projection")(x)
        if frame_positions:
            x = SinusoidalPositions(name="frame_positions")(x)
        video_encoder = keras.Model(features, x, name="video_encoder")

        # === Words and the two shared decoders ===
        word_embedding = WordEmbedding(token_vocabulary_size, word_dim, text_trainable, name="word_embedding")
        word_dropout = keras.layers.Dropout(dropout, name="word_dropout")
        word_projection = keras.layers.Dense(hidden_dim, name="word_projection")
        word_positions = SinusoidalPositions(name="word_positions")
        decoder_options = {"num_layers": num_layers, "hidden_dim": hidden_dim, "num_heads": num_heads, "dropout": dropout}
        word_decoder = TransformerDecoder(name="word_decoder", **decoder_options)
        video_decoder = TransformerDecoder(name="video_decoder", **decoder_options)
        if share_decoders:  # the reference: one pair of decoders for both steps
            generator_word_decoder, generator_video_decoder = word_decoder, video_decoder
        else:
            generator_word_decoder = TransformerDecoder(name="generator_word_decoder", **decoder_options)
            generator_video_decoder = TransformerDecoder(name="generator_video_decoder", **decoder_options)
        gaussian_head = GaussianHead(max_width, gaussian_readout, name="gaussian_head")

        query_inputs = {
            "token_ids": keras.Input((None,), dtype="int32", name="token_ids"),
            "padding_mask": keras.Input((None,), dtype="int32", name="padding_mask"),
        }
        query_words = word_projection(word_dropout(word_embedding(query_inputs["token_ids"])))
        query_encoder = keras.Model(
            query_inputs,
            generator_word_decoder(word_positions(query_words), x_mask=query_inputs["padding_mask"]),
            name="query_encoder",
        )

        generator_inputs = [
            keras.Input((num_pre_clips, hidden_dim), name="frames"),
            keras.Input((None, hidden_dim), name="word_states"),
            keras.Input((None,), dtype="int32", name="word_mask"),
        ]
        mask_generator = keras.Model(
            generator_inputs,
            gaussian_head(
                generator_video_decoder(
                    generator_inputs[0], source=generator_inputs[1], source_mask=generator_inputs[2]
                )
            ),
            name="mask_generator",
        )

        # === Full training graph: B videos × K query slots → B·K pairs ===
        inputs = {
            "features": keras.Input((num_pre_clips, feature_dim), name="features"),
            "token_ids": keras.Input((None, None), dtype="int32", name="token_ids"),
            "padding_mask": keras.Input((None, None), dtype="int32", name="padding_mask"),
        }
        token_ids = FlattenSlots(name="pair_token_ids")(inputs["token_ids"])
        padding_mask = FlattenSlots(name="pair_padding_mask")(inputs["padding_mask"])
        frames = RepeatForSlots(name="pair_frames")([video_encoder(inputs["features"]), inputs["token_ids"]])
        raw_words = word_embedding(token_ids)
        words = word_projection(word_dropout(raw_words))
        word_states = generator_word_decoder(word_positions(words), x_mask=padding_mask)
        gaussian = mask_generator([frames, word_states, padding_mask])
        positive, complement = GaussianMask(len(indices), gauss_alpha, min_width, name="gaussian_mask")(gaussian)

        proposals = ProposalFrames(indices, name="proposal_frames")(frames)
        mask_token = word_projection(MaskVector(word_dim, name="mask_vector")(raw_words))
        vocabulary_options = {
            "vocabulary": vocabulary,
            "function_words": function_words,
            "token_vocabulary_size": token_vocabulary_size,
        }
        masked, masked_positions = WordMasking(words_per_mask=words_per_mask, name="word_masking", **vocabulary_options)(
            [words, mask_token, token_ids, padding_mask]
        )
        decoder_input = DropLast(name="decoder_input")(word_positions(masked))
        targets, target_mask, input_mask = ReconstructionTargets(name="targets", **vocabulary_options)(
            [token_ids, padding_mask]
        )
        if reconstruct == "masked":
            target_mask = MaskedTargets(name="masked_targets")([target_mask, masked_positions])
        word_classifier = keras.layers.Dense(len(vocabulary), name="word_classifier")
        # Positive (g), hard negative (the whole video) and easy negative (1 - g) as one batch.
        weights, proposals, decoder_input, input_mask, targets, target_mask = ProposalBatch(name="proposal_batch")(
            [positive, complement, proposals, decoder_input, input_mask, targets, target_mask]
        )
        video = video_decoder(proposals, self_weights=weights)
        states = word_decoder(decoder_input, x_mask=input_mask, source=video, source_weights=weights)
        nll = WordNLL(label_smoothing, name="word_nll")([word_classifier(states), targets, target_mask])
        nll = SlotTriples(name="nll")([nll, inputs["token_ids"]])
        super().__init__(
            inputs=inputs,
            outputs={
                RECONSTRUCTION: keras.layers.Identity(name=RECONSTRUCTION)(nll),
                CONTRASTIVE: keras.layers.Identity(name=CONTRASTIVE)(nll),
            },
            **kwargs,
        )

        # === Config ===
        self.feature_dim = feature_dim
        self.token_vocabulary_size = token_vocabulary_size
        self.word_dim = word_dim
        self.vocabulary = vocabulary
        self.function_words = function_words
        self.num_pre_clips = num_pre_clips
        self.num_clips = num_clips
        self.hidden_dim = hidden_dim
        self.num_heads = num_heads
        self.num_layers = num_layers
        self.dropout = dropout
        self.frame_positions = frame_positions
        self.proposal_stride = proposal_stride
        self.gauss_alpha = gauss_alpha
        self.max_width = max_width
        self.min_width = min_width
        self.words_per_mask = words_per_mask
        self.label_smoothing = label_smoothing
        self.text_trainable = text_trainable
        self.clip_norm = clip_norm
        self.gaussian_readout = gaussian_readout
        self.share_decoders = share_decoders
        self.reconstruct = reconstruct

        # === Parts for inference, the train step and the stats ===
        self.candidate_mask = np.triu(np.ones((num_clips, num_clips), dtype=bool))
        self.num_proposals = len(indices)
        self.video_encoder = video_encoder
        self.query_encoder = query_encoder
        self.mask_generator = mask_generator
        self.gaussian_head = gaussian_head
        self.word_embedding = word_embedding
        self.word_decoder = word_decoder
        self.video_decoder = video_decoder
        self.generator_word_decoder = generator_word_decoder
        self.generator_video_decoder = generator_video_decoder
        self.word_classifier = word_classifier
        if word_vectors is not None:
            word_embedding.table.assign(np.asarray(word_vectors, np.float32))

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "feature_dim": self.feature_dim,
            "token_vocabulary_size": self.token_vocabulary_size,
            "word_dim": self.word_dim,
            "vocabulary": list(self.vocabulary),
            "function_words": list(self.function_words),
            "num_pre_clips": self.num_pre_clips,
            "num_clips": self.num_clips,
            "hidden_dim": self.hidden_dim,
            "num_heads": self.num_heads,
            "num_layers": self.num_layers,
            "dropout": self.dropout,
            "frame_positions": self.frame_positions,
            "proposal_stride": self.proposal_stride,
            "gauss_alpha": self.gauss_alpha,
            "max_width": self.max_width,
            "min_width": self.min_width,
            "words_per_mask": self.words_per_mask,
            "label_smoothing": self.label_smoothing,
            "text_trainable": self.text_trainable,
            "clip_norm": self.clip_norm,
            "gaussian_readout": self.gaussian_readout,
            "share_decoders": self.share_decoders,
            "reconstruct": self.reconstruct,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    # === The MomentLocalizer contract ===

    config_class = CNMConfig
    inference_methods = (METHOD, RECONSTRUCTION_METHOD)
    method_options = {METHOD: (), RECONSTRUCTION_METHOD: ()}
    # Model selection reads the generator's Gaussian: cnm_reconstruction costs 2·C decoder
    # passes per query, too much for every epoch on a CPU.
    validation_method = METHOD
    loss_aliases = {"reconstruction_loss": "l_rec", "contrastive_loss": "l_ivc"}
    weakly_supervised = True

    @classmethod
    def ablation_rows(cls) -> dict[str, tuple[str, dict]]:
        return {
            "CNM (the generator's Gaussian, the reference)": (METHOD, {}),
            "CNM, candidates ranked by the IVC objective (cnm_reconstruction)": (RECONSTRUCTION_METHOD, {}),
        }

    @classmethod
    def from_run_config(cls, config, feature_dim: int) -> "CNM":
        """CNM for a full ``clear_tf.config.Config``.

        Reads the sentences (only) of the training split for the reconstruction
        vocabulary and copies the input word-piece embeddings of the ``--text_preset``
        BERT into the frozen word table; the rest of BERT is not used.
        """
        model = config.model
        backbone = text_presets.load_backbone(model.text_preset)
        table = keras.ops.convert_to_numpy(backbone.token_embedding.embeddings)
        vocabulary, function_words = training_vocabulary(config, model.vocabulary_size)
        return cls(
            feature_dim=feature_dim,
            token_vocabulary_size=table.shape[0],
            word_dim=table.shape[1],
            vocabulary=vocabulary,
            function_words=function_words,
            num_pre_clips=config.data.num_pre_clips,
            num_clips=config.data.num_clips,
            hidden_dim=model.hidden_dim,
            num_heads=model.attention_heads,
            num_layers=model.decoder_layers,
            dropout=model.dropout,
            frame_positions=model.frame_positions,
            proposal_stride=model.proposal_stride,
            gauss_alpha=model.gauss_alpha,
            max_width=model.max_width,
            min_width=model.min_width,
            words_per_mask=model.words_per_mask,
            label_smoothing=model.label_smoothing,
            text_trainable=model.text_trainable,
            clip_norm=model.clip_norm,
            gaussian_readout=model.gaussian_readout,
            share_decoders=model.share_decoders,
            reconstruct=model.reconstruct,
            word_vectors=table,
        )

    @classmethod
    def describe_training(cls, config) -> str:
        """How the model is trained, for the results tables: weakly, without timestamps."""
        return "CNM, weakly supervised (video-sentence pairs, no timestamps)"

    @classmethod
    def training_targets(cls, batch: dict, config) -> dict:
        """No target: both losses compare the model's own word cross entropies.

        What is reconstructed is the query, which the model reads from ``x``; no
        timestamp (``times``, ``iou_map``) is used. Keras wants a ``y`` per output, so
        each gets zeros [B, K] (ignored by the losses).
        """
        zeros = tf.zeros_like(batch["query_mask"])
        return {RECONSTRUCTION: zeros, CONTRASTIVE: zeros}

    @classmethod
    def build_losses(cls, config) -> tuple[dict, dict]:
        """L_rec and L_ivc (``losses``), weighted by ``--reconstruction_weight`` and ``--contrastive_weight``."""
        settings = config.model
        losses = {
            RECONSTRUCTION: ReconstructionLoss(),
            CONTRASTIVE: IntraVideoContrastiveLoss(
                settings.hard_negative_margin, settings.easy_negative_margin
            ),
        }
        weights = {RECONSTRUCTION: settings.reconstruction_weight, CONTRASTIVE: settings.contrastive_weight}
        return losses, weights

    # === Training: each loss trains its own variables ===

    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, **kwargs):
        self._objective_weights = dict(loss_weights or {})
        super().compile(optimizer=optimizer, loss=loss, loss_weights=loss_weights, **kwargs)

    def generator_variables(self) -> list:
        """The variables L_ivc trains: the Gaussian head's (the reference's ``mask_gen`` layer),
        and the generator's own decoders when they are not shared."""
        layers = [self.gaussian_head]
        if not self.share_decoders:
            layers += [self.generator_word_decoder, self.generator_video_decoder]
        return [variable for layer in layers for variable in layer.trainable_variables]

    def reconstructor_variables(self) -> list:
        """Every other trainable variable, trained by L_rec (with shared decoders it also
        reaches the mask generator through the Gaussian, the head held fixed)."""
        generator = {id(variable) for variable in self.generator_variables()}
        return [variable for variable in self.trainable_variables if id(variable) not in generator]

    def train_step(self, data):
        """One step of both of the reference's optimizers, on the same batch and weights.

        The reference alternates two Adam optimizers per batch: L_rec with the mask head
        frozen, then L_ivc with everything but the mask head frozen. Here one forward
        pass gives both losses; the gradient of L_rec goes to ``reconstructor_variables``
        and that of L_ivc to ``generator_variables`` (the head; with unshared decoders
        also the generator's decoders), each clipped to ``clip_norm``, and one Adam step
        applies both (Adam keeps per-variable moments, so on these
        disjoint sets it is the reference's two optimizers, updated simultaneously
        rather than one after the other).
        """
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        with tf.GradientTape(persistent=True) as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=True)
            objectives = {}
            for name in (RECONSTRUCTION, CONTRASTIVE):
                value = self.loss[name](y[name], y_pred[name], sample_weight[name])
                value = value * self._objective_weights.get(name, 1.0)
                objectives[name] = self.optimizer.scale_loss(value)
        gradients, variables = [], []
        for name, group in ((RECONSTRUCTION, self.reconstructor_variables()), (CONTRASTIVE, self.generator_variables())):
            pairs = [(g, v) for g, v in zip(tape.gradient(objectives[name], group), group) if g is not None]
            group_gradients = [g for g, _ in pairs]
            if self.clip_norm and group_gradients:
                group_gradients, _ = tf.clip_by_global_norm(group_gradients, self.clip_norm)
            gradients.extend(group_gradients)
            variables.extend(v for _, v in pairs)
        del tape
        self.optimizer.apply_gradients(zip(gradients, variables))
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss * replicas, sample_weight=tf.shape(x["features"])[0])
        return self.compute_metrics(x, y, y_pred, sample_weight=sample_weight)

    # === Inference (TF ops) ===

    def encode_video(self, features):
        """Frames [N, d] of one video's features [N, D]."""
        return tf.cast(self.video_encoder(features[tf.newaxis], training=False)[0], tf.float32)

    def encode_queries(self, token_ids, padding_mask):
        """``{"words": [M, S, d] word states, "mask": int32 [M, S], "token_ids": int32 [M, S]}``
        of M tokenized queries (the ids for ``cnm_reconstruction``, which re-reads them masked)."""
        token_ids = tf.cast(token_ids, tf.int32)
        padding_mask = tf.cast(padding_mask, tf.int32)
        words = self.query_encoder({"token_ids": token_ids, "padding_mask": padding_mask}, training=False)
        return {"words": tf.cast(words, tf.float32), "mask": padding_mask, "token_ids": token_ids}

    def gaussians(self, video, queries) -> tf.Tensor:
        """(center, width) [M, 2] of each query's Gaussian, as fractions of the video."""
        num_queries = tf.shape(queries["words"])[0]
        frames = tf.tile(video[tf.newaxis], [num_queries, 1, 1])
        return tf.cast(
            self.mask_generator([frames, queries["words"], queries["mask"]], training=False), tf.float32
        )

    def score_candidates(self, video, queries, *, method: str, **options):
        """``cnm``: the IoU of every candidate with the Gaussian's segment [c - w/2, c + w/2]
        (all cells kept). ``cnm_reconstruction``: −(2·nll⁺ − nll^easy) of every candidate up
        to ``max_width`` (``proposal_scoring``)."""
        if method == RECONSTRUCTION_METHOD:
            scores, kept, fraction = reconstruction_scores(self, video, queries["token_ids"], queries["mask"])
            return scores, kept, tf.fill([tf.shape(scores)[0]], tf.constant(fraction, tf.float32))
        scores = self.score_maps(video, queries)
        num_queries = tf.shape(scores)[0]
        return scores, self.valid_candidates(num_queries), tf.ones([num_queries], tf.float32)

    def score_maps(self, video, queries):
        return segment_score_map(self.gaussians(video, queries), int(self.num_clips))

    def model_stats(self, num_tokens: int = 32) -> dict:
        return stats.model_stats(self, num_tokens)
