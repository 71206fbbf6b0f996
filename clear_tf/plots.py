"""Pictures of a localization: the video timeline with the top-k moments per query, and
the fine confidence map of every query (start clip × end clip).

Figures are drawn on matplotlib's Agg canvas directly (no ``pyplot``), so plotting
never opens a window, never changes the process's matplotlib backend and is safe in
threads, in tests and on headless servers.

Conventions (``clear_tf.moments``): an L×L map has the candidate that starts at clip i
and ends at clip j at row i, column j, spanning ``[i·T/L, (j+1)·T/L]`` seconds; cells
with i > j are not moments and are left blank, as are cells holding NaN (candidates the
model does not score, e.g. outside a sparse moment map).
"""

from __future__ import annotations

import os
import textwrap
from typing import Mapping, Sequence

import numpy as np
from matplotlib import cm, colors, patches
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

SCORE_COLORMAP = "viridis"
GROUND_TRUTH_COLOR = "#d62728"
PREDICTION_COLOR = "#ff7f0e"
QUERY_WRAP_WIDTH = 48
MAX_MAP_COLUMNS = 3


def plot_localization(
    duration: float,
    queries: Sequence[str],
    moments_per_query: Sequence[Sequence[Mapping[str, float]]],
    ground_truth: Sequence[tuple[float, float] | None] | None = None,
    confidence_maps: Sequence[np.ndarray] | np.ndarray | None = None,
    *,
    path: str | os.PathLike,
    title: str | None = None,
) -> str:
    """Writes a PNG of one video's localization results.

    The top panel is the video's timeline with one row per query: the top-k moments
    as bars shaded by score (rank 1 on top, drawn thicker and labelled with its times)
    and the ground truth, if given, as a red band across the row. Below it, when
    ``confidence_maps`` is given, one heat map per query of the fine scores over
    (start, end) in seconds, with the ground truth (red star) and the top-1 moment
    (orange circle) marked.

    Args:
        duration: the video's length in seconds (> 0).
        queries: the M query sentences.
        moments_per_query: for each query, its moments best first, each a mapping with
            ``start``, ``end`` (seconds) and ``score`` (the ``moments`` lists returned
            by ``clear_tf.export.Localizer.localize``).
        ground_truth: for each query, ``(start, end)`` seconds or ``None``.
        confidence_maps: for each query, an [L, L] map of scores (NaN where the model
            scores no candidate), e.g. ``Localizer.confidence_maps``.
        path: where to write the PNG (parent folders are created).
        title: figure title (default: the duration and number of queries).

    Returns:
        ``path`` as a string.
    """
    queries = list(queries)
    _check_lengths(duration, queries, moments_per_query, ground_truth, confidence_maps)
    ground_truth = list(ground_truth) if ground_truth is not None else [None] * len(queries)
    num_queries = len(queries)
    num_map_columns = min(num_queries, MAX_MAP_COLUMNS)
    num_map_rows = -(-num_queries // num_map_columns) if confidence_maps is not None else 0

    timeline_height = 0.9 + 0.75 * num_queries
    map_height = 4.2
    figure = Figure(
        figsize=(max(11.0, 4.4 * num_map_columns), timeline_height + map_height * num_map_rows + 0.8),
        dpi=100,
        layout="constrained",
    )
    FigureCanvasAgg(figure)
    grid = figure.add_gridspec(
        1 + num_map_rows,
        num_map_columns,
        height_ratios=[timeline_height] + [map_height] * num_map_rows,
    )
    score_norm = score_range([m["score"] for moments in moments_per_query for m in moments])
    timeline = figure.add_subplot(grid[0, :])
    _draw_timeline(timeline, duration, queries, moments_per_query, ground_truth, score_norm)
    figure.colorbar(
        cm.ScalarMappable(norm=score_norm, cmap=SCORE_COLORMAP),
        ax=timeline,
        label="moment score",
        fraction=0.025,
        pad=0.01,
    )
    if confidence_maps is not None:
        for index, (query, score_map) in enumerate(zip(queries, confidence_maps)):
            axes = figure.add_subplot(grid[1 + index // num_map_columns, index % num_map_columns])
            top = moments_per_query[index][0] if len(moments_per_query[index]) else None
            image = _draw_confidence_map(
                axes,
                np.asarray(score_map, dtype=np.float64),
                duration,
                ground_truth=ground_truth[index],
                prediction=(top["start"], top["end"]) if top is not None else None,
                title=f"Q{index + 1}: {_wrap(query, 40)}",
            )
            figure.colorbar(image, ax=axes, label="fine score", fraction=0.046, pad=0.04)
    figure.suptitle(
        title or f"Moment localization: {num_queries} quer{'y' if num_queries == 1 else 'ies'}, "
        f"video of {duration:.1f} s",
        fontsize=13,
    )
    path = os.fspath(path)
    if os.path.dirname(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
    figure.savefig(path, format="png")
    return path


def confidence_map_image(
    score_map: np.ndarray,
    *,
    mask: np.ndarray | None = None,
    duration: float | None = None,
    ground_truth: tuple[float, float] | None = None,
    prediction: tuple[float, float] | None = None,
    title: str | None = None,
    size_inches: float = 4.0,
    dpi: int = 80,
) -> np.ndarray:
    """Renders one confidence map as an RGB image (e.g. for TensorBoard image summaries).

    Args:
        score_map: [L, L] scores; cells with i > j and NaN cells are left blank.
        mask: optional bool [L, L], True on the model's candidate moments (e.g.
            ``model.candidate_mask``); other cells are left blank too.
        duration: seconds; the axes are in seconds when given, in clips otherwise
            (``ground_truth`` and ``prediction`` need it).
        ground_truth: ``(start, end)`` seconds, marked with a red star.
        prediction: ``(start, end)`` seconds of the top-1 moment, marked with a circle.
        title: drawn above the map (wrapped).
        size_inches: width of the figure; the height adds room for the title.
        dpi: pixels per inch.

    Returns:
        uint8 [H, W, 3].
    """
    score_map = np.asarray(score_map, dtype=np.float64)
    _check_map(score_map, "score_map")
    if mask is not None:
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != score_map.shape:
            raise ValueError(f"mask has shape {mask.shape}, score_map {score_map.shape}")
        score_map = np.where(mask, score_map, np.nan)
    if (ground_truth is not None or prediction is not None) and duration is None:
        raise ValueError("confidence_map_image: ground_truth and prediction need the duration")
    figure = Figure(figsize=(size_inches * 1.2, size_inches), dpi=dpi, layout="constrained")
    canvas = FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    image = _draw_confidence_map(
        axes,
        score_map,
        duration,
        ground_truth=ground_truth,
        prediction=prediction,
        title=_wrap(title, 36) if title else None,
    )
    figure.colorbar(image, ax=axes, fraction=0.046, pad=0.04)
    canvas.draw()
    return np.array(canvas.buffer_rgba())[..., :3]


def masked_map(score_map: np.ndarray) -> np.ma.MaskedArray:
    """The map with every non-moment cell (i > j) and every NaN cell masked."""
    score_map = np.asarray(score_map, dtype=np.float64)
    invalid = np.tril(np.ones(score_map.shape, dtype=bool), k=-1) | ~np.isfinite(score_map)
    return np.ma.masked_array(score_map, mask=invalid)


def score_range(scores) -> colors.Normalize:
    """A colour scale spanning the finite ``scores`` shown.

    Scaled to the data rather than to [0, 1]: a model's probabilities often sit in a
    narrow band (an untrained one scores everything near 0.5), and a fixed scale would
    paint them all one colour. The colourbar shows the actual values.
    """
    scores = np.asarray(scores, dtype=np.float64)
    scores = scores[np.isfinite(scores)]
    if scores.size == 0:
        return colors.Normalize(vmin=0.0, vmax=1.0)
    low, high = float(scores.min()), float(scores.max())
    if high - low < 1e-6:
        low, high = low - 0.5, high + 0.5
    return colors.Normalize(vmin=low, vmax=high, clip=True)


def _draw_timeline(axes, duration, queries, moments_per_query, ground_truth, score_norm) -> None:
    colormap = _colormap(SCORE_COLORMAP)
    row_height = 1.0
    for row, (query, moments, truth) in enumerate(zip(queries, moments_per_query, ground_truth)):
        top = row * row_height
        if truth is not None:
            axes.add_patch(
                patches.Rectangle(
                    (truth[0], top + 0.04),
                    truth[1] - truth[0],
                    row_height - 0.08,
                    facecolor=GROUND_TRUTH_COLOR,
                    alpha=0.18,
                    edgecolor=GROUND_TRUTH_COLOR,
                    linewidth=1.5,
                    linestyle="--",
                )
            )
        # Rank 1 gets a thick bar at the top of the row; the others stack thinner below.
        num_moments = len(moments)
        for rank, moment in enumerate(moments):
            if rank == 0:
                y, height = top + 0.12, 0.3
            else:
                slot = (row_height - 0.5) / max(num_moments - 1, 1)
                y, height = top + 0.46 + (rank - 1) * slot, min(slot * 0.8, 0.12)
            axes.add_patch(
                patches.Rectangle(
                    (moment["start"], y),
                    moment["end"] - moment["start"],
                    height,
                    facecolor=colormap(score_norm(moment["score"])),
                    edgecolor="black" if rank == 0 else "none",
                    linewidth=1.2,
                )
            )
        if num_moments:
            best = moments[0]
            axes.annotate(
                f"#1 {best['start']:.1f}–{best['end']:.1f} s ({best['score']:.2f})",
                xy=((best["start"] + best["end"]) / 2, top + 0.12),
                xytext=(0, 2),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=8,
                clip_on=False,
            )
    axes.set_xlim(0.0, duration)
    axes.set_ylim(len(queries) * row_height, 0.0)
    axes.set_yticks(
        [row * row_height + row_height / 2 for row in range(len(queries))],
        [f"Q{row + 1}: {_wrap(query, QUERY_WRAP_WIDTH)}" for row, query in enumerate(queries)],
        fontsize=8,
    )
    for row in range(1, len(queries)):
        axes.axhline(row * row_height, color="0.85", linewidth=0.8)
    axes.set_xlabel("time (s)")
    legend = "bar colour = score, outlined = top 1"
    if any(truth is not None for truth in ground_truth):
        legend += "; dashed red = ground truth"
    axes.set_title(f"Top moments per query ({legend})", fontsize=10)
    axes.grid(axis="x", color="0.9", linewidth=0.6)
    axes.set_axisbelow(True)


def _draw_confidence_map(axes, score_map, duration, *, ground_truth, prediction, title):
    _check_map(score_map, "confidence map")
    num_clips = score_map.shape[0]
    colormap = _colormap(SCORE_COLORMAP).with_extremes(bad="white")
    values = masked_map(score_map)
    if duration is None:
        # Axes in clips: column j is centred on end clip j, row i on start clip i.
        extent = (-0.5, num_clips - 0.5, num_clips - 0.5, -0.5)
        unit = "clip"
    else:
        # Axes in seconds: column j is centred on the end time (j+1)·T/L, row i on the
        # start time i·T/L, so a (start, end) pair in seconds plots at its own cell.
        step = duration / num_clips
        extent = (step / 2, duration + step / 2, duration - step / 2, -step / 2)
        unit = "s"
    image = axes.imshow(
        values,
        cmap=colormap,
        norm=score_range(values.compressed()),
        extent=extent,
        interpolation="nearest",
        aspect="equal",
    )
    if ground_truth is not None:
        axes.plot(
            ground_truth[1], ground_truth[0], marker="*", markersize=14, color=GROUND_TRUTH_COLOR,
            markeredgecolor="white", linestyle="none", label="ground truth",
        )
    if prediction is not None:
        axes.plot(
            prediction[1], prediction[0], marker="o", markersize=10, markerfacecolor="none",
            markeredgecolor=PREDICTION_COLOR, markeredgewidth=2, linestyle="none", label="top 1",
        )
    if ground_truth is not None or prediction is not None:
        axes.legend(loc="lower left", fontsize=7, framealpha=0.8)
    axes.set_xlabel(f"end ({unit})")
    axes.set_ylabel(f"start ({unit})")
    if title:
        axes.set_title(title, fontsize=9)
    return image


def _colormap(name: str) -> colors.Colormap:
    import matplotlib

    return matplotlib.colormaps[name]


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width=width)) or text


def _check_map(score_map: np.ndarray, name: str) -> None:
    if score_map.ndim != 2 or score_map.shape[0] != score_map.shape[1] or score_map.shape[0] == 0:
        raise ValueError(f"{name} must be a square [L, L] array, got shape {score_map.shape}")


def _check_lengths(duration, queries, moments_per_query, ground_truth, confidence_maps) -> None:
    if not np.isfinite(duration) or duration <= 0:
        raise ValueError(f"plot_localization: duration must be positive, got {duration}")
    if not queries:
        raise ValueError("plot_localization: no queries to plot")
    for name, values in (
        ("moments_per_query", moments_per_query),
        ("ground_truth", ground_truth),
        ("confidence_maps", confidence_maps),
    ):
        if values is not None and len(values) != len(queries):
            raise ValueError(
                f"plot_localization: {name} has {len(values)} entries for {len(queries)} queries"
            )
