"""Localization plots: valid PNGs / RGB images that depend on what they show."""

import numpy as np
import pytest
from matplotlib import image as mpimg

from clear_tf import moments
from clear_tf.plots import confidence_map_image, masked_map, plot_localization, score_range

NUM_CLIPS = 8
DURATION = 40.0
QUERIES = [
    "the person takes a knife out of the drawer and washes it again at the sink",
    "cuts the bread",
]
GROUND_TRUTH = [(5.0, 20.0), (25.0, 35.0)]


def iou_map(truth):
    starts, ends = moments.candidate_times(NUM_CLIPS, DURATION)
    values = moments.temporal_iou(starts, ends, truth[0], truth[1])
    return np.where(moments.valid_mask(NUM_CLIPS), values, np.nan)


def top_moments(score_map, k=3):
    starts, ends = moments.candidate_times(NUM_CLIPS, DURATION)
    order = np.argsort(-np.nan_to_num(score_map, nan=-1.0), axis=None)[:k]
    return [
        {"start": float(starts.flat[i]), "end": float(ends.flat[i]), "score": float(score_map.flat[i])}
        for i in order
    ]


def draw(path, ground_truth=GROUND_TRUTH, shift=0.0):
    maps = [iou_map((s + shift, e + shift)) for s, e in GROUND_TRUTH]
    return plot_localization(
        DURATION, QUERIES, [top_moments(m) for m in maps], ground_truth=ground_truth,
        confidence_maps=maps, path=path,
    )


def test_plot_localization_writes_a_png_that_depends_on_the_input(tmp_path):
    first = draw(tmp_path / "nested" / "first.png")
    assert first == str(tmp_path / "nested" / "first.png")
    with open(first, "rb") as handle:
        assert handle.read(8) == b"\x89PNG\r\n\x1a\n"
    pixels = mpimg.imread(first)
    height, width = pixels.shape[:2]
    assert width >= 1000 and height >= 700
    assert pixels.std() > 0.05  # not a blank canvas

    moved = mpimg.imread(draw(tmp_path / "moved.png", shift=5.0))
    assert moved.shape == pixels.shape and np.abs(moved - pixels).max() > 0.1
    without_truth = mpimg.imread(draw(tmp_path / "no_truth.png", ground_truth=None))
    assert np.abs(without_truth - pixels).max() > 0.1


def test_plot_without_confidence_maps_is_the_timeline_only(tmp_path):
    path = plot_localization(
        DURATION, QUERIES[:1], [[{"start": 1.0, "end": 9.0, "score": 0.7}]], path=tmp_path / "t.png"
    )
    height, width = mpimg.imread(path).shape[:2]
    assert width >= 1000 and 150 <= height < 400


def test_plot_checks_its_arguments(tmp_path):
    with pytest.raises(ValueError, match="moments_per_query has 1 entries for 2 queries"):
        plot_localization(DURATION, QUERIES, [[]], path=tmp_path / "x.png")
    with pytest.raises(ValueError, match="duration must be positive"):
        plot_localization(0.0, QUERIES[:1], [[]], path=tmp_path / "x.png")
    with pytest.raises(ValueError, match="square"):
        plot_localization(DURATION, QUERIES[:1], [[]], confidence_maps=[np.zeros((3, 4))], path=tmp_path / "x.png")


def test_confidence_map_image_is_rgb_and_shows_the_ground_truth():
    score_map = iou_map(GROUND_TRUTH[0])
    plain = confidence_map_image(score_map, duration=DURATION, title=QUERIES[0])
    assert plain.dtype == np.uint8 and plain.ndim == 3 and plain.shape[2] == 3
    assert plain.shape[0] >= 200 and plain.shape[1] >= 200
    marked = confidence_map_image(
        score_map, duration=DURATION, title=QUERIES[0], ground_truth=GROUND_TRUTH[0], prediction=(5.0, 15.0)
    )
    # Same size (TensorBoard stacks a batch of them), different pixels.
    assert marked.shape == plain.shape and (marked != plain).any()
    assert confidence_map_image(np.ones((NUM_CLIPS, NUM_CLIPS)), duration=DURATION).shape == plain.shape


def test_confidence_map_image_blanks_cells_outside_the_mask():
    score_map = np.ones((NUM_CLIPS, NUM_CLIPS))
    everything = confidence_map_image(score_map, duration=DURATION)
    diagonal_only = confidence_map_image(score_map, mask=np.eye(NUM_CLIPS, dtype=bool), duration=DURATION)
    assert (everything != diagonal_only).any()
    with pytest.raises(ValueError, match="mask has shape"):
        confidence_map_image(score_map, mask=np.eye(3, dtype=bool))
    with pytest.raises(ValueError, match="need the duration"):
        confidence_map_image(score_map, ground_truth=(1.0, 2.0))


def test_masked_map_hides_the_lower_triangle_and_nan_cells():
    score_map = np.arange(9, dtype=float).reshape(3, 3)
    score_map[0, 2] = np.nan
    masked = masked_map(score_map)
    expected_mask = np.array([[False, False, True], [True, False, False], [True, True, False]])
    np.testing.assert_array_equal(masked.mask, expected_mask)
    assert masked.sum() == 0 + 1 + 4 + 5 + 8


def test_score_range_fits_the_finite_scores():
    scale = score_range([0.2, 0.5, np.nan, -np.inf, 0.35])
    assert (scale.vmin, scale.vmax) == (0.2, 0.5)
    assert scale(0.35) == pytest.approx(0.5)
    constant = score_range([0.5, 0.5])
    assert (constant.vmin, constant.vmax) == (0.0, 1.0)
    assert (score_range([]).vmin, score_range([]).vmax) == (0.0, 1.0)
