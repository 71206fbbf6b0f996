"""Inputs the export used to accept and should not: negative token ids, a duration beyond float32.

Both are refused with one clear message: by the graph's checks (what TF Serving
answers), by ``check_request`` / ``check_token_request`` in Python, and by
``Localizer``, which turns a failed graph check into ``InvalidRequestError`` without
TensorFlow's trace.
"""

import numpy as np
import pytest
import tensorflow as tf

from clear_tf.export import InvalidRequestError, Localizer, check_request
from clear_tf.export.checks import assertion_message
from clear_tf.export.request import FLOAT32_MAX, check_token_request

from tiny_export import DURATION, FEATURE_DIM, QUERIES, video_features

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def serving_default(saved_model_dir):
    import tensorflow_text  # noqa: F401

    return tf.saved_model.load(saved_model_dir).signatures["serving_default"]


def _request(**change):
    request = {
        "features": tf.constant(video_features()),
        "duration": tf.constant(DURATION),
        "token_ids": tf.constant([[101, 2000, 102]]),
        "padding_mask": tf.constant([[1, 1, 1]]),
    }
    request.update(change)
    return request


def test_the_graph_refuses_negative_token_ids(serving_default):
    assert serving_default(**_request())["score"].shape[0] == 1
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"token_ids must be vocabulary ids \(>= 0\), got.*-5"):
        serving_default(**_request(token_ids=tf.constant([[101, -5, 102]])))


def test_the_graph_refuses_a_duration_beyond_float32(serving_default):
    # 1e39 reaches a float32 input as inf.
    with pytest.raises(tf.errors.InvalidArgumentError, match="duration must be a positive number of seconds that fits a float32"):
        serving_default(**_request(duration=tf.constant(np.inf, tf.float32)))


def test_python_checks_refuse_a_duration_beyond_float32():
    features = video_features()
    with pytest.raises(InvalidRequestError, match=r"fits a float32 \(at most 3.4e\+38\), got 1e\+39"):
        check_request(features, 1e39, QUERIES, feature_dim=FEATURE_DIM)
    _, duration, _ = check_request(features, 3e38, QUERIES, feature_dim=FEATURE_DIM)
    assert duration == 3e38 and duration <= FLOAT32_MAX


@pytest.mark.parametrize(
    "token_ids, padding_mask, message",
    [
        ([[101, -1, 102]], [[1, 1, 1]], r"token_ids must be vocabulary ids \(0 <= id < 2\*\*31\); query 0 has \[101, -1, 102\]"),
        ([[101, 2**31, 102]], [[1, 1, 1]], "token_ids must be vocabulary ids"),
        ([[101, 102]], [[1, 1, 1]], r"same shape \[M, S\], got \(1, 2\) and \(1, 3\)"),
        ([101, 102], [1, 1], r"token_ids must be a \[queries, tokens\] matrix"),
        ([[101, 102]], [[1, 2]], "padding_mask must hold 0 .padding. and 1"),
        ([[101, 102], [0, 0]], [[1, 1], [0, 0]], r"query 1 has no real token"),
        ([[101.5, 102]], [[1, 1]], "token_ids must hold integers"),
        (np.zeros((0, 3), np.int32), np.zeros((0, 3), np.int32), "no queries"),
    ],
)
def test_check_token_request_names_the_problem(token_ids, padding_mask, message):
    with pytest.raises(InvalidRequestError, match=message):
        check_token_request(token_ids, padding_mask)


def test_check_token_request_passes_good_requests():
    ids, mask = check_token_request([[101, 2000, 102, 0]], np.array([[1, 1, 1, 0]], bool))
    assert ids.dtype == np.int32 and mask.dtype == np.int32 and mask.tolist() == [[1, 1, 1, 0]]


def test_the_localizer_reports_a_failed_graph_check_without_a_trace(export_base):
    localizer = Localizer(export_base)
    with pytest.raises(InvalidRequestError) as error:
        # Past the Python checks, straight into the graph's.
        localizer._call(
            localizer._localize,
            queries=tf.constant(QUERIES),
            features=tf.constant(video_features()),
            duration=tf.constant(np.float32(np.inf)),
        )
    message = str(error.value)
    assert message.startswith("duration must be a positive number of seconds that fits a float32")
    assert "node" not in message and "\n" not in message and message.endswith("inf")
    with pytest.raises(InvalidRequestError, match="fits a float32"):
        localizer.localize(video_features(), 1e39, QUERIES)


def test_assertion_message_keeps_the_checks_words():
    class Failed(Exception):
        message = "assertion failed: [token_ids must be vocabulary ids (>= 0), got] [-3]\n\t [[{{node Assert}}]]"

    assert assertion_message(Failed()) == "token_ids must be vocabulary ids (>= 0), got -3"
