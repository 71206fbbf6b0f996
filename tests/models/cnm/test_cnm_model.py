"""The CNM model: its outputs, inference rule, ``.keras`` round trip and the two-part train step."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from clear_tf.models import load_model
from clear_tf.models.cnm.gaussian import gaussian_segment, segment_score_map

from tiny_cnm import NUM_CLIPS, NUM_PRE_CLIPS, batch, tiny_cnm, tokens


@pytest.fixture(scope="module")
def model():
    return tiny_cnm()


def test_outputs_are_the_three_cross_entropies_per_slot(model):
    x = batch()
    x["token_ids"][1, 2] = [1, 2, 0, 0, 0, 0, 0, 0]  # an empty (padded) slot
    x["padding_mask"][1, 2] = [1, 1, 0, 0, 0, 0, 0, 0]
    outputs = model(x)
    assert set(outputs) == {"reconstruction", "contrastive"}
    nll = outputs["reconstruction"].numpy()
    assert nll.shape == (2, 3, 3)
    np.testing.assert_array_equal(nll, outputs["contrastive"].numpy())
    np.testing.assert_array_equal(nll[1, 2], 0.0)  # nothing to reconstruct
    assert np.all(nll[:, :2] > 0) and np.all(np.isfinite(nll))
    # Outside training the masking is fixed, so the outputs are too; in training they are drawn.
    np.testing.assert_array_equal(model(x)["reconstruction"].numpy(), nll)
    assert not np.allclose(model(x, training=True)["reconstruction"].numpy(), nll)


def test_localize_ranks_the_cell_closest_to_the_gaussian_segment(model):
    rng = np.random.default_rng(5)
    features = rng.normal(size=(23, 6)).astype("float32")  # resampled to N = 16
    ids, mask = tokens([3, 5, 1], seed=2)
    from clear_tf.inference.candidates import prepare_features

    video = model.encode_video(prepare_features(features, NUM_PRE_CLIPS, False))
    queries = model.encode_queries(ids, mask)
    gaussians = model.gaussians(video, queries).numpy()
    assert gaussians.shape == (3, 2) and np.all((gaussians > 0) & (gaussians < 1))

    result = {k: v.numpy() for k, v in model.localize(features, ids, mask.astype(bool), 40.0, top_k=3, nms_threshold=0.5).items()}
    maps = segment_score_map(gaussians, NUM_CLIPS).numpy()
    segments = gaussian_segment(gaussians).numpy() * 40.0
    for q in range(3):
        i, j = np.unravel_index(maps[q].argmax(), maps[q].shape)
        assert result["start"][q, 0] == pytest.approx(i * 5.0) and result["end"][q, 0] == pytest.approx((j + 1) * 5.0)
        assert result["score"][q, 0] == pytest.approx(maps[q].max(), rel=1e-5)
        # The rounding to the grid moves each end by at most one clip.
        assert abs(result["start"][q, 0] - segments[q, 0]) <= 5.0 + 1e-4
        assert abs(result["end"][q, 0] - segments[q, 1]) <= 5.0 + 1e-4
    np.testing.assert_allclose(model.confidence_maps(features, ids, mask.astype(bool)).numpy(), maps, rtol=1e-5, atol=1e-6)
    assert np.all(result["scored_fraction"] == 1.0)


def test_keras_file_round_trip_gives_identical_outputs(model, tmp_path):
    path = str(tmp_path / "cnm.keras")
    model.save(path)
    loaded = load_model(path)
    assert type(loaded) is type(model) and loaded.get_config() == model.get_config()
    x = batch(seed=4)
    for name, value in model(x).items():
        np.testing.assert_array_equal(loaded(x)[name].numpy(), value.numpy())
    features = np.random.default_rng(6).normal(size=(16, 6)).astype("float32")
    ids, mask = tokens([2, 4], seed=7)
    expected = model.localize(features, ids, mask.astype(bool), 12.0, top_k=2)
    got = loaded.localize(features, ids, mask.astype(bool), 12.0, top_k=2)
    for name in ("start", "end", "score"):
        np.testing.assert_array_equal(got[name].numpy(), expected[name].numpy())
    table = model.word_embedding.table.numpy()
    np.testing.assert_array_equal(loaded.word_embedding.table.numpy(), table)
    assert not loaded.word_embedding.table.trainable


def _train_one_step(reconstruction_weight, contrastive_weight, seed=0, **options):
    from clear_tf.models.cnm import CNM
    from clear_tf.config import Config

    model = tiny_cnm(seed=seed, **options)
    config = Config(model_name="cnm")
    config.model.reconstruction_weight = reconstruction_weight
    config.model.contrastive_weight = contrastive_weight
    losses, weights = CNM.build_losses(config)
    # Eagerly: the same train_step without minutes of graph tracing.
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss=losses, loss_weights=weights, run_eagerly=True)
    x = batch(seed=seed)
    zeros = np.zeros(x["token_ids"].shape[:2], "float32")
    y = {"reconstruction": zeros, "contrastive": zeros}
    sample_weight = {"reconstruction": zeros + 1.0, "contrastive": zeros + 1.0}
    before = {v.path: v.numpy().copy() for v in model.trainable_variables}
    history = model.fit(tf.data.Dataset.from_tensors((x, y, sample_weight)), epochs=1, verbose=0)
    changed = {v.path for v in model.trainable_variables if not np.array_equal(v.numpy(), before[v.path])}
    head = {v.path for v in model.generator_variables()}
    return changed, head, history.history, model


@pytest.mark.slow
def test_each_loss_trains_its_own_variables():
    # Only L_rec: everything moves but the Gaussian head (the reference freezes the mask generator's head).
    changed, head, logs, model = _train_one_step(1.0, 0.0)
    assert head and not changed & head
    assert changed <= {v.path for v in model.reconstructor_variables()}
    assert len(changed) > 0.9 * len(model.reconstructor_variables())
    assert {"loss", "reconstruction_loss", "contrastive_loss"} <= set(logs)
    # Only L_ivc: the Gaussian head moves and nothing else.
    changed, head, _, _ = _train_one_step(0.0, 1.0)
    assert changed == head and len(head) == 2
    # Unshared decoders: L_ivc trains the generator's own pair with the head, L_rec the rest.
    # (Sub-layers a decoder never uses in its role, e.g. the generator word decoder's
    # source attention, get no gradient and keep their values.)
    changed, generator, _, model = _train_one_step(0.0, 1.0, share_decoders=False)
    head = {v.path for v in model.gaussian_head.trainable_variables}
    assert head < changed <= generator and any("generator_video_decoder" in path for path in changed)
    changed, generator, _, model = _train_one_step(1.0, 0.0, share_decoders=False)
    reconstructor = {v.path for v in model.reconstructor_variables()}
    unused = {path for path in reconstructor if path.startswith("video_decoder/") and "/source_" in path}
    assert not changed & generator and changed == reconstructor - unused
    # The word table stays frozen in any case.
    assert all("word_embedding/table" not in v.path for v in model.trainable_variables)


def test_training_targets_hold_no_timestamp():
    from clear_tf.config import Config
    from clear_tf.models.cnm import CNM

    batch_dict = {
        "query_mask": tf.ones([2, 3]),
        "times": tf.fill([2, 3, 2], np.nan),
        "iou_map": tf.fill([2, 3, 4, 4], np.nan),
        "duration": tf.fill([2], np.nan),
    }
    targets = CNM.training_targets(batch_dict, Config(model_name="cnm"))
    assert set(targets) == {"reconstruction", "contrastive"}
    for value in targets.values():
        np.testing.assert_array_equal(value.numpy(), np.zeros([2, 3]))


def test_model_stats_count_every_weight(model):
    stats = model.model_stats(num_tokens=8)
    assert stats["parameters"]["total"] == sum(int(np.prod(w.shape)) for w in model.weights)
    assert stats["parameters"]["word_table (frozen)"] == 40 * 5
    assert stats["flops_per_query"]["total"] > 0 and stats["flops_per_video"]["total"] == 2 * 16 * 6 * 8
