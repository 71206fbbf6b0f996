"""A model's ``localize`` as one ``tf.function`` traced once for every video length and query count."""

from __future__ import annotations

import tensorflow as tf


def make_localizer(model, **options) -> tf.function:
    """``model.localize`` with fixed options, traced once for any N and M.

    Args:
        model: a ``clear_tf.models.MomentLocalizer``.
        **options: keyword arguments of ``localize`` (method, nms_threshold, top_k,
            normalize_features and the method's search options).

    Returns:
        A ``tf.function`` taking features float32 [N, D], token_ids int32 [M, S],
        padding_mask bool [M, S] and a scalar float32 duration.
    """

    @tf.function(
        input_signature=[
            tf.TensorSpec([None, model.feature_dim], tf.float32, name="features"),
            tf.TensorSpec([None, None], tf.int32, name="token_ids"),
            tf.TensorSpec([None, None], tf.bool, name="padding_mask"),
            tf.TensorSpec([], tf.float32, name="duration"),
        ]
    )
    def localize_video(features, token_ids, padding_mask, duration):
        return model.localize(features, token_ids, padding_mask, duration, **options)

    return localize_video
