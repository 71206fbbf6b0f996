"""The tf.data input pipeline: per-video TFDS examples in, batch dicts out."""

from __future__ import annotations

import functools
from typing import Callable, Sequence

from absl import logging
import tensorflow as tf

from clear_tf.config import Config, model_class
from clear_tf.data.batching import add_targets, merge_parts, video_chunks
from clear_tf.data.loading import load_split
from clear_tf.data.preprocess import preprocess_video
from clear_tf.data.query_tokenizer import QueryTokenizer
from clear_tf.data.sentence_vectors import SentenceVectors

# The video shuffle uses the seed itself; the element shuffle and the query orders get
# seeds derived from it, so that the three random streams of an epoch are independent.
_ELEMENT_SHUFFLE_SALT = 1
_QUERY_SHUFFLE_SALT = 2


def _padding_query(tokenizer: QueryTokenizer, sentence_vectors: SentenceVectors | None) -> dict:
    """What a padded query slot holds (see ``batching.gather_chunks``)."""
    token_ids, padding_mask = tokenizer(tf.constant([""]))
    padding = {
        "sentence": tf.constant(""),
        "token_ids": token_ids[0],
        "padding_mask": padding_mask[0],
        "times": tf.zeros([2], tf.float32),
    }
    if sentence_vectors is not None:
        padding["sentence_embedding"] = sentence_vectors(token_ids, padding_mask)[0]
    return padding


def _with_sentence_vectors(video: dict, sentence_vectors: SentenceVectors) -> dict:
    return {**video, "sentence_embedding": sentence_vectors(video["token_ids"], video["padding_mask"])}


def _salted(seed: int | None, salt: int) -> int | None:
    return None if seed is None else seed * 1000 + salt


# Seeds of the epoch-seeded order stay below 2**40, so that ``_salted`` fits an int64.
_SEED_MODULUS = 2**40
_SEED_MIX = 1_000_003
_PASSES = 2**40  # "forever" for the passes of one epoch's stream


def _pass_seed(seed: int, epoch: tf.Tensor, index: tf.Tensor) -> tf.Tensor:
    """A seed for pass ``index`` of ``epoch``'s stream: distinct for distinct (seed, epoch, pass)."""
    mixed = (tf.constant(seed % _SEED_MODULUS, tf.int64) * _SEED_MIX + epoch) % _SEED_MODULUS
    return (mixed * _SEED_MIX + index) % _SEED_MODULUS


class QueryReport:
    """How many queries a training split holds and how many are cut to ``max_query_tokens``.

    Pass one to ``build_dataset(..., epoch=..., report=...)``: the counts are taken once,
    in the pass that fills the cache (before the first batch), and ``log()`` writes
    them. A query longer than S tokens keeps only its first S - 1 word pieces and
    ``[SEP]``: the model never sees the rest of the sentence.

    Attributes:
        videos, queries, cut: int64 variables (per input pipeline, i.e. this worker's shard).
        chunks: int64 variable, the elements of one pass (each video's ⌈Q/K⌉ chunks):
            what the number of batches per pass follows from.
        done: bool variable, True once the counts are taken.
    """

    def __init__(self):
        with tf.init_scope(), tf.device("/cpu:0"):
            self.videos = tf.Variable(0, dtype=tf.int64, trainable=False, name="report_videos")
            self.queries = tf.Variable(0, dtype=tf.int64, trainable=False, name="report_queries")
            self.cut = tf.Variable(0, dtype=tf.int64, trainable=False, name="report_cut")
            self.chunks = tf.Variable(0, dtype=tf.int64, trainable=False, name="report_chunks")
            self.done = tf.Variable(False, trainable=False, name="report_done")

    def message(self, max_query_tokens: int) -> str | None:
        """One line on the cut queries (None before the counts are taken)."""
        if not bool(self.done.numpy()):
            return None
        queries, cut = int(self.queries.numpy()), int(self.cut.numpy())
        share = 100.0 * cut / max(queries, 1)
        text = (
            f"{cut} of {queries} training queries ({share:.1f}%, {int(self.videos.numpy())} videos) "
            f"are longer than --max_query_tokens={max_query_tokens} and are cut to that length"
        )
        if cut:
            text += "; raise --max_query_tokens to keep them whole"
        return text

    def log(self, max_query_tokens: int) -> None:
        text = self.message(max_query_tokens)
        if text is not None:
            (logging.warning if int(self.cut.numpy()) else logging.info)("Input pipeline: %s", text)


def build_dataset(
    examples: tf.data.Dataset,
    config: Config,
    *,
    training: bool,
    seed: int | None = None,
    input_context: tf.distribute.InputContext | None = None,
    repeat: bool = False,
    text_vectors: bool = False,
    epoch: tf.Variable | int | None = None,
    report: QueryReport | None = None,
) -> tf.data.Dataset:
    """Turns per-video TFDS examples into batches of B videos × K query slots.

    Stages: (shard by ``input_context``) → validate, resample to N units, normalise,
    tokenize (once per video, then ``cache()`` when ``config.data.cache``) → per epoch,
    shuffle the videos and each video's query order, cut the queries into chunks of K
    (one element per chunk, the last one padded) → shuffle the elements → batch →
    IoU targets for the whole batch → prefetch.

    Training batches have a fixed size (``drop_remainder=True``) so every replica sees
    static shapes; the last incomplete batch of an epoch is dropped, and since the
    query order changes every epoch, a different handful of queries sits it out each
    time. Evaluation keeps the order of ``examples`` and the query order within each
    video, and keeps the remainder batch: every query appears exactly once.

    Args:
        examples: dataset of TFDS examples, ``video_id``, ``features`` [T, D],
            ``duration``, ``queries`` {``sentence``, ``start``, ``end``} [Q].
        config: uses ``config.data`` (``num_pre_clips``, ``num_clips``,
            ``normalize_features``, ``queries_per_video``, ``max_query_tokens``,
            ``batch_size`` / ``eval_batch_size``, ``shuffle_buffer``, ``cache``) and
            ``config.model`` (``text_preset``, ``text_pooling``).
        training: shuffle and drop the remainder (True) or keep everything in order.
        seed: makes the training order reproducible; None draws a fresh order per run.
        input_context: from ``strategy.distribute_datasets_from_function``; shards the
            videos by input pipeline and sets the per-replica batch size.
        repeat: chain passes forever (each one a fresh order visiting every query once),
            for ``fit(..., steps_per_epoch=...)``, where Keras keeps one iterator across
            epochs and a finite dataset would run out. Batches then span the passes, so
            nothing is dropped.
        text_vectors: also compute every query's frozen BERT sentence vector, once per
            video before the cache (``SentenceVectors``), as ``sentence_embedding``
            [B, K, E]; ``split_for_keras`` then feeds it instead of the tokens, for
            ``CLEAR.sentence_vector_model()``.
        epoch: training only: seed the order by epoch. An int, or an int64
            ``tf.Variable`` read each time an iterator starts; that iterator's order
            (pass j of it seeded by ``(seed, epoch, j)``) depends on nothing else, so a
            run resumed at epoch e replays an uninterrupted run's epoch e. With the cache
            on, the first iterator reads every video once before its first batch, so that
            the cache is complete even when an epoch uses only part of a pass. None: the
            order of the n-th iterator depends on n (``reshuffle_each_iteration``).
        report: with ``epoch``: a ``QueryReport`` that gets the query and cut-query
            counts in that first full read (or, without the cache, in one read of the
            sentences).

    Returns:
        Dataset of dicts: ``features`` [B, N, D] float32, ``token_ids`` [B, K, S]
        int32, ``padding_mask`` [B, K, S] bool, ``query_mask`` [B, K] float32,
        ``iou_map`` [B, K, L, L] float32, ``region_features`` [B, N, O, D_r] when the
        dataset has them, ``times``
        [B, K, 2] float32, ``duration`` [B] float32, and for bookkeeping ``video_id``
        [B] string, ``query_index`` [B, K] int32 (-1 in padded slots), ``sentence``
        [B, K] string.
    """
    data = config.data
    if data.queries_per_video < 1:
        raise ValueError(f"queries_per_video must be >= 1, got {data.queries_per_video}")
    batch_size = data.batch_size if training else data.eval_batch_size
    if input_context is not None:
        batch_size = input_context.get_per_replica_batch_size(batch_size)
        examples = examples.shard(input_context.num_input_pipelines, input_context.input_pipeline_id)

    tokenizer = QueryTokenizer(config.model.text_preset, data.max_query_tokens)
    videos = examples.map(
        functools.partial(
            preprocess_video,
            num_pre_clips=data.num_pre_clips,
            normalize_features=data.normalize_features,
            tokenizer=tokenizer,
        ),
        num_parallel_calls=tf.data.AUTOTUNE,
    )
    sentence_vectors = None
    if text_vectors:
        sentence_vectors = SentenceVectors(config.model.text_preset, config.model.text_pooling)
        videos = videos.map(functools.partial(_with_sentence_vectors, sentence_vectors=sentence_vectors))
    if data.cache:
        videos = videos.cache()

    padding_query = _padding_query(tokenizer, sentence_vectors)
    if epoch is not None and not training:
        raise ValueError("epoch seeds the training order; evaluation keeps the order of the split")
    if epoch is not None:
        elements = _epoch_seeded_elements(
            videos,
            examples,
            data,
            padding_query,
            seed=0 if seed is None else seed,
            epoch=epoch,
            repeat=repeat,
            tokenizer=tokenizer,
            report=report,
        )
    elif training:
        videos = videos.shuffle(data.shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
        # One fresh stateless seed per video and epoch drives its query order.
        query_seeds = tf.data.Dataset.random(
            seed=_salted(seed, _QUERY_SHUFFLE_SALT), rerandomize_each_iteration=True
        )
        elements = tf.data.Dataset.zip(videos, query_seeds).flat_map(
            lambda video, query_seed: video_chunks(
                video,
                data.queries_per_video,
                padding_query,
                shuffle_seed=tf.stack([query_seed, tf.constant(0, tf.int64)]),
            )
        )
        elements = elements.shuffle(
            data.shuffle_buffer,
            seed=_salted(seed, _ELEMENT_SHUFFLE_SALT),
            reshuffle_each_iteration=True,
        )
    else:
        elements = videos.flat_map(
            lambda video: video_chunks(video, data.queries_per_video, padding_query)
        )
    if repeat and epoch is None:
        elements = elements.repeat()
    batches = elements.batch(batch_size, drop_remainder=training)
    batches = batches.map(
        lambda video_fields, query_fields: add_targets(
            merge_parts(video_fields, query_fields), data.num_clips
        ),
        num_parallel_calls=tf.data.AUTOTUNE,
    )
    return batches.prefetch(tf.data.AUTOTUNE)


def _epoch_seeded_elements(
    videos: tf.data.Dataset,
    examples: tf.data.Dataset,
    data,
    padding_query: dict,
    *,
    seed: int,
    epoch,
    repeat: bool,
    tokenizer: QueryTokenizer,
    report: QueryReport | None,
) -> tf.data.Dataset:
    """The training elements of ``build_dataset(..., epoch=...)`` (see its docstring)."""

    def one_pass(pass_seed):
        shuffled = videos.shuffle(data.shuffle_buffer, seed=pass_seed, reshuffle_each_iteration=False)
        query_seeds = tf.data.Dataset.random(seed=_salted(pass_seed, _QUERY_SHUFFLE_SALT))
        elements = tf.data.Dataset.zip(shuffled, query_seeds).flat_map(
            lambda video, query_seed: video_chunks(
                video,
                data.queries_per_video,
                padding_query,
                shuffle_seed=tf.stack([query_seed, tf.constant(0, tf.int64)]),
            )
        )
        return elements.shuffle(
            data.shuffle_buffer,
            seed=_salted(pass_seed, _ELEMENT_SHUFFLE_SALT),
            reshuffle_each_iteration=False,
        )

    def passes(_):
        # tf.data pairs each op seed with the graph seed and compares the pair with
        # (0, 0) in Python, which fails for a tensor op seed when the graph seed is 0
        # (keras.utils.set_random_seed(0)). A graph seed taken from ``seed`` (never 0)
        # for the functions of the passes avoids that, and keeps the order a function
        # of (seed, epoch) alone.
        tf.compat.v1.get_default_graph().seed = 1 + seed % _SEED_MIX
        value = epoch.read_value() if isinstance(epoch, tf.Variable) else epoch
        value = tf.cast(value, tf.int64)
        if not repeat:
            return one_pass(_pass_seed(seed, value, tf.constant(0, tf.int64)))
        return tf.data.Dataset.range(_PASSES).flat_map(
            lambda index: one_pass(_pass_seed(seed, value, index))
        )

    start = tf.data.Dataset.from_tensors(tf.constant(0, tf.int64))
    if data.cache or report is not None:
        start = start.map(_first_read(videos, examples, data, tokenizer, report))
    return start.flat_map(passes)


def _first_read(videos, examples, data, tokenizer: QueryTokenizer, report: QueryReport | None):
    """A map function that, once, reads every video (completing the cache) and counts the queries.

    An iterator that stops before the end of a cached dataset discards what it cached;
    reading everything once up front keeps the cache whole however few steps an epoch
    takes.
    """
    with tf.init_scope(), tf.device("/cpu:0"):
        done = tf.Variable(False, trainable=False, name="first_read_done")
    # Without the cache, count on the sentences alone (no preprocessing of the features).
    counted = videos if data.cache else examples.map(lambda example: {"sentence": example["queries"]["sentence"]})
    max_tokens, per_chunk = data.max_query_tokens, data.queries_per_video

    def add(totals, video):
        sentences = video["sentence"]
        count = tf.size(sentences, out_type=tf.int64)
        cut = tf.reduce_sum(tf.cast(tokenizer.token_counts(sentences) > max_tokens, tf.int64))
        chunks = (count + per_chunk - 1) // per_chunk
        return totals + tf.stack([tf.constant(1, tf.int64), count, cut, chunks])

    def read():
        totals = counted.reduce(tf.zeros([4], tf.int64), add)
        updates = [done.assign(True)]
        if report is not None:
            updates += [
                report.videos.assign(totals[0]),
                report.queries.assign(totals[1]),
                report.cut.assign(totals[2]),
                report.chunks.assign(totals[3]),
                report.done.assign(True),
            ]
        with tf.control_dependencies(updates):
            return tf.constant(0, tf.int64)

    def first_read(value):
        return tf.cond(done, lambda: value, read)

    return first_read


def split_for_keras(batch: dict, config: Config) -> tuple[dict, dict, dict]:
    """``(x, y, sample_weight)`` for ``keras.Model.fit`` (ARCHITECTURE.md, "Batch dict").

    ``x`` holds the generic model inputs; a batch with sentence vectors feeds
    ``sentence_embedding`` in place of the tokens. ``y`` is the chosen model's
    ``training_targets`` and every target's sample weight is ``query_mask`` (padded
    query slots weigh 0). The bookkeeping keys are dropped.
    """
    if "sentence_embedding" in batch:  # for a model's sentence-vector training view
        x = {"features": batch["features"], "sentence_embedding": batch["sentence_embedding"]}
    else:
        # The model takes an int32 mask: Keras reduces the first distributed batch with
        # a MEAN to build the model symbolically, which no bool tensor survives.
        x = {
            "features": batch["features"],
            "token_ids": batch["token_ids"],
            "padding_mask": tf.cast(batch["padding_mask"], tf.int32),
        }
    # A model that reads region features packs them into its video input (SLTA).
    x["features"] = model_class(config.model_name).video_inputs(
        batch["features"], batch.get("region_features"), config.model
    )
    y = model_class(config.model_name).training_targets(batch, config)
    sample_weight = {name: batch["query_mask"] for name in y}
    return x, y, sample_weight


def make_distributed_dataset(
    strategy: tf.distribute.Strategy,
    config: Config,
    *,
    splits: str | Sequence[str] | None = None,
    examples_fn: Callable[[], tf.data.Dataset] | None = None,
    training: bool = True,
    seed: int | None = None,
    keras_inputs: bool = True,
    repeat: bool = False,
    text_vectors: bool | None = None,
) -> tf.distribute.DistributedDataset:
    """``build_dataset`` under ``strategy.distribute_datasets_from_function``.

    Each input pipeline reads its own shard of the videos and batches
    ``batch_size / num_replicas`` videos (per replica), so one step over all replicas
    consumes one global batch. ``batch_size`` must be divisible by the replica count.

    Args:
        strategy: e.g. a ``tf.distribute.MirroredStrategy``.
        config: as in ``build_dataset``.
        splits: split name(s) of ``config.data.dataset`` to read with ``load_split``
            (training reads the files in a seeded random order).
        examples_fn: instead of ``splits``, a function that builds the TFDS example
            dataset (called once per input pipeline).
        training: as in ``build_dataset``.
        seed: as in ``build_dataset``; defaults to ``config.train.seed``.
        keras_inputs: map the batches through ``split_for_keras`` (what ``fit`` takes).
        repeat: as in ``build_dataset`` (needed with ``steps_per_epoch``).
        text_vectors: as in ``build_dataset``; None: what the chosen model trains on
            (``trains_on_sentence_vectors``).

    Returns:
        The distributed dataset.
    """
    if (splits is None) == (examples_fn is None):
        raise ValueError("pass exactly one of splits and examples_fn")
    if seed is None:
        seed = config.train.seed
    if text_vectors is None:
        text_vectors = model_class(config.model_name).trains_on_sentence_vectors(config.model)
    if examples_fn is None:
        examples_fn = functools.partial(
            load_split, config, splits, shuffle_files=training, seed=seed
        )

    def dataset_fn(input_context: tf.distribute.InputContext) -> tf.data.Dataset:
        dataset = build_dataset(
            examples_fn(),
            config,
            training=training,
            seed=seed,
            input_context=input_context,
            repeat=repeat,
            text_vectors=text_vectors,
        )
        if keras_inputs:
            dataset = dataset.map(functools.partial(split_for_keras, config=config))
        return dataset

    return strategy.distribute_datasets_from_function(dataset_fn)
