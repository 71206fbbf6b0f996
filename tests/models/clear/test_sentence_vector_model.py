"""CLEAR.sentence_vector_model: same outputs from precomputed vectors, shared weights."""

import keras
import numpy as np
import pytest

from clear_tf import text_presets
from tiny_text_preset import tiny_text_preset
from clear_tf.data import SentenceVectors
from clear_tf.models.clear import CLEAR

BATCH, SLOTS, TOKENS, UNITS, DIM, CLIPS = 2, 3, 6, 16, 8, 8


@pytest.fixture(scope="module")
def model():
    return CLEAR(
        text_presets.load_backbone(tiny_text_preset()), feature_dim=DIM, num_pre_clips=UNITS, num_clips=CLIPS,
        hidden_dim=16, tcn_channels=[8], tree_depth=2,
    )


def _inputs():
    rng = np.random.default_rng(0)
    token_ids = rng.integers(1000, 5000, size=(BATCH, SLOTS, TOKENS)).astype(np.int32)
    lengths = np.array([[6, 4, 2], [3, 6, 2]])
    padding_mask = (np.arange(TOKENS) < lengths[..., None]).astype(np.int32)
    return rng.normal(size=(BATCH, UNITS, DIM)).astype(np.float32), token_ids * padding_mask, padding_mask


def test_outputs_match_the_token_model(model):
    features, token_ids, padding_mask = _inputs()
    vectors = SentenceVectors(tiny_text_preset(), "mean")
    embeddings = np.reshape(
        vectors(token_ids.reshape(-1, TOKENS), padding_mask.reshape(-1, TOKENS)), (BATCH, SLOTS, -1)
    )
    assert embeddings.shape[-1] == vectors.dim == model.text_backbone.hidden_dim
    view = model.sentence_vector_model()
    from_tokens = model({"features": features, "token_ids": token_ids, "padding_mask": padding_mask})
    from_vectors = view({"features": features, "sentence_embedding": embeddings})
    for name in ("anchor_similarity", "fine_logits", "coarse_scores"):
        np.testing.assert_allclose(from_vectors[name], from_tokens[name], rtol=1e-4, atol=1e-4)


def test_view_shares_every_trainable_weight_and_has_no_bert(model):
    view = model.sentence_vector_model()
    assert {id(v) for v in view.trainable_variables} == {id(v) for v in model.trainable_variables}
    bert = {id(w) for w in model.text_backbone.weights}
    assert not bert & {id(w) for w in view.weights}
    # A step on the view moves the CLEAR model's weights.
    before = [np.array(v) for v in model.trainable_variables]
    view.compile(optimizer=keras.optimizers.SGD(0.1), loss={"fine_logits": "mse"})
    features, _, _ = _inputs()
    view.train_on_batch(
        {"features": features, "sentence_embedding": np.ones((BATCH, SLOTS, model.text_backbone.hidden_dim), np.float32)},
        {"fine_logits": np.zeros((BATCH, SLOTS, CLIPS, CLIPS), np.float32)},
    )
    assert any(not np.allclose(b, np.array(v)) for b, v in zip(before, model.trainable_variables))


def test_fine_tuned_text_encoder_has_no_sentence_vector_view():
    tuned = CLEAR(
        text_presets.load_backbone(tiny_text_preset()), feature_dim=DIM, num_pre_clips=UNITS, num_clips=CLIPS,
        hidden_dim=16, tcn_channels=[8], tree_depth=2, text_trainable=True,
    )
    with pytest.raises(ValueError, match="frozen text encoder"):
        tuned.sentence_vector_model()
