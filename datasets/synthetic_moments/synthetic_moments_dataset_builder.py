"""`synthetic_moments`: the built-in cooking benchmark, generated from a seed."""

from __future__ import annotations

import dataclasses

import tensorflow_datasets as tfds

# Absolute imports: `tfds build datasets/synthetic_moments` imports this file as the
# top-level module `synthetic_moments.synthetic_moments_dataset_builder`.
from clear_tf_datasets import common
from clear_tf_datasets.generation_report import GenerationReport
from clear_tf_datasets.synthetic_moments import generator
from clear_tf_datasets.synthetic_moments import realistic
from clear_tf_datasets.synthetic_moments import regions


@dataclasses.dataclass(eq=False)
class SyntheticMomentsConfig(tfds.core.BuilderConfig):
    """Size and seed of a `synthetic_moments` variant.

    Attributes:
        seed: everything (vocabulary features and videos) follows from it.
        num_videos: videos per split, {"train": n, "val": n, "test": n}.
        feature_dim: D of the unit features.
        num_regions: O > 0 adds `region_features` [T, O, D_r] (`regions.py`: the
            units' objects as separate regions, unit features of the global view);
            0 (default) writes no regions.
        region_dim: D_r of the region features.
        realistic: a preset of `realistic.py` ("tacos_like", "anet_like"): videos and
            queries with the real dataset's statistics, plus the generator's labels
            (`unit_labels`, per query `actions` / `occurrence`) for the oracle; "" (default)
            is the cooking benchmark of `generator.py`.
    """

    seed: int = 0
    num_videos: dict[str, int] = dataclasses.field(
        default_factory=lambda: {"train": 500, "val": 80, "test": 80}
    )
    feature_dim: int = 256
    num_regions: int = 0
    region_dim: int = 32
    realistic: str = ""


class Builder(tfds.core.GeneratorBasedBuilder):
    """Synthetic cooking videos with detailed and summary queries; no download."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "Initial release."}
    BUILDER_CONFIGS = [
        SyntheticMomentsConfig(
            name="default",
            description="500/80/80 videos, the benchmark of the demo.",
        ),
        SyntheticMomentsConfig(
            name="small",
            description="24/8/8 videos of the same distribution, for quick tests.",
            num_videos={"train": 24, "val": 8, "test": 8},
        ),
        SyntheticMomentsConfig(
            name="regions",
            description=(
                "500/80/80 videos whose units carry 4 object regions of 32 dims "
                "(region_features) beside verb-dominated unit features (regions.py)."
            ),
            num_regions=4,
        ),
        SyntheticMomentsConfig(
            name="regions_small",
            description="24/8/8 videos of the regions variant, for quick tests.",
            num_videos={"train": 24, "val": 8, "test": 8},
            num_regions=4,
        ),
        SyntheticMomentsConfig(
            name="tacos_like",
            description=(
                "75/27/25 videos with the statistics of TACoS (realistic.py): ~143 queries "
                "per video, short overlapping moments, 4096-d unit features."
            ),
            num_videos=dict(realistic.TACOS_LIKE.num_videos),
            feature_dim=4096,
            realistic="tacos_like",
        ),
        SyntheticMomentsConfig(
            name="tacos_like_small",
            description="3/2/2 videos of the tacos_like distribution with 64-d features, for tests.",
            num_videos={"train": 3, "val": 2, "test": 2},
            feature_dim=64,
            realistic="tacos_like",
        ),
        SyntheticMomentsConfig(
            name="anet_like",
            description=(
                "600/150/150 videos with the statistics of ActivityNet Captions "
                "(realistic.py): ~3.6 long queries per video, 500-d unit features."
            ),
            num_videos=dict(realistic.ANET_LIKE.num_videos),
            feature_dim=500,
            realistic="anet_like",
        ),
        SyntheticMomentsConfig(
            name="anet_like_small",
            description="12/4/4 videos of the anet_like distribution with 32-d features, for tests.",
            num_videos={"train": 12, "val": 4, "test": 4},
            feature_dim=32,
            realistic="anet_like",
        ),
    ]
    DEFAULT_BUILDER_CONFIG_NAME = "default"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.generation_reports: dict[str, GenerationReport] = {}

    def _info(self) -> tfds.core.DatasetInfo:
        config = self.builder_config
        if config.realistic:
            return self.dataset_info_from_configs(features=realistic.example_features(config.feature_dim))
        features = common.moment_features(config.feature_dim)
        if config.num_regions:
            features = regions.with_region_features(features, config.num_regions, config.region_dim)
        return self.dataset_info_from_configs(features=features)

    def _split_generators(self, dl_manager: tfds.download.DownloadManager):
        del dl_manager  # everything is generated
        return {split: self._generate_examples(split) for split in generator.SPLITS}

    def _generate_examples(self, split):
        config = self.builder_config
        if config.num_regions:
            examples = self._region_examples(split)
        elif config.realistic:
            examples = self._realistic_examples(split)
        else:
            examples = self._default_examples(split)
        report = GenerationReport(self.name, split)
        self.generation_reports[split] = report
        for video_id, example in examples:
            num_queries = len(example["queries"])
            report.add("videos_annotated")
            report.add("queries_annotated", num_queries)
            report.add("videos_written")
            report.add("queries_written", num_queries)
            yield video_id, example
        report.log()

    def _default_examples(self, split):
        config = self.builder_config
        for video in generator.generate_split(
            split, config.num_videos[split], config.seed, config.feature_dim
        ):
            yield video.video_id, _example(video)

    def _region_examples(self, split):
        """The `regions` variants: the example schema plus `region_features`."""
        config = self.builder_config
        for item in regions.generate_region_split(
            split, config.num_videos[split], config.seed, config.feature_dim,
            config.num_regions, config.region_dim,
        ):
            yield item.video.video_id, _example(item.video, region_features=item.region_features)

    def _realistic_examples(self, split):
        """The `tacos_like` / `anet_like` variants: the schema plus the generator's labels."""
        config = self.builder_config
        params = realistic.PRESETS[config.realistic]
        for video in realistic.generate_split(
            params, split, config.num_videos[split], config.seed, config.feature_dim
        ):
            yield video.video_id, realistic.to_example(video)


def _example(video, **extra) -> dict:
    """The TFDS example of a generated video (``extra``: further top-level fields)."""
    return {
        "video_id": video.video_id,
        "features": video.features,
        **extra,
        "duration": video.duration,
        "queries": [
            {"sentence": query.sentence, "start": query.start, "end": query.end} for query in video.queries
        ],
    }
