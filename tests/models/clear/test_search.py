"""CLEAR's ``localize`` (its three methods, both trees) against a brute-force NumPy pipeline
built from the same sub-models."""

import numpy as np
import pytest
import tensorflow as tf

from clear_tf.inference import make_localizer
from clear_tf.inference.reference import reference_nms
from clear_tf.models.clear.reference import (
    node_mask,
    reference_binary_search,
    reference_clip_evidence,
    reference_coarse_peaks,
    reference_paper_search,
    reference_top_coarse,
)
from clear_tf.models.clear.tree_search import default_depth

from fake_clear import NUM_CLIPS, UNITS_PER_CLIP, random_video

NUM_UNITS = NUM_CLIPS * UNITS_PER_CLIP  # the fake's num_pre_clips: no resampling
DURATION = 16.0
OPTIONS = {"mu": -0.1, "rho": 0.1, "nms_threshold": 0.4, "top_k": 4}


def brute_force(
    model, features, token_ids, padding_mask, method, tree=None, descend_when="both", min_kept_share=0.0,
    coarse_peaks=0, evidence_threshold=None, fine_mlp_weight=1.0,
):
    """Scores every cell with full maps, keeps the reference node, NMS per query in NumPy."""
    moment_map = model.video_encoder(features[None])[0].numpy()
    queries = model.query_encoder({"token_ids": token_ids, "padding_mask": padding_mask}).numpy()
    coarse = np.einsum("ijd,md->mij", moment_map, queries) / model.hidden_dim
    logits = model.fine_head(queries[:, None, None, :] * moment_map[None]).numpy()
    if model.clip_evidence is not None:
        learned = float(model.clip_evidence.threshold.numpy())
        logits = fine_mlp_weight * logits + reference_clip_evidence(
            np.diagonal(coarse, axis1=1, axis2=2),
            float(model.clip_evidence.scale.numpy()),
            learned if evidence_threshold is None else evidence_threshold,
        )
    fine = 1.0 / (1.0 + np.exp(-logits.astype("float64")))
    clip_starts, clip_ends = np.indices((NUM_CLIPS, NUM_CLIPS))
    clip_ends = clip_ends + 1  # cell (i, j) is the clip span [i, j + 1)
    results = []
    for query in range(len(queries)):
        kept = model.candidate_mask.copy()
        scores = fine[query]
        if method == "clear_c":
            scores = coarse[query]
        elif method == "clear":
            scores_of_query = coarse[query].astype("float32")
            if tree == "paper":
                node = reference_paper_search(
                    scores_of_query, model.tree_depth, OPTIONS["mu"], OPTIONS["rho"], descend_when
                )
            else:
                depth = default_depth("binary", NUM_CLIPS, model.tree_depth)
                node = reference_binary_search(scores_of_query, depth, model.candidate_mask)
            kept = node_mask(node, model.candidate_mask)
            kept |= reference_top_coarse(scores_of_query, model.candidate_mask, min_kept_share)
            if coarse_peaks:
                kept |= reference_coarse_peaks(scores_of_query, model.candidate_mask, coarse_peaks, 0.4)
        cells = np.argwhere(kept)
        picked = reference_nms(
            clip_starts[kept], clip_ends[kept], scores[kept], OPTIONS["nms_threshold"], OPTIONS["top_k"]
        )
        results.append(
            {
                "cells": [tuple(cells[index]) for index in picked],
                "score": [scores[tuple(cells[index])] for index in picked],
                "kept": int(kept.sum()),
                "kept_mask": kept,
            }
        )
    return results


def assert_matches(result, expected):
    step = DURATION / NUM_CLIPS
    for query, reference in enumerate(expected):
        count = len(reference["cells"])
        np.testing.assert_allclose(result["score"][query, :count], reference["score"], rtol=1e-4)
        np.testing.assert_allclose(
            result["start"][query, :count], [i * step for i, _ in reference["cells"]], rtol=1e-6
        )
        np.testing.assert_allclose(
            result["end"][query, :count], [(j + 1) * step for _, j in reference["cells"]], rtol=1e-6
        )
        assert np.all(np.isneginf(result["score"][query, count:]))
        assert np.all(result["start"][query, count:] == 0)
        assert np.all(result["end"][query, count:] == 0)


@pytest.mark.parametrize(
    "method,tree,descend_when",
    [
        ("clear_f", None, None),
        ("clear_c", None, None),
        ("clear", "paper", "both"),
        ("clear", "paper", "either"),
        ("clear", "binary", None),
    ],
)
def test_localize_matches_brute_force(fake_mlp_model, method, tree, descend_when):
    num_queries = 24
    features, token_ids, padding_mask = random_video(NUM_UNITS, num_queries, seed=2)
    kwargs = {"tree": tree} if tree else {}
    if descend_when:
        kwargs["descend_when"] = descend_when
    result = fake_mlp_model.localize(features, token_ids, padding_mask, DURATION,
        method=method, **kwargs, **OPTIONS,
    )
    expected = brute_force(
        fake_mlp_model, features, token_ids, padding_mask, method, tree, descend_when or "both"
    )
    assert_matches({key: value.numpy() for key, value in result.items()}, expected)
    valid = int(fake_mlp_model.candidate_mask.sum())
    fractions = {
        "clear_f": [1.0] * num_queries,
        "clear_c": [0.0] * num_queries,
        "clear": [reference["kept"] / valid for reference in expected],
    }[method]
    np.testing.assert_allclose(result["scored_fraction"].numpy(), fractions, rtol=1e-6)
    # The fake mean-pools its moments, so a parent's score lies between its children's
    # almost always and the printed rule (both children must beat the parent) keeps the
    # root; test_tree_search exercises that rule's descents on maps made for it.
    if method == "clear" and descend_when != "both":
        assert min(fractions) < 1.0, "the search should prune for at least one query"


def test_pruned_and_full_ranking_agree_when_the_node_holds_the_full_top1(fake_mlp_model):
    agreeing = 0
    for seed in range(4):
        features, token_ids, padding_mask = random_video(NUM_UNITS, 8, seed=seed)
        full = fake_mlp_model.localize(features, token_ids, padding_mask, DURATION, method="clear_f", **OPTIONS
        )
        full_reference = brute_force(fake_mlp_model, features, token_ids, padding_mask, "clear_f")
        for tree in ("paper", "binary"):
            pruned = fake_mlp_model.localize(features, token_ids, padding_mask, DURATION,
                method="clear", tree=tree, **OPTIONS,
            )
            searched = brute_force(fake_mlp_model, features, token_ids, padding_mask, "clear", tree)
            for query in range(8):
                if not searched[query]["kept_mask"][full_reference[query]["cells"][0]]:
                    continue
                agreeing += 1
                assert pruned["start"][query, 0] == full["start"][query, 0]
                assert pruned["end"][query, 0] == full["end"][query, 0]
                np.testing.assert_allclose(
                    pruned["score"][query, 0], full["score"][query, 0], rtol=1e-5
                )
    assert agreeing >= 5, "too few queries exercised the agreement"


@pytest.mark.parametrize("method", ["clear_f", "clear"])
@pytest.mark.parametrize("evidence_threshold, fine_mlp_weight", [(None, 1.0), (1.2, 1.0), (None, 0.0), (-0.3, 0.0)])
def test_clip_evidence_is_added_on_the_kept_cells_alone(fake_evidence_model, method, evidence_threshold, fine_mlp_weight):
    features, token_ids, padding_mask = random_video(NUM_UNITS, 6, seed=3)
    fine_score = {"evidence_threshold": evidence_threshold, "fine_mlp_weight": fine_mlp_weight}
    result = fake_evidence_model.localize(
        features, token_ids, padding_mask, DURATION, method=method, tree="binary", **fine_score, **OPTIONS
    )
    expected = brute_force(fake_evidence_model, features, token_ids, padding_mask, method, "binary", **fine_score)
    assert_matches({key: value.numpy() for key, value in result.items()}, expected)


def test_conv_head_is_run_on_the_full_map_and_masked(fake_conv_model):
    features, token_ids, padding_mask = random_video(NUM_UNITS, 5, seed=7)
    result = fake_conv_model.localize(features, token_ids, padding_mask, DURATION,
        method="clear", tree="binary", **OPTIONS,
    )
    expected = brute_force(fake_conv_model, features, token_ids, padding_mask, "clear", "binary")
    assert_matches({key: value.numpy() for key, value in result.items()}, expected)
    np.testing.assert_array_equal(result["scored_fraction"].numpy(), np.ones(5))


def test_make_localizer_traces_once_for_any_number_of_units_and_queries(fake_mlp_model):
    localize_video = make_localizer(fake_mlp_model, method="clear", tree="binary", top_k=3)
    for num_units, num_queries in ((16, 3), (29, 5), (7, 1), (40, 2)):
        features, token_ids, padding_mask = random_video(num_units, num_queries, seed=num_units)
        result = localize_video(features, token_ids, padding_mask, tf.constant(5.0))
        assert result["start"].shape == (num_queries, 3)
        assert np.all(result["end"].numpy() <= 5.0 + 1e-5)
    assert localize_video.experimental_get_tracing_count() == 1


def test_unknown_method_is_rejected(fake_mlp_model):
    features, token_ids, padding_mask = random_video(NUM_UNITS, 1)
    with pytest.raises(ValueError, match="unknown inference method 'clear_x'"):
        fake_mlp_model.localize(features, token_ids, padding_mask, DURATION, method="clear_x")


@pytest.mark.parametrize("tree", ["paper", "binary"])
@pytest.mark.parametrize("share,peaks", [(0.2, 0), (0.0, 4), (0.05, 3)])
def test_localize_with_a_budget_matches_brute_force(fake_mlp_model, tree, share, peaks):
    num_queries = 24
    features, token_ids, padding_mask = random_video(NUM_UNITS, num_queries, seed=3)
    result = fake_mlp_model.localize(features, token_ids, padding_mask, DURATION,
        method="clear", tree=tree, descend_when="either", min_kept_share=share, coarse_peaks=peaks,
        coarse_peak_iou=0.4, **OPTIONS,
    )
    expected = brute_force(
        fake_mlp_model, features, token_ids, padding_mask, "clear", tree, "either", min_kept_share=share,
        coarse_peaks=peaks,
    )
    assert_matches({key: value.numpy() for key, value in result.items()}, expected)
    valid = int(fake_mlp_model.candidate_mask.sum())
    np.testing.assert_allclose(
        result["scored_fraction"].numpy(), [reference["kept"] / valid for reference in expected], rtol=1e-6
    )
    # Every query ranks at least the budget, and the budget enlarges some query's set.
    assert min(reference["kept"] for reference in expected) >= max(np.ceil(share * valid), min(peaks, 1))
    unbudgeted = brute_force(fake_mlp_model, features, token_ids, padding_mask, "clear", tree, "either")
    assert any(b["kept"] > u["kept"] for b, u in zip(expected, unbudgeted))
