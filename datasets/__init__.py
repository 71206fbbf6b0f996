"""clear-tf's TFDS builders, installed as the package `clear_tf_datasets`.

Importing the package registers `tacos`, `activitynet_captions`, `charades_sta`,
`moment_features` and `synthetic_moments` with TFDS, so that `tfds.builder(name)` and
`tfds.load(name)` find them. Each builder also works with the TFDS command line by
folder, e.g. `tfds build datasets/tacos --manual_dir=M --data_dir=D`.
"""

from clear_tf_datasets.activitynet_captions import activitynet_captions_dataset_builder
from clear_tf_datasets.charades_sta import charades_sta_dataset_builder
from clear_tf_datasets.moment_features import moment_features_dataset_builder
from clear_tf_datasets.synthetic_moments import synthetic_moments_dataset_builder
from clear_tf_datasets.tacos import tacos_dataset_builder

__all__ = [
    "activitynet_captions_dataset_builder",
    "charades_sta_dataset_builder",
    "moment_features_dataset_builder",
    "synthetic_moments_dataset_builder",
    "tacos_dataset_builder",
]
