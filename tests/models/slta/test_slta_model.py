"""SLTA as a MomentLocalizer: packed region input, the O = 1 path, the single-video path, saving, errors."""

import copy
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from clear_tf.models.slta import SLTA
from clear_tf.models.slta.model import pack_regions, packed_width

UNIT_DIM, REGIONS, REGION_DIM, UNITS, CLIPS = 6, 3, 4, 16, 8
QUERIES = np.array([[2, 7, 8, 3, 0], [2, 9, 3, 0, 0]], "int32")  # [M, S]


def tiny(num_regions=REGIONS, seed=0, **kwargs) -> SLTA:
    keras.utils.set_random_seed(seed)
    return SLTA(
        vocabulary_size=30, word_dim=5,
        feature_dim=packed_width(UNIT_DIM, num_regions, REGION_DIM if num_regions else 0),
        unit_dim=UNIT_DIM, num_regions=num_regions, region_dim=REGION_DIM if num_regions else 0,
        num_pre_clips=UNITS, num_clips=CLIPS, hidden_dim=8, attention_dim=4, dropout=0.0, **kwargs,
    )


def batch(model, seed=0):
    rng = np.random.default_rng(seed)
    ids = np.stack([QUERIES, QUERIES[::-1]])  # [B=2, K=2, S]
    return {
        "features": rng.normal(size=(2, UNITS, model.feature_dim)).astype("float32"),
        "token_ids": ids,
        "padding_mask": (ids != 0).astype("int32"),
    }


def test_pack_regions_and_video_inputs():
    from clear_tf.models.slta import SLTAConfig

    rng = np.random.default_rng(0)
    units = rng.normal(size=(2, UNITS, UNIT_DIM)).astype("float32")
    regions = rng.normal(size=(2, UNITS, REGIONS, REGION_DIM)).astype("float32")
    packed = pack_regions(units, regions).numpy()
    assert packed.shape == (2, UNITS, UNIT_DIM + REGIONS * REGION_DIM)
    np.testing.assert_array_equal(packed[..., :UNIT_DIM], units)
    np.testing.assert_array_equal(packed[0, 5, UNIT_DIM + REGION_DIM : UNIT_DIM + 2 * REGION_DIM], regions[0, 5, 1])
    settings = SLTAConfig()
    np.testing.assert_array_equal(SLTA.video_inputs(units, regions, settings).numpy(), packed)
    assert SLTA.video_inputs(units, None, settings) is units
    settings.use_regions = False
    assert SLTA.video_inputs(units, regions, settings) is units


def test_regions_change_the_scores_and_each_region_is_read():
    model = tiny()
    inputs = batch(model)
    logits = model(inputs)["logits"].numpy()
    assert logits.shape == (2, 2, CLIPS, CLIPS)
    assert np.all(logits[..., ~model.candidate_mask] == -1e4)
    for slot in range(REGIONS):
        changed = copy.deepcopy(inputs)
        start = UNIT_DIM + slot * REGION_DIM
        changed["features"][:, :, start : start + REGION_DIM] += 3.0 * np.random.default_rng(slot).normal(
            size=(2, UNITS, REGION_DIM)
        )
        assert not np.allclose(model(changed)["logits"].numpy(), logits, atol=1e-5), slot


def test_without_regions_the_unit_is_the_single_region():
    model = tiny(num_regions=0)
    assert model.feature_dim == UNIT_DIM and "O = 1" in model.region_description
    inputs = batch(model)
    logits = model(inputs)["logits"].numpy()
    assert logits.shape == (2, 2, CLIPS, CLIPS)
    video = model.encode_video(tf.constant(inputs["features"][0]))
    assert tuple(video["regions"].shape) == (UNITS, 1, 8)
    queries = model.encode_queries(tf.constant(QUERIES), tf.constant(QUERIES != 0))
    np.testing.assert_allclose(model.spatial_weights(video, queries).numpy(), 1.0)


def test_spatial_weights_are_a_softmax_over_the_regions():
    model = tiny()
    video = model.encode_video(tf.constant(batch(model)["features"][0]))
    queries = model.encode_queries(tf.constant(QUERIES), tf.constant(QUERIES != 0))
    weights = model.spatial_weights(video, queries).numpy()
    assert weights.shape == (2, UNITS, REGIONS)
    np.testing.assert_allclose(weights.sum(-1), 1.0, rtol=1e-5)
    assert not np.allclose(weights, 1.0 / REGIONS, atol=1e-4)  # the query moves them


def test_single_video_path_matches_the_full_graph():
    model = tiny()
    features = batch(model)["features"][0]
    maps = model.confidence_maps(features, tf.constant(QUERIES), tf.constant(QUERIES != 0)).numpy()
    full = model(
        {"features": features[None], "token_ids": QUERIES[None], "padding_mask": (QUERIES != 0).astype("int32")[None]}
    )["logits"][0].numpy()
    expected = np.where(model.candidate_mask, tf.sigmoid(full).numpy(), 0.0)
    np.testing.assert_allclose(maps, expected, atol=1e-5)
    result = model.localize(features, QUERIES, QUERIES != 0, 30.0, top_k=3)
    assert np.all(np.diff(result["score"].numpy(), axis=1) <= 0)
    np.testing.assert_allclose(result["score"].numpy()[:, 0], maps.reshape(2, -1).max(axis=1), atol=1e-5)
    np.testing.assert_array_equal(result["scored_fraction"].numpy(), [1.0, 1.0])


def test_keras_round_trip(tmp_path):
    from clear_tf.models import load_model

    model = tiny()
    inputs = batch(model, seed=3)
    path = os.path.join(tmp_path, "slta.keras")
    model.save(path)
    loaded = load_model(path)
    assert type(loaded) is SLTA and loaded.get_config() == model.get_config()
    np.testing.assert_array_equal(loaded(inputs)["logits"].numpy(), model(inputs)["logits"].numpy())


@pytest.mark.slow
def test_loss_decreases():
    from clear_tf import moments

    model = tiny()
    loss = model.build_losses(_config())[0]["logits"]
    inputs = batch(model)
    starts, ends = moments.candidate_times(CLIPS, 1.0)
    targets = np.stack(
        [np.stack([moments.temporal_iou(starts, ends, s, e) for s, e in pair]) for pair in [[(0.1, 0.4), (0.5, 0.9)], [(0.0, 0.3), (0.6, 1.0)]]]
    ).astype("float32") * moments.valid_mask(CLIPS)
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss={"logits": loss})
    losses = [float(model.train_on_batch(inputs, {"logits": targets})) for _ in range(15)]
    assert np.isfinite(losses).all() and losses[-1] < 0.8 * losses[0], losses


def _config(**fields):
    from clear_tf.config import Config

    config = Config(model_name="slta")
    config.data.num_pre_clips, config.data.num_clips = UNITS, CLIPS
    for name, value in fields.items():
        setattr(config.model, name, value)
    return config


def test_bad_settings_name_the_flag():
    from clear_tf.config import validate

    for fields, flag in [
        ({"hidden_dim": 7}, "--hidden_dim"),
        ({"context_kernel": 2}, "--context_kernel"),
        ({"min_iou": 0.8, "max_iou": 0.7}, "--min_iou"),
        ({"dropout": 1.0}, "--dropout"),
    ]:
        with pytest.raises(ValueError, match=flag):
            validate(_config(**fields))
    config = _config()
    config.data.num_pre_clips = 20
    with pytest.raises(ValueError, match="--num_pre_clips"):
        validate(config)


def test_region_dims_mismatch_is_one_line():
    with pytest.raises(ValueError, match="feature_dim=10 but unit_dim"):
        SLTA(vocabulary_size=30, word_dim=5, feature_dim=10, unit_dim=UNIT_DIM, num_regions=2, region_dim=4,
             num_pre_clips=UNITS, num_clips=CLIPS, hidden_dim=8, attention_dim=4)
    model = tiny()
    with pytest.raises(ValueError, match=r"features: SLTA expects D' = 18 per unit .*got 6"):
        model.encode_video(tf.zeros([UNITS, UNIT_DIM]))


def test_preprocess_checks_the_region_field():
    from clear_tf.data.preprocess import preprocess_video

    class Tokenizer:  # the preprocessing's tokenizer, without BERT
        def __call__(self, sentences):
            return tf.zeros([tf.shape(sentences)[0], 4], tf.int32), tf.ones([tf.shape(sentences)[0], 4], tf.bool)

    example = {
        "video_id": tf.constant("v1"),
        "features": tf.ones([10, UNIT_DIM]),
        "region_features": tf.reshape(tf.range(10 * 2 * 3, dtype=tf.float32), [10, 2, 3]),
        "duration": tf.constant(5.0),
        "queries": {"sentence": tf.constant(["a"]), "start": tf.constant([0.0]), "end": tf.constant([1.0])},
    }
    video = preprocess_video(example, num_pre_clips=5, normalize_features=True, tokenizer=Tokenizer())
    regions = video["region_features"].numpy()
    assert regions.shape == (5, 2, 3)
    expected = example["region_features"].numpy().reshape(5, 2, 2, 3).mean(axis=1)  # pairs of units
    np.testing.assert_allclose(regions, expected)
    bad = {**example, "region_features": tf.zeros([9, 2, 3])}
    with pytest.raises(tf.errors.InvalidArgumentError, match="video v1: region_features has 9 units but features has 10"):
        preprocess_video(bad, num_pre_clips=5, normalize_features=False, tokenizer=Tokenizer())
    bad = {**example, "region_features": tf.fill([10, 2, 3], np.nan)}
    with pytest.raises(tf.errors.InvalidArgumentError, match="region_features contain NaN"):
        preprocess_video(bad, num_pre_clips=5, normalize_features=False, tokenizer=Tokenizer())
