"""``train.py --summary_only``: the model summary, parameter counts and FLOPs, without data."""

from __future__ import annotations

from clear_tf import dataset_info, models
from clear_tf.config import Config
from clear_tf.model_stats import format_model_stats


def print_model_summary(config: Config) -> dict:
    """Builds the configured model for the dataset's feature size and prints what it costs.

    The feature dimension comes from the dataset builder's declared schema, so nothing
    is downloaded or built.

    Returns:
        The statistics dict of the model's ``model_stats``.
    """
    model = models.build_model(config, dataset_info.feature_dim(config))
    model.summary(expand_nested=False)
    stats = model.model_stats(num_tokens=config.data.max_query_tokens)
    print(format_model_stats(stats))
    return stats
