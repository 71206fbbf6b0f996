"""load_split: TFDS loading of one split or several concatenated, through a tiny builder."""

import numpy as np
import pytest
import tensorflow_datasets as tfds

from clear_tf.config import Config
from clear_tf.data import build_dataset, load_split, split_expression

VIDEOS_PER_SPLIT = {"train": 3, "val": 2}


class TinyMoments(tfds.core.GeneratorBasedBuilder):
    """Per-video examples with clear-tf's schema, registered as ``tiny_moments``."""

    VERSION = tfds.core.Version("1.0.0")

    def _info(self):
        return tfds.core.DatasetInfo(
            builder=self,
            features=tfds.features.FeaturesDict(
                {
                    "video_id": tfds.features.Text(),
                    "features": tfds.features.Tensor(shape=(None, 2), dtype=np.float32),
                    "duration": tfds.features.Scalar(dtype=np.float32),
                    "queries": tfds.features.Sequence(
                        {
                            "sentence": tfds.features.Text(),
                            "start": tfds.features.Scalar(dtype=np.float32),
                            "end": tfds.features.Scalar(dtype=np.float32),
                        }
                    ),
                }
            )
        )

    def _split_generators(self, dl_manager):
        return {split: self._generate_examples(split) for split in VIDEOS_PER_SPLIT}

    def _generate_examples(self, split):
        for index in range(VIDEOS_PER_SPLIT[split]):
            video_id = f"{split}{index}"
            yield video_id, {
                "video_id": video_id,
                "features": np.full((3 + index, 2), index, np.float32),
                "duration": 6.0,
                "queries": [
                    {"sentence": f"{split} video {index} query {q}", "start": q, "end": q + 2.0}
                    for q in range(index + 1)
                ],
            }


@pytest.fixture(scope="module")
def tiny_config(tmp_path_factory):
    config = Config()
    config.data.dataset = "tiny_moments"
    config.data.data_dir = str(tmp_path_factory.mktemp("tfds"))
    config.data.num_pre_clips = 4
    config.data.num_clips = 2
    config.data.queries_per_video = 2
    config.data.max_query_tokens = 8
    config.model.tree_depth = 1
    return config


def video_ids(dataset):
    return sorted(example["video_id"].numpy().decode() for example in dataset)


def test_split_expression():
    assert split_expression("train") == "train"
    assert split_expression(["train", "val"]) == "train+val"
    assert split_expression("train+val") == "train+val"
    with pytest.raises(ValueError, match="bad split"):
        split_expression(["train", ""])


def test_one_split_and_concatenated_splits(tiny_config):
    assert video_ids(load_split(tiny_config, "val")) == ["val0", "val1"]
    assert video_ids(load_split(tiny_config, ["train", "val"])) == ["train0", "train1", "train2", "val0", "val1"]


def test_loaded_examples_feed_the_pipeline(tiny_config):
    batches = list(build_dataset(load_split(tiny_config, "train"), tiny_config, training=False))
    # Videos with 1, 2, 3 queries and K = 2: four elements.
    assert sum(int(batch["query_mask"].numpy().sum()) for batch in batches) == 6
    assert sum(batch["video_id"].shape[0] for batch in batches) == 4


def test_unknown_dataset_is_named(tiny_config):
    config = Config()
    config.data.dataset = "no_such_moments_dataset"
    config.data.data_dir = tiny_config.data.data_dir
    with pytest.raises(Exception, match="no_such_moments_dataset"):
        load_split(config, "train")
