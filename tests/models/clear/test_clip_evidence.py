import keras
import numpy as np
import pytest
import tensorflow as tf

from clear_tf.models.clear.clip_evidence import ClipEvidence
from clear_tf.models.clear.reference import reference_clip_evidence

CLIPS = 7


def evidence_of(layer, clip_scores):
    return np.asarray(keras.ops.convert_to_numpy(layer(clip_scores.astype("float32"))), np.float64)


def test_matches_the_loop_reference_on_the_candidates():
    clip_scores = np.random.default_rng(0).normal(size=(5, CLIPS))
    layer = ClipEvidence(initial_scale=0.6, initial_threshold=0.4)
    evidence = evidence_of(layer, clip_scores)
    upper = np.triu(np.ones((CLIPS, CLIPS), bool))
    np.testing.assert_allclose(
        evidence[:, upper], reference_clip_evidence(clip_scores, 0.6, 0.4)[:, upper], rtol=1e-5, atol=1e-5
    )


def test_any_leading_shape():
    layer = ClipEvidence()
    clip_scores = np.random.default_rng(1).normal(size=(2, 3, CLIPS))
    evidence = evidence_of(layer, clip_scores)
    assert evidence.shape == (2, 3, CLIPS, CLIPS)
    np.testing.assert_allclose(evidence[1, 2], evidence_of(layer, clip_scores[1, 2][None])[0], atol=1e-5)


def test_shift_and_scale_of_the_clip_scores_change_nothing():
    clip_scores = np.random.default_rng(2).normal(size=(3, CLIPS))
    layer = ClipEvidence()
    np.testing.assert_allclose(evidence_of(layer, 4.0 * clip_scores - 2.5), evidence_of(layer, clip_scores), atol=1e-4)


def test_peaks_on_the_span_of_the_matching_clips():
    clip_scores = np.zeros((1, CLIPS))
    clip_scores[0, 2:5] = 1.0  # z ≈ 1.15 inside, -0.87 outside
    evidence = evidence_of(ClipEvidence(initial_threshold=0.5), clip_scores)[0]
    upper = np.triu(np.ones((CLIPS, CLIPS), bool))
    best = np.unravel_index(np.argmax(np.where(upper, evidence, -np.inf)), evidence.shape)
    assert tuple(int(index) for index in best) == (2, 4)


def test_constant_clip_scores_stay_finite():
    evidence = evidence_of(ClipEvidence(), np.full((1, CLIPS), 3.0))
    np.testing.assert_allclose(np.diagonal(evidence[0]), -1.0, atol=1e-5)  # z = 0: −τ per clip


def test_config_round_trip_and_gradients():
    layer = ClipEvidence(initial_scale=2.0, initial_threshold=-0.5, name="evidence")
    clone = ClipEvidence.from_config(layer.get_config())
    assert (clone.initial_scale, clone.initial_threshold, clone.name) == (2.0, -0.5, "evidence")
    clip_scores = keras.ops.convert_to_tensor(np.random.default_rng(3).normal(size=(2, CLIPS)), "float32")
    with tf.GradientTape() as tape:
        tape.watch(clip_scores)
        total = keras.ops.sum(layer(clip_scores) ** 2)
    gradients = tape.gradient(total, [layer.scale, layer.threshold, clip_scores])
    assert all(np.any(np.asarray(g) != 0) for g in gradients)
    np.testing.assert_allclose(evidence_of(clone, np.asarray(clip_scores)), evidence_of(layer, np.asarray(clip_scores)))


@pytest.mark.parametrize("scale", [0.0, -1.0])
def test_scale_multiplies_the_sums(scale):
    clip_scores = np.random.default_rng(4).normal(size=(2, CLIPS))
    base = evidence_of(ClipEvidence(), clip_scores)
    np.testing.assert_allclose(evidence_of(ClipEvidence(initial_scale=scale), clip_scores), scale * base, atol=1e-5)
