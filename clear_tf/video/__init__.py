"""Unit features from raw video files (``python -m clear_tf.extract_features``).

``extract_video_features(path, encoder)`` decodes a video with PyAV, samples its frames
at a fixed rate, encodes them with a keras-hub image encoder (default: the CLIP
ViT-B/32 image tower) and averages them into units (needs a video file and the
encoder's weights; not run as a doctest)::

    features, duration = extract_video_features("cooking.mp4", "clip_vit_base_patch32")
    features.shape  # (units, 512): one 512-d unit per second

Modules: ``units`` (the sampling and pooling rule), ``decode`` (PyAV), ``encoder``
(keras-hub presets), ``extract`` (the three together), ``features_file`` (the HDF5
layout).
"""

from clear_tf.video.decode import VIDEO_SUFFIXES, FrameSampler, VideoReadError, video_id
from clear_tf.video.encoder import (
    DEFAULT_ENCODER,
    EncoderError,
    ImageEncoder,
    load_image_encoder,
    resolve_encoder_spec,
)
from clear_tf.video.extract import DEFAULT_BATCH_SIZE, extract_video_features
from clear_tf.video.features_file import FeatureFileWriter, feature_file_attributes
from clear_tf.video.units import DEFAULT_FRAMES_PER_SECOND, DEFAULT_UNIT_SECONDS, UnitRule

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_ENCODER",
    "DEFAULT_FRAMES_PER_SECOND",
    "DEFAULT_UNIT_SECONDS",
    "VIDEO_SUFFIXES",
    "EncoderError",
    "FeatureFileWriter",
    "FrameSampler",
    "ImageEncoder",
    "UnitRule",
    "VideoReadError",
    "extract_video_features",
    "feature_file_attributes",
    "load_image_encoder",
    "resolve_encoder_spec",
    "video_id",
]
