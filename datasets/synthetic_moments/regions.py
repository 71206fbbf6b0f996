"""The `regions` variant of `synthetic_moments`: every unit carries its objects as regions.

A frame-level feature (one vector per unit, what C3D or a CNN's pooled output gives)
sees the whole scene: the action is obvious, the small object being handled much less
so. Object-level features (one vector per detected region, e.g. Faster R-CNN boxes)
see each object on its own. This module generates both for the same cooking videos as
`generator`, so that a model that attends over the regions of a unit, guided by the
query (SLTA's spatial attention), has something to find that the unit features lack:

* **unit features**: `generator.generate_video` run with *global-view* step
  prototypes, dominated by the verb (weight `GLOBAL_VERB_WEIGHT`); the object and the
  step's own part are faint (`GLOBAL_OBJECT_WEIGHT`, `GLOBAL_OWN_WEIGHT`), so "cut the
  carrot" and "cut the onion" look alike at the unit level;
* **region features** [T, O, D_r]: O regions per unit, in a random order per unit.
  One is the *active* object, the object of the unit's step seen while it is being
  handled (its object prototype plus a verb-specific "state" part: being cut, washed,
  fried); the other O - 1 are *idle* objects lying around (drawn per unit from the
  video's clutter, a fixed set of objects on the counter, never the active one), their
  object prototype alone. Every region gets noise.

Region prototypes live in their own D_r-dimensional space (a region encoder is not the
frame encoder). Everything follows from the seed: video i of a split is generated from
(seed, split, i) exactly as in `generator.generate_split` (same steps, durations and
queries as the default config at the same seed), and its regions from a separate
stream (seed, split, i, `_REGION_STREAM`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import numpy as np

# Absolute import: `tfds build datasets/synthetic_moments` imports the builder as a
# top-level module (see synthetic_moments_dataset_builder.py).
from clear_tf_datasets.synthetic_moments import generator

GLOBAL_VERB_WEIGHT = 1.0
GLOBAL_OBJECT_WEIGHT = 0.08
GLOBAL_OWN_WEIGHT = 0.08
ACTIVE_STATE_WEIGHT = 0.6  # the verb-specific state part of the active object's region
REGION_NOISE = 0.8
CLUTTER_SIZE = 5  # objects lying around in a video (idle regions are drawn from them)

_GLOBAL_PROTOTYPE_STREAM = 7927
_REGION_PROTOTYPE_STREAM = 7933
_REGION_STREAM = 7937


@dataclasses.dataclass(frozen=True)
class RegionVideo:
    """One video of the `regions` variant.

    Attributes:
        video: the `generator.SyntheticVideo` (unit features of the global view).
        region_features: float32 [T, O, D_r].
        active_region: int [T], which of the O regions of each unit is the active object.
    """

    video: generator.SyntheticVideo
    region_features: np.ndarray
    active_region: np.ndarray


def global_view_prototypes(seed: int, feature_dim: int) -> np.ndarray:
    """Unit-level mean feature of each step of `generator.STEPS` [len(STEPS), feature_dim].

    Same construction as `generator.step_prototypes` (verb + object + own part, unit
    variance per row) with the verb dominant and the object and own parts faint.
    """
    rng = np.random.default_rng([seed, _GLOBAL_PROTOTYPE_STREAM])
    verb_parts = rng.standard_normal((len(generator.VERBS), feature_dim))
    object_parts = rng.standard_normal((len(generator.OBJECTS), feature_dim))
    own_parts = rng.standard_normal((len(generator.STEPS), feature_dim))
    rows = [
        GLOBAL_VERB_WEIGHT * verb_parts[generator.VERBS.index(verb)]
        + GLOBAL_OBJECT_WEIGHT * object_parts[generator.OBJECTS.index(obj)]
        + GLOBAL_OWN_WEIGHT * own_parts[index]
        for index, (verb, obj) in enumerate(generator.STEPS)
    ]
    prototypes = np.stack(rows)
    prototypes /= prototypes.std(axis=1, keepdims=True)
    return prototypes.astype(np.float32)


def region_prototypes(seed: int, region_dim: int) -> tuple[np.ndarray, np.ndarray]:
    """``(objects [len(OBJECTS), D_r], states [len(VERBS), D_r])`` in the region space."""
    rng = np.random.default_rng([seed, _REGION_PROTOTYPE_STREAM])
    objects = rng.standard_normal((len(generator.OBJECTS), region_dim)).astype(np.float32)
    states = rng.standard_normal((len(generator.VERBS), region_dim)).astype(np.float32)
    return objects, states


def video_regions(
    rng: np.random.Generator,
    step_spans,
    num_units: int,
    num_regions: int,
    objects: np.ndarray,
    states: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """The regions of one video: ``(region_features [T, O, D_r], active_region [T])``.

    Args:
        rng: the video's region stream.
        step_spans: ``(verb, object, first unit, last unit + 1)`` per step.
        num_units: T.
        num_regions: O >= 1 (with O = 1 a unit holds its active object alone).
        objects, states: `region_prototypes`.
    """
    if num_regions < 1:
        raise ValueError(f"num_regions must be >= 1, got {num_regions}")
    region_dim = objects.shape[1]
    clutter = rng.choice(len(generator.OBJECTS), size=CLUTTER_SIZE, replace=False)
    regions = np.zeros((num_units, num_regions, region_dim), np.float32)
    active_region = np.zeros(num_units, np.int64)
    for verb, obj, first, stop in step_spans:
        active = generator.OBJECTS.index(obj)
        active_feature = objects[active] + ACTIVE_STATE_WEIGHT * states[generator.VERBS.index(verb)]
        idle_pool = [index for index in clutter if index != active]
        for unit in range(first, stop):
            idle = rng.choice(idle_pool, size=num_regions - 1, replace=len(idle_pool) < num_regions - 1)
            slot = int(rng.integers(num_regions))
            rows = [objects[index] for index in idle]
            rows.insert(slot, active_feature)
            regions[unit] = np.stack(rows)
            active_region[unit] = slot
    regions += REGION_NOISE * rng.standard_normal(regions.shape).astype(np.float32)
    return regions, active_region


def generate_region_split(
    split: str, num_videos: int, seed: int, feature_dim: int, num_regions: int, region_dim: int
) -> Iterator[RegionVideo]:
    """Yields the `num_videos` videos of `split` with their regions, one at a time.

    Video i depends only on (seed, split, i), as in `generator.generate_split`.
    """
    if split not in generator.SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {generator.SPLITS}")
    prototypes = global_view_prototypes(seed, feature_dim)
    objects, states = region_prototypes(seed, region_dim)
    split_index = generator.SPLITS.index(split)
    for index in range(num_videos):
        video = generator.generate_video(
            f"{split}_{index:04d}", np.random.default_rng([seed, split_index, index]), prototypes
        )
        regions, active = video_regions(
            np.random.default_rng([seed, split_index, index, _REGION_STREAM]),
            video.step_spans,
            video.features.shape[0],
            num_regions,
            objects,
            states,
        )
        yield RegionVideo(video=video, region_features=regions, active_region=active)


def with_region_features(features, num_regions: int, region_dim: int):
    """The example schema (`common.moment_features`) plus `region_features` [T, O, D_r] float32."""
    import tensorflow_datasets as tfds

    fields = {name: features[name] for name in features.keys()}
    fields["region_features"] = tfds.features.Tensor(
        shape=(None, num_regions, region_dim),
        dtype=np.float32,
        encoding=tfds.features.Encoding.BYTES,
    )
    return tfds.features.FeaturesDict(fields)
