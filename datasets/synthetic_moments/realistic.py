"""`tacos_like` and `anet_like`: synthetic benchmarks with the statistics of real ones.

The `default` benchmark is easy on purpose (short videos, few queries, a prior that
scores low). These two follow the real TACoS and ActivityNet Captions annotations
instead: video durations, queries per video, moment length and start as fractions of
the video, overlap between the queries of a video and repeated actions. Their
parameters (`TACOS_LIKE`, `ANET_LIKE`) were measured on the 2D-TAN release JSON files
with `measure_real_statistics.py` (in this folder); nothing is read at build time.

A video is a sequence of steps, each an action (a verb applied to an object, e.g.
"slice the cucumber"; ActivityNet-like: "play the violin"), drawn from a large word
bank so that the sentences use over a thousand distinct words. A unit's feature is its
action's meaning (a verb part, an object part and a part of its own) plus a per-video
offset and noise, smoothed over time; `unit_labels` [T] stores which action every unit
shows. Queries are written as annotators would: TACoS-like videos get ~143 sentences
from several annotators who describe the same steps with different words and jittered
boundaries (heavy overlap), some of them describing runs of steps, many on steps that
happen more than once (sometimes saying which time, "again", often not, as in TACoS);
ActivityNet-like videos get ~3.6 sentences in order, each covering one or a few of its
long steps, the first often from the very start (a strong query-blind prior).

Each query also stores what it describes, `actions` (the action ids of its steps,
padded with -1) and `occurrence` (which occurrence the sentence names, 0 = unstated):
with `unit_labels` they are what `clear_tf.evaluation.oracle` needs to score a
reference that knows how the features were generated.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import numpy as np

SPLITS = ("train", "val", "test")
MAX_QUERY_STEPS = 6  # length of a query's `actions` field
_PROTOTYPE_STREAM = 104729

# --- word banks --------------------------------------------------------------------
# Verbs as "base:past:gerund" (third person from the base by rule).
_KITCHEN_VERBS = """
take:took:taking get:got:getting grab:grabbed:grabbing fetch:fetched:fetching
wash:washed:washing rinse:rinsed:rinsing clean:cleaned:cleaning scrub:scrubbed:scrubbing
peel:peeled:peeling skin:skinned:skinning cut:cut:cutting chop:chopped:chopping
slice:sliced:slicing dice:diced:dicing mince:minced:mincing halve:halved:halving
quarter:quartered:quartering trim:trimmed:trimming core:cored:coring grate:grated:grating
shred:shredded:shredding crush:crushed:crushing mash:mashed:mashing squeeze:squeezed:squeezing
fry:fried:frying saute:sauteed:sauteing boil:boiled:boiling cook:cooked:cooking
heat:heated:heating stir:stirred:stirring mix:mixed:mixing whisk:whisked:whisking
beat:beat:beating pour:poured:pouring add:added:adding put:put:putting
place:placed:placing move:moved:moving transfer:transferred:transferring dry:dried:drying
wipe:wiped:wiping season:seasoned:seasoning salt:salted:salting sprinkle:sprinkled:sprinkling
spread:spread:spreading open:opened:opening close:closed:closing throw:threw:throwing
discard:discarded:discarding scrape:scraped:scraping sweep:swept:sweeping flip:flipped:flipping
turn:turned:turning weigh:weighed:weighing measure:measured:measuring fill:filled:filling
empty:emptied:emptying cover:covered:covering uncover:uncovered:uncovering crack:cracked:cracking
separate:separated:separating knead:kneaded:kneading roll:rolled:rolling bake:baked:baking
toast:toasted:toasting melt:melted:melting drain:drained:draining strain:strained:straining
arrange:arranged:arranging serve:served:serving taste:tasted:tasting smell:smelled:smelling
inspect:inspected:inspecting remove:removed:removing return:returned:returning
pick:picked:picking lay:laid:laying hang:hung:hanging set:set:setting lower:lowered:lowering
raise:raised:raising shake:shook:shaking tap:tapped:tapping press:pressed:pressing
push:pushed:pushing pull:pulled:pulling lift:lifted:lifting hold:held:holding
carry:carried:carrying bring:brought:bringing break:broke:breaking split:split:splitting
tear:tore:tearing pinch:pinched:pinching scoop:scooped:scooping dip:dipped:dipping
soak:soaked:soaking marinate:marinated:marinating coat:coated:coating dust:dusted:dusting
glaze:glazed:glazing brush:brushed:brushing grease:greased:greasing blend:blended:blending
puree:pureed:pureeing simmer:simmered:simmering steam:steamed:steaming roast:roasted:roasting
grill:grilled:grilling chill:chilled:chilling freeze:froze:freezing thaw:thawed:thawing
stack:stacked:stacking sort:sorted:sorting count:counted:counting check:checked:checking
examine:examined:examining unwrap:unwrapped:unwrapping wrap:wrapped:wrapping seal:sealed:sealing
store:stored:storing search:searched:searching switch:switched:switching adjust:adjusted:adjusting
rub:rubbed:rubbing pat:patted:patting fold:folded:folding pack:packed:packing
unpack:unpacked:unpacking hide:hid:hiding find:found:finding lean:leaned:leaning
"""
_KITCHEN_OBJECTS = """
carrot onion potato cucumber tomato pepper leek garlic ginger lemon lime orange apple pear
peach plum mango pineapple melon kiwi banana grape cherry strawberry avocado zucchini
eggplant cabbage lettuce spinach broccoli cauliflower celery radish beet turnip pumpkin
squash mushroom corn pea bean chili herb parsley basil mint coriander dill thyme rosemary
egg bread roll baguette bun cheese butter milk cream yogurt flour sugar salt rice pasta
noodle dough sausage bacon ham chicken steak fish shrimp tofu nut almond walnut raisin
date fig coconut olive pickle sauce ketchup mustard mayonnaise honey jam vinegar oil
broth soup salad sandwich omelette pancake juice tea coffee water ice spice cinnamon
paprika knife board pan pot bowl plate cup glass mug spoon fork spatula ladle whisk
peeler grater sieve colander tray lid jar bottle can carton bag box towel cloth sponge
napkin foil wrap scale timer oven stove microwave toaster kettle blender mixer fridge
freezer cupboard drawer shelf sink tap faucet counter table trash bin container skewer
tongs mortar pestle teapot saucepan skillet wok baking dish cutting rack apron glove hand
apricot blueberry raspberry blackberry grapefruit watermelon papaya pomegranate artichoke
asparagus kale arugula chard fennel parsnip yam shallot scallion chive sprout okra lentil
chickpea oat cereal cracker biscuit cookie muffin cake pie tart croissant bagel tortilla
pizza burger meatball turkey duck lamb pork beef salmon tuna cod crab lobster clam mussel
anchovy caper pesto salsa hummus gravy custard pudding syrup chocolate cocoa vanilla
nutmeg clove cumin turmeric oregano sage peppercorn sesame seed peanut cashew pistachio
hazelnut chestnut margarine yeast cornstarch gelatin soda wine lemonade smoothie platter
saucer teaspoon tablespoon chopstick cleaver corkscrew opener funnel thermometer mat
coaster placemat basket bucket crate pitcher thermos flask casserole ramekin griddle
burner dishwasher hook handle knob switch mitt potholder package wrapper label recipe
"""
_KITCHEN_ADJECTIVES = """
red green yellow white black brown orange purple fresh ripe raw big small large little
long short thin thick whole half sliced chopped peeled washed clean dirty wet dry hot
cold warm frozen sharp blunt wooden metal plastic glass ceramic heavy light round flat
deep shallow new old empty full soft hard crisp juicy sweet sour spicy salty bitter
golden crunchy tender fine coarse second other remaining last first few several
tiny huge narrow wide smooth rough sticky greasy shiny dull stainless silver blue grey pink
dark pale bright striped spotted cracked broken bent folded rolled grated mashed minced diced
melted boiled fried cooked uncooked baked toasted roasted salted organic leftover spare extra
nearby favorite usual separate single double square oval tall
"""
_KITCHEN_PLACES = """
on the counter|in the sink|on the cutting board|into the bowl|in the pan|on the stove|
into the pot|onto the plate|in the fridge|from the fridge|from the cupboard|from the drawer|
under the tap|into the trash|next to the stove|on the table|into the container|
on the tray|in the oven|by the window|beside the sink|on the shelf|into the colander|
over the bowl|to the left|to the right|on the windowsill|behind the stove|near the fridge|
onto the scale|into the microwave|under the counter|on the rack|into the basket|into a jar|
onto a baking sheet|across the board|along the edge|at the corner of the counter|from the shelf|
out of the bag|out of the package|into the blender|under running water|with the knife|with a peeler|with a spoon|with the spatula|
with both hands|with a towel|with a sponge|with the grater|with a fork|in small pieces|
into thin slices|into cubes|into halves|into strips|in a circular motion
"""
_KITCHEN_ADVERBS = """
carefully quickly slowly gently thoroughly briefly firmly neatly evenly roughly finely
again then now next finally afterwards also just quietly steadily lightly properly
swiftly calmly cautiously precisely loosely tightly partly completely fully repeatedly twice
immediately eventually meanwhile later soon already still
"""
_KITCHEN_SUBJECTS = "he|she|the person|the man|the woman|the cook|the chef|someone|they"

_ACTIVITY_VERBS = """
play:played:playing throw:threw:throwing catch:caught:catching kick:kicked:kicking
hit:hit:hitting swing:swung:swinging ride:rode:riding run:ran:running jump:jumped:jumping
dance:danced:dancing swim:swam:swimming dive:dove:diving climb:climbed:climbing
lift:lifted:lifting push:pushed:pushing pull:pulled:pulling paint:painted:painting
brush:brushed:brushing comb:combed:combing shave:shaved:shaving cut:cut:cutting
wash:washed:washing clean:cleaned:cleaning mop:mopped:mopping vacuum:vacuumed:vacuuming
iron:ironed:ironing fold:folded:folding wrap:wrapped:wrapping tie:tied:tying
knit:knitted:knitting sew:sewed:sewing build:built:building fix:fixed:fixing
hold:held:holding carry:carried:carrying show:showed:showing demonstrate:demonstrated:demonstrating
use:used:using apply:applied:applying spin:spun:spinning shoot:shot:shooting
serve:served:serving bounce:bounced:bouncing row:rowed:rowing paddle:paddled:paddling
skate:skated:skating ski:skied:skiing surf:surfed:surfing pet:petted:petting
walk:walked:walking feed:fed:feeding groom:groomed:grooming plant:planted:planting
rake:raked:raking shovel:shoveled:shoveling sing:sang:singing drum:drummed:drumming
"""
_ACTIVITY_OBJECTS = """
ball guitar violin piano drum harmonica accordion saxophone flute trumpet racket bat
club stick frisbee rope bike bicycle horse skateboard surfboard board kayak canoe boat
weight barbell dumbbell bar wall rock tree fence floor carpet window car tire shoe
hair beard nail face teeth lens tattoo dog cat baby lawn leaf snow garden plant flower
brush comb razor sponge towel mop vacuum iron shirt dress scarf gift present box paper
sweater yarn needle fabric table chair shelf cabinet pool hoop net goal target arrow
bow dart cards dice cube kite ribbon pole bench ladder roof paint canvas
soccer football basketball volleyball tennis golf hockey baseball cricket rugby
laptop phone camera microphone sign drink cup bottle bucket hose sink mirror
"""
_ACTIVITY_ADJECTIVES = """
young old tall short blond dark large small red blue green black white yellow grey pink
purple striped long wooden metal bright busy crowded empty outdoor indoor professional
"""
_ACTIVITY_PLACES = """
in a gym|on a field|in a living room|in a backyard|on a stage|in a studio|on the beach|
in a park|on a court|in a kitchen|in a garage|on a street|by a lake|in the snow|in a pool|
on a river|in a classroom|in front of a crowd|in a bathroom|on a track|at a competition|
in a parking lot|on a mountain|in a bedroom|outside a house|in a salon|in a field
"""
_ACTIVITY_PERSONS = "man|woman|boy|girl|person|athlete|player|child|teenager|lady|gentleman|instructor|group of people|couple"
_ACTIVITY_CLOTHES = "shirt|jacket|hat|dress|uniform|sweater|helmet|cap|vest|hoodie"
_ACTIVITY_TAILS = """
while the camera follows|as people watch|while others cheer|and smiles at the camera|
and then stops|several times|for a while|while talking to the camera|and waves|
as the crowd claps|and looks around|while music plays in the background|
and continues moving|before walking away|and laughs|with great focus|in slow motion|
while a friend watches|and gestures with the hands|one more time
"""


def _words(text: str) -> list[str]:
    return text.split()


def _phrases(text: str) -> list[str]:
    return [p.strip() for p in text.replace("\n", "").split("|") if p.strip()]


def _verbs(text: str) -> list[tuple[str, str, str, str]]:
    """(base, third person, past, gerund) per verb."""
    out = []
    for triple in text.split():
        base, past, gerund = triple.split(":")
        if base.endswith(("s", "sh", "ch", "x", "z", "o")):
            third = base + "es"
        elif base.endswith("y") and base[-2] not in "aeiou":
            third = base[:-1] + "ies"
        else:
            third = base + "s"
        out.append((base, third, past, gerund))
    return out


def _plural(noun: str) -> str:
    irregular = {"knife": "knives", "leaf": "leaves", "tomato": "tomatoes", "potato": "potatoes",
                 "mango": "mangoes", "shelf": "shelves", "child": "children", "person": "people"}
    if noun in irregular:
        return irregular[noun]
    if noun.endswith(("s", "sh", "ch", "x", "z")):
        return noun + "es"
    if noun.endswith("y") and noun[-2] not in "aeiou":
        return noun[:-1] + "ies"
    return noun + "s"


@dataclasses.dataclass(frozen=True)
class WordBank:
    verbs: tuple
    objects: tuple
    adjectives: tuple
    places: tuple
    adverbs: tuple
    subjects: tuple
    tails: tuple = ()
    clothes: tuple = ()


def _bank(domain: str) -> WordBank:
    if domain == "kitchen":
        return WordBank(
            verbs=tuple(_verbs(_KITCHEN_VERBS)),
            objects=tuple(_words(_KITCHEN_OBJECTS)),
            adjectives=tuple(_words(_KITCHEN_ADJECTIVES)),
            places=tuple(_phrases(_KITCHEN_PLACES)),
            adverbs=tuple(_words(_KITCHEN_ADVERBS)),
            subjects=tuple(_phrases(_KITCHEN_SUBJECTS)),
        )
    if domain == "activity":
        return WordBank(
            verbs=tuple(_verbs(_ACTIVITY_VERBS)),
            objects=tuple(_words(_ACTIVITY_OBJECTS)),
            adjectives=tuple(_words(_ACTIVITY_ADJECTIVES)),
            places=tuple(_phrases(_ACTIVITY_PLACES)),
            adverbs=tuple(_words(_KITCHEN_ADVERBS)),
            subjects=tuple(_phrases(_ACTIVITY_PERSONS)),
            tails=tuple(_phrases(_ACTIVITY_TAILS)),
            clothes=tuple(_phrases(_ACTIVITY_CLOTHES)),
        )
    raise ValueError(f"unknown domain {domain!r}")


# --- parameters --------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class RealisticParams:
    """What a realistic variant draws; the defaults of the presets below are measured.

    Attributes:
        name: the preset's name.
        domain: "kitchen" (TACoS-like sentences) or "activity" (ActivityNet-like).
        num_videos: videos per split.
        duration_median_s, duration_sigma: log-normal video duration (median, σ of log).
        duration_range_s: durations are clipped to it.
        seconds_per_unit: one feature unit per this many seconds.
        steps_range: inclusive range of a video's number of steps (TACoS-like); the
            ActivityNet-like videos have as many steps as queries, plus 0-1.
        step_length_sigma: σ of the log-normal relative lengths of a video's steps.
        queries_mean, queries_std, queries_range: queries per video (TACoS-like: normal,
            clipped; ActivityNet-like: min + Poisson(mean - min), clipped).
        sequential: ActivityNet-like: query i describes the i-th step (or a run from it).
        run_share: share of queries that describe a run of 2..`max_run` steps.
        max_run: longest run a query describes.
        start_beta: (a, b) of the Beta distribution of where a TACoS-like query starts
            (as a fraction of the video).
        jitter: an annotator's boundary error, as a fraction of the step's length (std).
        actions_per_video: how many distinct objects a video's process uses.
        repeat_share: share of a video's steps that repeat an earlier action.
        state_occurrence: chance that a sentence on a repeated step names which time.
        background_share: range of the undescribed lead-in (and, drawn again, tail) as a
            fraction of the video: units that show no action (label -1).
        partial_share: share of queries whose moment is a random part (30-100%) of
            what they describe (annotators who stop early or start late).
        whole_share: share of queries about (nearly) the whole video, from its start.
        noise, smooth_sigma: feature noise std and temporal smoothing (units).
    """

    name: str
    domain: str
    num_videos: dict
    duration_median_s: float
    duration_sigma: float
    duration_range_s: tuple
    seconds_per_unit: float
    steps_range: tuple
    step_length_sigma: float
    queries_mean: float
    queries_std: float
    queries_range: tuple
    sequential: bool
    run_share: float
    max_run: int
    start_beta: tuple
    jitter: float
    actions_per_video: tuple
    repeat_share: float
    state_occurrence: float
    background_share: tuple = (0.0, 0.0)
    partial_share: float = 0.0
    whole_share: float = 0.0
    noise: float = 1.5
    smooth_sigma: float = 1.0


# Measured with `python datasets/synthetic_moments/measure_real_statistics.py --tacos
# ../shared/datasets/tacos` (2D-TAN release, 75/27/25 videos, 18,227 sentences):
# duration 48.3-1402.2 s, mean 286.6, median 199.1; 143.5 queries per video (66-230);
# moment length / video: median 0.055, q10 0.015, q90 0.226, mean 0.095; start / video:
# median 0.28, mean 0.36; a query overlaps 14.8% of its video's other queries (6.8% at
# IoU > 0.5); 6.5% of the sentences recur in their video at another moment; 1,493 words
# in train; query-blind prior R@1,IoU=0.5 = 3.05 on test (L = 128, NMS 0.4).
# The rest (steps per video, run share, jitter, repeats) is set so that the generated
# data measure the same with the same script (`--synthetic tacos_like`).
TACOS_LIKE = RealisticParams(
    name="tacos_like",
    domain="kitchen",
    num_videos={"train": 75, "val": 27, "test": 25},
    duration_median_s=199.1,
    duration_sigma=0.85,  # log-normal mean = median * exp(σ²/2) = 286 s
    duration_range_s=(48.3, 1402.2),
    seconds_per_unit=1.0,
    steps_range=(18, 32),
    step_length_sigma=1.0,
    queries_mean=143.5,
    queries_std=35.0,
    queries_range=(66, 230),
    sequential=False,
    run_share=0.3,
    max_run=5,
    start_beta=(0.8, 1.25),
    jitter=0.15,
    actions_per_video=(8, 14),
    repeat_share=0.35,
    state_occurrence=0.4,
    background_share=(0.02, 0.1),
    partial_share=0.4,
)

# Measured with `python datasets/synthetic_moments/measure_real_statistics.py --anet
# ../shared/datasets/activitynet_captions` (2D-TAN release, 10,009/4,917/4,885 videos):
# duration 1.6-755.1 s, mean 117.8, median 115.1; 3.63 queries per video (median 3,
# 2-27); moment length / video: median 0.245, q10 0.045, q90 0.745, mean 0.32; start /
# video: median 0.23, q25 0.01; a query overlaps 19.1% of its video's other queries
# (3.6% at IoU > 0.5); query-blind prior R@1,IoU=0.5 = 28.19 on test (L = 64, NMS 0.5).
ANET_LIKE = RealisticParams(
    name="anet_like",
    domain="activity",
    num_videos={"train": 600, "val": 150, "test": 150},
    duration_median_s=115.1,
    duration_sigma=0.5,
    duration_range_s=(10.0, 755.1),
    seconds_per_unit=1.0,
    steps_range=(2, 28),
    step_length_sigma=0.7,
    queries_mean=3.63,
    queries_std=0.0,
    queries_range=(2, 27),
    sequential=True,
    run_share=0.2,
    max_run=4,
    start_beta=(1.0, 1.0),
    jitter=0.1,
    actions_per_video=(1, 3),
    repeat_share=0.15,
    state_occurrence=0.5,
    whole_share=0.06,
)

PRESETS = {params.name: params for params in (TACOS_LIKE, ANET_LIKE)}


# --- generation --------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class RealisticQuery:
    """A query, its moment (seconds) and what it describes (`actions`, `occurrence`)."""

    sentence: str
    start: float
    end: float
    actions: tuple
    occurrence: int
    repeated: bool


@dataclasses.dataclass(frozen=True)
class RealisticVideo:
    """A generated video: features [T, D], `unit_labels` [T] (action ids), queries."""

    video_id: str
    features: np.ndarray
    unit_labels: np.ndarray
    duration: float
    queries: tuple


class _Vocabulary:
    """The actions (verb, object) of a domain and their feature prototypes."""

    def __init__(self, params: RealisticParams, seed: int, feature_dim: int):
        self.bank = _bank(params.domain)
        self.feature_dim = feature_dim
        self.seed = seed
        rng = np.random.default_rng([seed, _PROTOTYPE_STREAM])
        self.verb_parts = rng.standard_normal((len(self.bank.verbs), feature_dim), dtype=np.float32)
        self.object_parts = rng.standard_normal((len(self.bank.objects), feature_dim), dtype=np.float32)
        self._cache: dict[int, np.ndarray] = {}

    def action_id(self, verb: int, obj: int) -> int:
        return verb * len(self.bank.objects) + obj

    def split_action(self, action: int) -> tuple[int, int]:
        return divmod(action, len(self.bank.objects))

    def prototype(self, action: int) -> np.ndarray:
        if action not in self._cache:
            verb, obj = self.split_action(action)
            own = np.random.default_rng([self.seed, _PROTOTYPE_STREAM, action + 1]).standard_normal(
                self.feature_dim, dtype=np.float32
            )
            row = 0.6 * self.verb_parts[verb] + 0.6 * self.object_parts[obj] + 0.5 * own
            self._cache[action] = (row / max(float(row.std()), 1e-6)).astype(np.float32)
        return self._cache[action]


def _process(rng: np.random.Generator, params: RealisticParams, vocab: _Vocabulary, num_steps: int) -> list[int]:
    """A video's steps as action ids: a few objects, verbs applied to them in turn, and
    some actions repeated later (washing the knife again); never the same action twice in a row."""
    bank = vocab.bank
    low, high = params.actions_per_video
    objects = rng.choice(len(bank.objects), size=int(rng.integers(low, high + 1)), replace=False)
    steps: list[int] = []
    while len(steps) < num_steps:
        if steps and rng.random() < params.repeat_share:
            candidates = [a for a in set(steps) if a != steps[-1]]
            if candidates:
                steps.append(int(candidates[rng.integers(len(candidates))]))
                continue
        obj = int(objects[rng.integers(len(objects))])
        verb = int(rng.integers(len(bank.verbs)))
        action = vocab.action_id(verb, obj)
        if steps and action == steps[-1]:
            continue
        steps.append(action)
    return steps


def _step_units(rng: np.random.Generator, num_units: int, num_steps: int, sigma: float) -> np.ndarray:
    """Integer unit lengths (>= 1) of `num_steps` steps summing to `num_units`."""
    num_steps = min(num_steps, num_units)
    weights = rng.lognormal(0.0, sigma, num_steps)
    lengths = np.maximum(1, np.floor(weights / weights.sum() * num_units)).astype(int)
    while lengths.sum() > num_units:
        lengths[np.argmax(lengths)] -= 1
    remainder = num_units - lengths.sum()
    if remainder:
        lengths += np.bincount(rng.integers(num_steps, size=remainder), minlength=num_steps)
    return lengths


def _object_phrase(rng, bank: WordBank, obj: int, mention: int) -> str:
    noun = bank.objects[obj]
    choice = rng.random()
    if choice < 0.12:
        return f"{('some', 'two', 'three', 'the')[rng.integers(4)]} {_plural(noun)}"
    if choice < 0.32:
        return f"the {bank.adjectives[rng.integers(len(bank.adjectives))]} {noun}"
    if choice < 0.4 and mention:
        return "it"
    return f"{'a' if choice < 0.7 else 'the'} {noun}"


def _occurrence_words(rng, occurrence: int, total: int) -> str:
    options = []
    if occurrence == 1:
        options += ["for the first time", "first"]
    if occurrence == 2:
        options += ["again", "a second time", "once more"]
    if occurrence == 3:
        options.append("for the third time")
    if occurrence == total:
        options.append("for the last time")
    return options[rng.integers(len(options))] if options else ""


def _kitchen_sentence(rng, bank: WordBank, actions, vocab, occurrence_words: str, subject: str) -> str:
    """TACoS style. A fifth of the sentences are plain ("He took out the knife."), in the video's
    usual subject, so that a repeated action is often described with the same words."""
    if rng.random() < 0.2:
        verb, obj = vocab.split_action(actions[0])
        text = f"{subject} {bank.verbs[verb][2]} the {bank.objects[obj]}"
        for action in actions[1:]:
            verb, obj = vocab.split_action(action)
            text += f" and {bank.verbs[verb][2]} the {bank.objects[obj]}"
        if occurrence_words:
            text += " " + occurrence_words
        return text[0].upper() + text[1:] + "."
    if rng.random() < 0.3:
        subject = bank.subjects[rng.integers(len(bank.subjects))]
    # past ("He took out a pan", the usual TACoS form), present, progressive, "begins to"
    tense = int(rng.choice(4, p=(0.45, 0.2, 0.2, 0.15)))
    clauses = []
    for position, action in enumerate(actions):
        verb, obj = vocab.split_action(action)
        base, third, past, gerund = bank.verbs[verb]
        if tense == 1 and subject == "they":
            form = base
        else:
            form = (past, third, gerund, base)[tense]
        text = f"{form} {_object_phrase(rng, bank, obj, position)}"
        if rng.random() < 0.35:
            text += " " + bank.places[rng.integers(len(bank.places))]
        if rng.random() < 0.12:
            text = bank.adverbs[rng.integers(len(bank.adverbs))] + " " + text
        clauses.append(text)
    if occurrence_words:
        clauses[-1] += " " + occurrence_words
    body = clauses[0] if len(clauses) == 1 else ", ".join(clauses[:-1]) + " and " + clauses[-1]
    lead = {2: "are " if subject == "they" else "is ", 3: "begin to " if subject == "they" else "begins to "}
    text = f"{subject} {lead.get(tense, '')}{body}"
    text = text[0].upper() + text[1:]
    return text + "." if rng.random() < 0.6 else text


def _activity_sentence(rng, bank: WordBank, actions, vocab, occurrence_words: str, first: bool) -> str:
    person = bank.subjects[rng.integers(len(bank.subjects))]
    if first or rng.random() < 0.4:
        subject = f"a {bank.adjectives[rng.integers(len(bank.adjectives))]} {person}"
        if rng.random() < 0.5:
            subject += f" in a {bank.adjectives[rng.integers(len(bank.adjectives))]} {bank.clothes[rng.integers(len(bank.clothes))]}"
    else:
        subject = ("the " + person) if rng.random() < 0.5 else ("he" if rng.random() < 0.5 else "she")
    clauses = []
    for position, action in enumerate(actions):
        verb, obj = vocab.split_action(action)
        base, third, past, gerund = bank.verbs[verb]
        form = gerund if rng.random() < 0.5 else third
        lead = "is seen " if form == gerund and position == 0 else ("is " if form == gerund else "")
        text = f"{lead}{form} {_object_phrase(rng, bank, obj, position)}"
        clauses.append(text)
    if occurrence_words:
        clauses[-1] += " " + occurrence_words
    body = clauses[0] if len(clauses) == 1 else ", ".join(clauses[:-1]) + " and then " + clauses[-1]
    text = f"{subject} {body} {bank.places[rng.integers(len(bank.places))]}"
    if rng.random() < 0.6:
        text += " " + bank.tails[rng.integers(len(bank.tails))]
    return text[0].upper() + text[1:] + "."


def _query_moment(rng, params, bounds: np.ndarray, first: int, last: int, seconds_per_unit: float, num_units: int):
    """Seconds of steps first..last with an annotator's boundary error."""
    start_unit, end_unit = bounds[first], bounds[last + 1]
    first_len = bounds[first + 1] - bounds[first]
    last_len = bounds[last + 1] - bounds[last]
    start = start_unit + rng.normal(0.0, params.jitter) * first_len
    end = end_unit + rng.normal(0.0, params.jitter) * last_len
    start = float(np.clip(start, 0.0, num_units - 0.5))
    end = float(np.clip(end, start + 0.5, num_units))
    return start * seconds_per_unit, end * seconds_per_unit


def _num_queries(rng, params) -> int:
    low, high = params.queries_range
    if params.sequential:
        count = low + rng.poisson(params.queries_mean - low)
    else:
        count = round(rng.normal(params.queries_mean, params.queries_std))
    return int(np.clip(count, low, high))


def generate_video(video_id: str, rng: np.random.Generator, params: RealisticParams, vocab: _Vocabulary) -> RealisticVideo:
    low_d, high_d = params.duration_range_s
    duration_target = float(
        np.clip(rng.lognormal(np.log(params.duration_median_s), params.duration_sigma), low_d, high_d)
    )
    num_units = max(2, int(round(duration_target / params.seconds_per_unit)))
    num_queries = _num_queries(rng, params)
    if params.sequential:
        num_steps = num_queries + int(rng.integers(0, 2))
    else:
        num_steps = int(rng.integers(params.steps_range[0], params.steps_range[1] + 1))
    # Undescribed background before the first and after the last step (label -1).
    lead = int(round(rng.uniform(*params.background_share) * num_units))
    tail = int(round(rng.uniform(*params.background_share) * num_units))
    if num_units - lead - tail < 2:
        lead = tail = 0
    inner = num_units - lead - tail
    lengths = _step_units(rng, inner, num_steps, params.step_length_sigma)
    num_steps = len(lengths)
    steps = _process(rng, params, vocab, num_steps)
    bounds = lead + np.concatenate([[0], np.cumsum(lengths)])
    unit_labels = np.concatenate(
        [np.full(lead, -1, np.int32), np.repeat(np.asarray(steps, np.int32), lengths), np.full(tail, -1, np.int32)]
    )

    totals = {a: steps.count(a) for a in set(steps)}
    occurrence_of = [steps[: i + 1].count(a) for i, a in enumerate(steps)]
    subject = vocab.bank.subjects[rng.integers(len(vocab.bank.subjects))]  # the video's usual one
    queries = []
    for index in range(num_queries):
        if params.sequential:
            first = min(index, num_steps - 1)
        else:
            u = rng.beta(*params.start_beta)
            first = int(np.searchsorted(bounds, lead + u * inner, side="right") - 1)
            first = min(max(first, 0), num_steps - 1)
        run = 1
        if rng.random() < params.run_share:
            run = int(rng.integers(2, params.max_run + 1))
        last = min(first + run - 1, num_steps - 1)
        actions = tuple(steps[first : last + 1])
        start, end = _query_moment(rng, params, bounds, first, last, params.seconds_per_unit, num_units)
        if rng.random() < params.partial_share:  # an annotator who describes part of it
            begin = rng.uniform(0.0, 0.5)
            stop = rng.uniform(begin + 0.3, 1.0)
            start, end = start + begin * (end - start), start + stop * (end - start)
        if params.sequential and index == 0 and rng.random() < 0.6:
            start = 0.0
        if rng.random() < params.whole_share:  # a sentence about (nearly) the whole video
            first, last = 0, num_steps - 1
            actions = tuple(steps[: MAX_QUERY_STEPS])
            start = 0.0
            end = float(num_units * params.seconds_per_unit * rng.uniform(0.9, 1.0))
        repeated = len(actions) == 1 and totals[actions[0]] > 1
        occurrence, words = 0, ""
        if repeated and rng.random() < params.state_occurrence:
            words = _occurrence_words(rng, occurrence_of[first], totals[actions[0]])
            if words:
                occurrence = occurrence_of[first]
        if params.domain == "kitchen":
            sentence = _kitchen_sentence(rng, vocab.bank, actions, vocab, words, subject)
        else:
            sentence = _activity_sentence(rng, vocab.bank, actions, vocab, words, first=index == 0)
        queries.append(RealisticQuery(sentence, start, end, actions, occurrence, repeated))

    seconds = num_units * params.seconds_per_unit
    if vocab.feature_dim:
        rows = np.stack([np.zeros(vocab.feature_dim, np.float32)] + [vocab.prototype(a) for a in steps])
        means = rows[unit_labels_index(unit_labels, steps, lengths, lead, tail)]
        offset = 0.3 * rng.standard_normal(vocab.feature_dim, dtype=np.float32)
        noise = params.noise * rng.standard_normal((num_units, vocab.feature_dim), dtype=np.float32)
        features = _smooth(means + offset + noise, params.smooth_sigma)
    else:
        features = np.zeros((num_units, 0), np.float32)
    return RealisticVideo(video_id, features.astype(np.float32), unit_labels, seconds, tuple(queries))


def unit_labels_index(unit_labels, steps, lengths, lead: int, tail: int) -> np.ndarray:
    """Row of each unit in [background, step 0, step 1, ...] (background shows no action)."""
    del unit_labels, steps
    return np.concatenate(
        [np.zeros(lead, int), np.repeat(np.arange(1, len(lengths) + 1), lengths), np.zeros(tail, int)]
    )


def _smooth(features: np.ndarray, sigma_units: float) -> np.ndarray:
    """Gaussian smoothing along time, edges padded by reflection (as `generator._smooth`)."""
    if sigma_units <= 0 or len(features) < 2:
        return features
    radius = min(int(np.ceil(3 * sigma_units)), len(features) - 1)
    offsets = np.arange(-radius, radius + 1)
    kernel = np.exp(-0.5 * (offsets / sigma_units) ** 2)
    kernel /= kernel.sum()
    padded = np.pad(features, ((radius, radius), (0, 0)), mode="reflect")
    smoothed = np.zeros_like(features)
    for offset, weight in enumerate(kernel):
        smoothed += np.float32(weight) * padded[offset : offset + len(features)]
    return smoothed


def generate_split(
    params: RealisticParams, split: str, num_videos: int, seed: int, feature_dim: int
) -> Iterator[RealisticVideo]:
    """Yields the `num_videos` videos of `split`; video i depends only on (seed, split, i).

    `feature_dim` 0 skips the features (statistics only: fast).
    """
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {SPLITS}")
    vocab = _Vocabulary(params, seed, feature_dim)
    split_index = SPLITS.index(split)
    for index in range(num_videos):
        rng = np.random.default_rng([seed, _PROTOTYPE_STREAM + 1, split_index, index])
        yield generate_video(f"{params.name}_{split}_{index:04d}", rng, params, vocab)


def example_features(feature_dim: int):
    """The example schema (`common.moment_features`) plus the generator's labels:
    `unit_labels` [T] int32 and, per query, `actions` [MAX_QUERY_STEPS] and `occurrence`."""
    import tensorflow_datasets as tfds

    return tfds.features.FeaturesDict(
        {
            "video_id": tfds.features.Text(),
            "features": tfds.features.Tensor(
                shape=(None, feature_dim), dtype=np.float32, encoding=tfds.features.Encoding.BYTES
            ),
            "unit_labels": tfds.features.Tensor(shape=(None,), dtype=np.int32),
            "duration": tfds.features.Scalar(dtype=np.float32),
            "queries": tfds.features.Sequence(
                {
                    "sentence": tfds.features.Text(),
                    "start": tfds.features.Scalar(dtype=np.float32),
                    "end": tfds.features.Scalar(dtype=np.float32),
                    "actions": tfds.features.Tensor(shape=(MAX_QUERY_STEPS,), dtype=np.int32),
                    "occurrence": tfds.features.Scalar(dtype=np.int32),
                }
            ),
        }
    )


def to_example(video: RealisticVideo) -> dict:
    def padded(actions):
        return np.asarray(list(actions) + [-1] * (MAX_QUERY_STEPS - len(actions)), np.int32)

    return {
        "video_id": video.video_id,
        "features": video.features,
        "unit_labels": video.unit_labels,
        "duration": video.duration,
        "queries": [
            {
                "sentence": q.sentence,
                "start": q.start,
                "end": q.end,
                "actions": padded(q.actions),
                "occurrence": q.occurrence,
            }
            for q in video.queries
        ],
    }
