"""`synthetic_moments/regions`: the regions carry the objects that the unit features hardly show."""

import pathlib

import numpy as np
import tensorflow_datasets as tfds

from clear_tf_datasets.synthetic_moments import generator, regions, synthetic_moments_dataset_builder

SEED, DIM, O, D_R = 0, 256, 4, 32


class SyntheticMomentsRegionsSmallTest(tfds.testing.DatasetBuilderTestCase):
    """Builds the `regions_small` config the TFDS way (no download, no manual files)."""

    DATASET_CLASS = synthetic_moments_dataset_builder.Builder
    BUILDER_CONFIG_NAMES_TO_TEST = ["regions_small"]
    SPLITS = {"train": 24, "val": 8, "test": 8}
    EXAMPLE_DIR = str(pathlib.Path(generator.__file__).parent)


def _videos(count=6):
    return list(regions.generate_region_split("val", count, SEED, DIM, O, D_R))


def test_same_videos_as_generator_steps_and_queries():
    plain = list(generator.generate_split("val", 3, SEED, DIM))
    for item, video in zip(_videos(3), plain):
        assert item.video.video_id == video.video_id
        assert item.video.step_spans == video.step_spans and item.video.queries == video.queries
        assert item.region_features.shape == (video.features.shape[0], O, D_R)
        assert item.region_features.dtype == np.float32


def test_regions_name_the_object_the_unit_features_hardly_do():
    objects, states = regions.region_prototypes(SEED, D_R)
    prototypes = regions.global_view_prototypes(SEED, DIM)
    steps = generator.STEPS
    region_hits = unit_hits = total = 0
    for item in _videos():
        for verb, obj, first, stop in item.video.step_spans:
            wanted = generator.OBJECTS.index(obj)
            for unit in range(first, stop):
                active = item.region_features[unit, item.active_region[unit]]
                region_hits += int(np.argmax(objects @ active) == wanted)
                # Units: the best step prototype among the steps of the same verb.
                same_verb = [i for i, (v, _) in enumerate(steps) if v == verb]
                best = same_verb[int(np.argmax(prototypes[same_verb] @ item.video.features[unit]))]
                unit_hits += int(steps[best][1] == obj)
                total += 1
    # Even a classifier that knows every unit prototype misses the object of a unit
    # far more often than one reading the active region.
    assert region_hits / total > 0.95
    assert unit_hits / total < 0.85


def test_the_active_region_is_found_by_its_object_and_verb_only():
    objects, states = regions.region_prototypes(SEED, D_R)
    item = _videos(1)[0]
    verb, obj, first, stop = item.video.step_spans[0]
    query = objects[generator.OBJECTS.index(obj)] + regions.ACTIVE_STATE_WEIGHT * states[generator.VERBS.index(verb)]
    picks = np.argmax(item.region_features[first:stop] @ query, axis=1)
    assert np.mean(picks == item.active_region[first:stop]) > 0.9
    # Slots are shuffled per unit: the active object is not always in the same slot.
    assert len(set(item.active_region.tolist())) == O
