"""The tf.data input pipeline: per-video TFDS examples → batches of B videos × K queries.

``load_split`` reads TFDS examples, ``build_dataset`` turns them into batch dicts
(ARCHITECTURE.md, "Batch dict"), ``split_for_keras`` maps a batch to ``(x, y,
sample_weight)`` and ``make_distributed_dataset`` runs the pipeline under a
``tf.distribute`` strategy.
"""

from clear_tf.data.loading import load_split, split_expression
from clear_tf.data.pipeline import build_dataset, make_distributed_dataset, split_for_keras
from clear_tf.data.preprocess import preprocess_video, validation_checks
from clear_tf.data.query_tokenizer import QueryTokenizer
from clear_tf.data.resample import l2_normalize_units, resample_features
from clear_tf.data.sentence_vectors import SentenceVectors
from clear_tf.data.targets import moment_iou_map, temporal_iou

__all__ = [
    "QueryTokenizer",
    "SentenceVectors",
    "build_dataset",
    "l2_normalize_units",
    "load_split",
    "make_distributed_dataset",
    "moment_iou_map",
    "preprocess_video",
    "resample_features",
    "split_expression",
    "split_for_keras",
    "temporal_iou",
    "validation_checks",
]
