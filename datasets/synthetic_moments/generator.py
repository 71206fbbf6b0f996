"""The synthetic cooking benchmark behind `synthetic_moments`, in pure NumPy.

A video is a sequence of consecutive steps (a verb applied to an object: "wash the
carrot", "cut the onion", "dry the knife"), drawn from a small cooking process so that
some steps happen more than once in a video (the knife is washed after each cut
ingredient; an ingredient can come back). Each step lasts a few units; a unit's feature
is the step's meaning (a verb part plus an object part plus a part of its own, so
related steps share structure) plus a per-video offset and noise, smoothed over time.

Queries come in two kinds:

* *detailed*: one step, e.g. "The person rinses the carrot under the tap." When the
  step occurs more than once the sentence says which occurrence ("washes the knife
  again" is the second, "for the first time", "for the last time", ...), so the model
  must use the context around the step.
* *summary*: a run of 2-4 consecutive steps, e.g. "Someone cuts the carrot and then
  fries it in the pan."; only runs that occur once in the video are used.

Moments range from a few percent to about half of the video and sit anywhere in it, so
a query-blind prior (one fixed moment for every query) scores low. Everything follows
from `seed`: the vocabulary's prototypes from the seed alone, video `i` of a split from
(seed, split, i), so splits never share a video and the same seed gives the same data.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator

import numpy as np

# Step templates per verb: (third person, gerund), "{obj}" is "the carrot" or "it".
VERB_PHRASES = {
    "fetch": (
        ("takes out {obj}", "taking out {obj}"),
        ("gets {obj} from the cupboard", "getting {obj} from the cupboard"),
        ("grabs {obj}", "grabbing {obj}"),
    ),
    "wash": (
        ("washes {obj}", "washing {obj}"),
        ("rinses {obj} under the tap", "rinsing {obj} under the tap"),
        ("cleans {obj} in the sink", "cleaning {obj} in the sink"),
    ),
    "peel": (
        ("peels {obj}", "peeling {obj}"),
        ("removes the skin of {obj}", "removing the skin of {obj}"),
        ("skins {obj} with a peeler", "skinning {obj} with a peeler"),
    ),
    "cut": (
        ("cuts {obj}", "cutting {obj}"),
        ("chops {obj} into pieces", "chopping {obj} into pieces"),
        ("slices {obj} with the knife", "slicing {obj} with the knife"),
    ),
    "fry": (
        ("fries {obj} in the pan", "frying {obj} in the pan"),
        ("cooks {obj} on the stove", "cooking {obj} on the stove"),
        ("sautes {obj} in hot oil", "sauteing {obj} in hot oil"),
    ),
    "plate": (
        ("puts {obj} on a plate", "putting {obj} on a plate"),
        ("places {obj} onto the plate", "placing {obj} onto the plate"),
        ("serves {obj} on a dish", "serving {obj} on a dish"),
    ),
    "dry": (
        ("dries {obj}", "drying {obj}"),
        ("wipes {obj} with a towel", "wiping {obj} with a towel"),
        ("dries {obj} with a cloth", "drying {obj} with a cloth"),
    ),
}
VERBS = tuple(VERB_PHRASES)
INGREDIENTS = ("carrot", "onion", "potato", "cucumber", "tomato", "pepper")
TOOLS = ("knife", "cutting board", "pan")
OBJECTS = INGREDIENTS + TOOLS
_PEELABLE = ("carrot", "onion", "potato", "cucumber")
_FRYABLE = ("carrot", "onion", "potato", "pepper")
_PLATEABLE = ("carrot", "potato", "cucumber", "tomato")
# Which objects each verb applies to: 39 (verb, object) steps in all.
VERB_OBJECTS = {
    "fetch": OBJECTS,
    "wash": OBJECTS,
    "peel": _PEELABLE,
    "cut": INGREDIENTS,
    "fry": _FRYABLE,
    "plate": _PLATEABLE,
    "dry": TOOLS,
}
STEPS = tuple((verb, obj) for verb in VERBS for obj in VERB_OBJECTS[verb])
# Inclusive range of a step's length in units, per verb.
STEP_UNITS = {
    "fetch": (3, 8),
    "wash": (4, 14),
    "peel": (6, 18),
    "cut": (8, 26),
    "fry": (10, 32),
    "plate": (3, 9),
    "dry": (3, 8),
}
SUBJECTS = ("the person", "someone", "the cook", "he", "she", "a man", "a woman")
_ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth"}

SPLITS = ("train", "val", "test")
_PROTOTYPE_STREAM = 7919  # keeps the vocabulary's random stream apart from the videos'


@dataclasses.dataclass(frozen=True)
class SyntheticQuery:
    """One query and what it describes.

    Attributes:
        sentence: the natural-language query.
        start: seconds.
        end: seconds.
        kind: "detailed" (one step) or "summary" (2-4 consecutive steps).
        steps: the (verb, object) steps the moment spans, in order.
        occurrence: for detailed queries, which occurrence of the step in the video
            (1-based); 1 for summary queries.
        num_occurrences: how often the step occurs in the video (1 for summaries).
    """

    sentence: str
    start: float
    end: float
    kind: str
    steps: tuple[tuple[str, str], ...]
    occurrence: int
    num_occurrences: int


@dataclasses.dataclass(frozen=True)
class SyntheticVideo:
    """One generated video.

    Attributes:
        video_id: unique over all splits ("train_0007").
        features: (num_units, feature_dim) float32.
        duration: seconds.
        step_spans: (verb, object, first unit, last unit + 1) per step, in order.
        queries: the video's queries.
    """

    video_id: str
    features: np.ndarray
    duration: float
    step_spans: tuple[tuple[str, str, int, int], ...]
    queries: tuple[SyntheticQuery, ...]


def step_prototypes(seed: int, feature_dim: int) -> np.ndarray:
    """Mean feature of each step in `STEPS`, [len(STEPS), feature_dim].

    verb part + object part + a part of the step's own, so that "wash the carrot" is
    closer to "wash the onion" and to "cut the carrot" than to "dry the pan".
    """
    rng = np.random.default_rng([seed, _PROTOTYPE_STREAM])
    verb_parts = rng.standard_normal((len(VERBS), feature_dim))
    object_parts = rng.standard_normal((len(OBJECTS), feature_dim))
    own_parts = rng.standard_normal((len(STEPS), feature_dim))
    rows = [
        0.6 * verb_parts[VERBS.index(verb)]
        + 0.6 * object_parts[OBJECTS.index(obj)]
        + 0.5 * own_parts[index]
        for index, (verb, obj) in enumerate(STEPS)
    ]
    prototypes = np.stack(rows)
    # Every prototype gets unit variance per dimension, like the noise it competes with.
    prototypes /= prototypes.std(axis=1, keepdims=True)
    return prototypes.astype(np.float32)


def _sample_steps(rng: np.random.Generator, target_units: int) -> list[tuple[str, str]]:
    """A cooking process: tools first, then ingredients prepared one after another."""
    steps = []
    if rng.random() < 0.6:
        steps.append(("fetch", "cutting board"))
    if rng.random() < 0.6:
        steps.append(("fetch", "knife"))
    mean_units = {verb: sum(bounds) / 2 for verb, bounds in STEP_UNITS.items()}
    while sum(mean_units[verb] for verb, _ in steps) < target_units:
        ingredient = INGREDIENTS[rng.integers(len(INGREDIENTS))]
        if rng.random() < 0.8:
            steps.append(("fetch", ingredient))
        if rng.random() < 0.8:
            steps.append(("wash", ingredient))
        if ingredient in _PEELABLE and rng.random() < 0.6:
            steps.append(("peel", ingredient))
        steps.append(("cut", ingredient))
        if rng.random() < 0.6:
            steps.append(("wash", "knife"))
            if rng.random() < 0.5:
                steps.append(("dry", "knife"))
        if ingredient in _FRYABLE and rng.random() < 0.5:
            if rng.random() < 0.3:
                steps.append(("fetch", "pan"))
            steps.append(("fry", ingredient))
        elif ingredient in _PLATEABLE and rng.random() < 0.5:
            steps.append(("plate", ingredient))
    if rng.random() < 0.5:
        steps.append(("wash", "cutting board"))
    return steps


def _smooth(features: np.ndarray, sigma_units: float) -> np.ndarray:
    """Gaussian smoothing along time (axis 0), edges padded by reflection."""
    radius = int(np.ceil(3 * sigma_units))
    offsets = np.arange(-radius, radius + 1)
    kernel = np.exp(-0.5 * (offsets / sigma_units) ** 2)
    kernel /= kernel.sum()
    padded = np.pad(features, ((radius, radius), (0, 0)), mode="reflect")
    smoothed = np.zeros_like(features)
    for offset, weight in enumerate(kernel):
        smoothed += weight * padded[offset : offset + len(features)]
    return smoothed


def _phrase(rng: np.random.Generator, verb: str, obj: str, gerund: bool) -> str:
    third_person, gerund_form = VERB_PHRASES[verb][rng.integers(len(VERB_PHRASES[verb]))]
    return (gerund_form if gerund else third_person).format(obj=obj)


def _sentence(rng: np.random.Generator, phrases_of: Callable[..., str]) -> str:
    """Wraps verb phrases in a subject and a tense: "The person cuts ...",
    "Someone is cutting ...", or just "Cutting ..."."""
    form = rng.integers(3)
    if form == 0:
        text = f"{SUBJECTS[rng.integers(len(SUBJECTS))]} {phrases_of(gerund=False)}"
    elif form == 1:
        text = f"{SUBJECTS[rng.integers(len(SUBJECTS))]} is {phrases_of(gerund=True)}"
    else:
        text = phrases_of(gerund=True)
    text = text[0].upper() + text[1:]
    return text + "." if rng.random() < 0.7 else text


def _occurrence_phrase(rng: np.random.Generator, occurrence: int, total: int) -> str | None:
    """How a sentence names the `occurrence`-th of `total` identical steps."""
    options = []
    if occurrence == 1:
        options += ["for the first time", "the first time"]
    if occurrence == 2:
        options.append("again")  # "again" always means the second occurrence
    if occurrence in _ORDINALS and occurrence > 1:
        options.append(f"for the {_ORDINALS[occurrence]} time")
    if occurrence == total:
        options.append("for the last time")
    if not options:
        return None
    return options[rng.integers(len(options))]


def _detailed_query(
    rng: np.random.Generator,
    spans: list[tuple[str, str, int, int]],
    index: int,
    occurrence: int,
    total: int,
    seconds_per_unit: float,
) -> SyntheticQuery | None:
    """A query for step `index`; None when its occurrence has no wording (e.g. the 6th of 7)."""
    verb, obj, first, stop = spans[index]
    suffix = ""
    if total > 1:
        which = _occurrence_phrase(rng, occurrence, total)
        if which is None:
            return None
        suffix = " " + which
    sentence = _sentence(rng, lambda gerund: _phrase(rng, verb, f"the {obj}", gerund) + suffix)
    return SyntheticQuery(
        sentence=sentence,
        start=first * seconds_per_unit,
        end=stop * seconds_per_unit,
        kind="detailed",
        steps=((verb, obj),),
        occurrence=occurrence,
        num_occurrences=total,
    )


def _summary_phrases(
    rng: np.random.Generator, steps: tuple[tuple[str, str], ...], gerund: bool
) -> str:
    """Verb phrases of consecutive steps joined in order; a repeated object becomes "it"."""
    phrases = []
    for position, (verb, obj) in enumerate(steps):
        same_object = position > 0 and steps[position - 1][1] == obj
        phrases.append(_phrase(rng, verb, "it" if same_object else f"the {obj}", gerund))
    if len(phrases) == 2:
        pattern = ("{0} and then {1}", "{0}, then {1}", "first {0} and then {1}")
        return pattern[rng.integers(len(pattern))].format(*phrases)
    if rng.random() < 0.5:
        return ", ".join(phrases[:-1]) + " and then " + phrases[-1]
    return "first " + ", then ".join(phrases)


def _summary_query(
    rng: np.random.Generator,
    spans: list[tuple[str, str, int, int]],
    first_index: int,
    num_steps: int,
    seconds_per_unit: float,
) -> SyntheticQuery:
    steps = tuple((verb, obj) for verb, obj, _, _ in spans[first_index : first_index + num_steps])
    sentence = _sentence(rng, lambda gerund: _summary_phrases(rng, steps, gerund))
    return SyntheticQuery(
        sentence=sentence,
        start=spans[first_index][2] * seconds_per_unit,
        end=spans[first_index + num_steps - 1][3] * seconds_per_unit,
        kind="summary",
        steps=steps,
        occurrence=1,
        num_occurrences=1,
    )


def _sample_queries(
    rng: np.random.Generator,
    spans: list[tuple[str, str, int, int]],
    num_queries: int,
    seconds_per_unit: float,
) -> list[SyntheticQuery]:
    """About 55% detailed queries (half of them on repeated steps when there are any),
    the rest summaries; no two queries of a video describe the same moment."""
    steps = [(verb, obj) for verb, obj, _, _ in spans]
    occurrences = []  # (occurrence, total) per step index
    for index, step in enumerate(steps):
        occurrences.append((steps[: index + 1].count(step), steps.count(step)))
    repeated = [index for index, (_, total) in enumerate(occurrences) if total > 1]
    queries, used_spans = [], set()
    for _ in range(20 * num_queries):  # rejection sampling; ends well before the bound
        if len(queries) == num_queries:
            break
        if rng.random() < 0.55:
            if repeated and rng.random() < 0.5:
                index = repeated[rng.integers(len(repeated))]
            else:
                index = int(rng.integers(len(steps)))
            key = (index, 1)
            query = _detailed_query(rng, spans, index, *occurrences[index], seconds_per_unit)
        else:
            num_steps = int(rng.integers(2, 5))
            if num_steps > len(steps):
                continue
            first_index = int(rng.integers(len(steps) - num_steps + 1))
            run = steps[first_index : first_index + num_steps]
            runs = [tuple(steps[i : i + num_steps]) for i in range(len(steps) - num_steps + 1)]
            if runs.count(tuple(run)) > 1:  # the sentence would fit two moments
                continue
            key = (first_index, num_steps)
            query = _summary_query(rng, spans, first_index, num_steps, seconds_per_unit)
        if query is None or key in used_spans:
            continue
        used_spans.add(key)
        queries.append(query)
    return queries


def generate_video(
    video_id: str, rng: np.random.Generator, prototypes: np.ndarray
) -> SyntheticVideo:
    """One video: steps, unit features and 6-10 queries, all drawn from `rng`."""
    target_units = int(rng.integers(45, 201))
    steps = _sample_steps(rng, target_units)
    spans, first = [], 0
    for verb, obj in steps:
        low, high = STEP_UNITS[verb]
        length = int(rng.integers(low, high + 1))
        spans.append((verb, obj, first, first + length))
        first += length
    num_units = first
    feature_dim = prototypes.shape[1]
    means = np.concatenate(
        [
            np.repeat(prototypes[STEPS.index((verb, obj))][None], stop - start, axis=0)
            for verb, obj, start, stop in spans
        ]
    )
    video_offset = 0.3 * rng.standard_normal(feature_dim)
    noise = 1.5 * rng.standard_normal((num_units, feature_dim))
    features = _smooth(means + video_offset + noise, sigma_units=1.0)
    seconds_per_unit = float(rng.uniform(0.8, 1.25))
    queries = _sample_queries(rng, spans, int(rng.integers(6, 11)), seconds_per_unit)
    return SyntheticVideo(
        video_id=video_id,
        features=features.astype(np.float32),
        duration=num_units * seconds_per_unit,
        step_spans=tuple(spans),
        queries=tuple(queries),
    )


def generate_split(
    split: str, num_videos: int, seed: int, feature_dim: int
) -> Iterator[SyntheticVideo]:
    """Yields the `num_videos` videos of `split`, one at a time.

    Video i depends only on (seed, split, i), so a larger split extends a smaller one.
    """
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {SPLITS}")
    prototypes = step_prototypes(seed, feature_dim)
    split_index = SPLITS.index(split)
    for index in range(num_videos):
        yield generate_video(
            f"{split}_{index:04d}",
            np.random.default_rng([seed, split_index, index]),
            prototypes,
        )
