"""CDN's layers: the sequential frame attention, the dynamic convolution and the dynamic map head."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from clear_tf.models.cdn.dynamic_conv import DynamicConv2D
from clear_tf.models.cdn.dynamic_map_conv import DynamicMapConv
from clear_tf.models.cdn.frame_attention import SequentialFrameAttention
from clear_tf.models.tan2d.sparse_layout import masked_conv_weights, tan2d_candidates


def _dense(layer, x):
    kernel, bias = layer.get_weights()
    return x @ kernel + bias


def _softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@pytest.mark.parametrize("num_steps", [1, 2])
def test_frame_attention_by_hand(num_steps):
    keras.utils.set_random_seed(0)
    layer = SequentialFrameAttention(num_clips=4, hidden_dim=6, num_steps=num_steps, attention_dim=5)
    units = np.random.default_rng(0).normal(size=(2, 12, 6)).astype(np.float32)
    clips, attention = (np.asarray(t) for t in layer.attend(units))
    frames = units.reshape(2, 4, 3, 6)
    mean = frames.mean(axis=2)
    selection, selections = np.zeros_like(mean), []
    for step in range(num_steps):
        guide = np.maximum(
            _dense(layer.guide, np.concatenate([_dense(layer.segment_projections[step], mean), selection], -1)), 0
        )
        scores = _dense(
            layer.attention_logit,
            np.tanh(_dense(layer.guide_attention, guide)[:, :, None] + _dense(layer.frame_attention, frames)),
        )
        weights = _softmax(scores, axis=2)
        np.testing.assert_allclose(attention[..., step : step + 1], weights, rtol=1e-4, atol=1e-6)
        selection = (frames * weights).sum(axis=2)
        selections.append(selection)
    expected = np.maximum(_dense(layer.output_projection, np.concatenate(selections, -1)), 0)
    np.testing.assert_allclose(clips, expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(attention.sum(axis=2), 1.0, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(layer(units)), clips, atol=1e-6)


def test_frame_attention_round_trip_and_checks():
    layer = SequentialFrameAttention(num_clips=4, hidden_dim=6, num_steps=2, attention_dim=5)
    units = np.random.default_rng(1).normal(size=(2, 8, 6)).astype(np.float32)
    out = np.asarray(layer(units))
    clone = SequentialFrameAttention.from_config(layer.get_config())
    clone(units)
    clone.set_weights(layer.get_weights())
    np.testing.assert_array_equal(np.asarray(clone(units)), out)
    with pytest.raises(ValueError, match="multiple of num_clips"):
        SequentialFrameAttention(num_clips=3, hidden_dim=6)(units)


def _maps_and_conditions(seed=0, n=3, size=6, channels=4, condition_dim=5):
    rng = np.random.default_rng(seed)
    return (
        rng.normal(size=(n, size, size, channels)).astype(np.float32),
        rng.normal(size=(n, condition_dim)).astype(np.float32),
    )


def test_dynamic_conv_is_a_conv_with_the_generated_kernel():
    keras.utils.set_random_seed(1)
    layer = DynamicConv2D(filters=3, kernel_size=3, num_experts=4, dropout=0.1)
    maps, conditions = _maps_and_conditions()
    out = np.asarray(layer([maps, conditions]))
    kernels, biases = (np.asarray(t) for t in layer.generated_kernels(maps, conditions))
    # The mixture weights by hand: softmax(W_e tanh(W_q c + W_x mean(x))), no dropout at inference.
    mix = np.tanh(_dense(layer.condition_gate, conditions) + _dense(layer.map_gate, maps.mean(axis=(1, 2))))
    weights = _softmax(_dense(layer.expert_logits, mix), axis=-1)
    np.testing.assert_allclose(np.asarray(layer.mixture_weights(maps, conditions)), weights, rtol=1e-5, atol=1e-6)
    experts, expert_biases = layer.expert_kernels.numpy(), layer.expert_biases.numpy()
    np.testing.assert_allclose(kernels, np.einsum("ne,eijcf->nijcf", weights, experts), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(biases, weights @ expert_biases, rtol=1e-5, atol=1e-6)
    for n in range(maps.shape[0]):
        expected = tf.nn.conv2d(maps[n : n + 1], kernels[n], strides=1, padding="SAME")[0] + biases[n]
        np.testing.assert_allclose(out[n], expected, rtol=1e-4, atol=1e-5)
    # Another condition gives another kernel.
    other, _ = layer.generated_kernels(maps, conditions[::-1])
    assert not np.allclose(np.asarray(other)[0], kernels[0])


def test_dynamic_conv_trains_on_cpu_and_round_trips():
    layer = DynamicConv2D(filters=4, kernel_size=3, num_experts=2)
    maps, conditions = _maps_and_conditions(channels=4)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(layer([maps, conditions], training=True) ** 2)
    gradients = tape.gradient(loss, layer.trainable_variables)
    assert len(gradients) == len(layer.trainable_variables) and all(g is not None for g in gradients)
    clone = DynamicConv2D.from_config(layer.get_config())
    clone([maps, conditions])
    clone.set_weights(layer.get_weights())
    np.testing.assert_array_equal(np.asarray(clone([maps, conditions])), np.asarray(layer([maps, conditions])))
    with pytest.raises(ValueError, match="odd kernel_size"):
        DynamicConv2D(filters=4, kernel_size=4)


def _reference_head(head, fused, queries):
    """DynamicMapConv by hand at inference: BN (moving stats), conv, residual ReLU, 1/n weights, BN, logit."""
    mask = tan2d_candidates(fused.shape[1], head.pooling_counts)

    def norm(layer, x):
        gamma, beta, mean, variance = layer.get_weights()
        return (x - mean) / np.sqrt(variance + layer.epsilon) * gamma + beta

    x = fused
    for index, (bn, conv) in enumerate(zip(head.norms, head.convolutions)):
        x = norm(bn, x)
        if index < head.dynamic_layers:
            kernels, biases = (np.asarray(t) for t in conv.generated_kernels(x, queries))
        else:
            kernel, bias = conv.get_weights()
            kernels, biases = np.broadcast_to(kernel, (len(x), *kernel.shape)), np.broadcast_to(bias, (len(x), len(bias)))
        y = np.stack([tf.nn.conv2d(x[n : n + 1], kernels[n], 1, "SAME")[0] + biases[n] for n in range(len(x))])
        mask, weight = masked_conv_weights(mask, head.kernel_size, (head.kernel_size - 1) // 2)
        x = np.maximum(y + x, 0) * weight[None, :, :, None]
    x = norm(head.norms[-1], x)
    kernel, bias = head.logit_layer.get_weights()
    return np.einsum("nhwc,c->nhw", x, kernel[0, 0, :, 0]) + bias[0]


def test_dynamic_map_conv_by_hand():
    keras.utils.set_random_seed(2)
    head = DynamicMapConv(hidden_dim=4, num_layers=3, kernel_size=3, dynamic_layers=2, num_experts=3, pooling_counts=[2])
    fused, queries = _maps_and_conditions(seed=3, n=2, size=8, channels=4, condition_dim=5)
    logits = np.asarray(head([fused, queries]))
    # Non-trivial BN statistics, as after training.
    for norm in head.norms:
        gamma, beta, mean, variance = norm.get_weights()
        norm.set_weights([gamma * 1.5, beta + 0.1, mean + 0.2, variance * 2.0])
    logits = np.asarray(head([fused, queries], training=False))
    np.testing.assert_allclose(logits, _reference_head(head, fused, queries), rtol=1e-4, atol=1e-4)
    assert [type(c).__name__ for c in head.convolutions] == ["DynamicConv2D", "DynamicConv2D", "Conv2D"]


def test_dynamic_map_conv_leading_axes_training_and_round_trip():
    head = DynamicMapConv(hidden_dim=4, num_layers=2, kernel_size=3, dynamic_layers=1, num_experts=2, pooling_counts=[3, 2])
    rng = np.random.default_rng(4)
    fused = rng.normal(size=(2, 3, 8, 8, 4)).astype(np.float32)
    queries = rng.normal(size=(2, 3, 5)).astype(np.float32)
    logits = np.asarray(head([fused, queries]))
    assert logits.shape == (2, 3, 8, 8)
    np.testing.assert_allclose(logits[1], np.asarray(head([fused[1], queries[1]])), atol=1e-5)
    moving = [w.numpy().copy() for w in head.non_trainable_weights]
    head([fused, queries], training=True)
    assert any(not np.allclose(a, w.numpy()) for a, w in zip(moving, head.non_trainable_weights))
    clone = DynamicMapConv.from_config(head.get_config())
    clone([fused, queries])
    clone.set_weights(head.get_weights())
    np.testing.assert_array_equal(np.asarray(clone([fused, queries])), np.asarray(head([fused, queries])))
