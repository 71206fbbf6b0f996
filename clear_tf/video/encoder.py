"""Image encoders for video frames: a keras-hub image backbone and its preset's image converter.

An encoder is named by a *spec*, the string recorded in feature files (``encoder``) and
in exports (``config.data.feature_encoder``):

* a keras-hub preset name or handle, e.g. ``clip_vit_base_patch32`` (the default: the
  image tower of OpenAI's CLIP ViT-B/32, 512-d), downloaded by keras-hub on first use
  where the network allows;
* a local preset folder, as written by ``backbone.save_to_preset(folder)`` and
  ``image_converter.save_to_preset(folder)``; it is recorded as an absolute path.

The preset must hold an image converter (``image_converter.json``): it resizes the raw
RGB frames and normalises them exactly as the backbone was trained. The embedding of a
frame is, for backbones with a vision-embedding head (CLIP, SigLIP:
``get_vision_embeddings``), the projected image embedding; for other image backbones,
the global average of a feature map [H, W, C], the first (class) token of a token
sequence [S, C], or a vector output as it is.

TensorFlow places the encoder on the GPU when there is one.
"""

from __future__ import annotations

import functools
import os

import numpy as np

DEFAULT_ENCODER = "clip_vit_base_patch32"


class EncoderError(ValueError):
    """An encoder spec that cannot be loaded; the message is one line naming it."""


def resolve_encoder_spec(spec: str) -> str:
    """The canonical spec: an existing folder as an absolute path, a preset name as given.

    Raises:
        EncoderError: the spec is empty, or names a folder that does not exist.
    """
    spec = str(spec).strip()
    if not spec:
        raise EncoderError("the encoder spec is empty")
    expanded = os.path.expanduser(spec)
    if os.path.isdir(expanded):
        return os.path.abspath(expanded)
    if "://" not in spec and (os.sep in spec or spec.startswith((".", "~"))):
        raise EncoderError(f"encoder preset folder {spec} does not exist")
    return spec


class ImageEncoder:
    """Encodes batches of RGB frames into one embedding per frame.

    Build it with ``ImageEncoder.from_spec`` (or the cached ``load_image_encoder``).

    Args:
        spec: the canonical encoder spec (see the module docstring).
        backbone: a keras-hub image backbone.
        image_converter: the preset's ``keras_hub.layers.ImageConverter``.
    """

    def __init__(self, spec: str, backbone, image_converter):
        import tensorflow as tf

        self.spec = spec
        self.backbone = backbone
        self.image_converter = image_converter
        self._encode = tf.function(
            self._embed, input_signature=[tf.TensorSpec([None, None, None, 3], tf.uint8)]
        )
        self.feature_dim = int(self._encode.get_concrete_function().structured_outputs.shape[-1])

    @classmethod
    def from_spec(cls, spec: str) -> "ImageEncoder":
        """Loads the backbone and image converter of a preset name or folder.

        Raises:
            EncoderError: naming the spec, when either cannot be loaded.
        """
        spec = resolve_encoder_spec(spec)
        import keras_hub

        try:
            backbone = keras_hub.models.Backbone.from_preset(spec)
        except Exception as error:  # keras-hub raises many kinds (network, file, config)
            raise EncoderError(f"cannot load the image encoder {spec!r}: {_one_line(error)}") from None
        try:
            image_converter = keras_hub.layers.ImageConverter.from_preset(spec)
        except Exception as error:
            raise EncoderError(
                f"the encoder preset {spec!r} has no usable image converter "
                f"(image_converter.json): {_one_line(error)}"
            ) from None
        try:
            return cls(spec, backbone, image_converter)
        except Exception as error:
            raise EncoderError(
                f"the encoder preset {spec!r} ({type(backbone).__name__}) does not map images to "
                f"embeddings: {_one_line(error)}"
            ) from None

    def encode(self, frames: np.ndarray) -> np.ndarray:
        """Embeddings float32 [B, D] of RGB frames uint8 [B, H, W, 3]."""
        return self._encode(np.asarray(frames, dtype=np.uint8)).numpy()

    def _embed(self, frames):
        import tensorflow as tf

        # Converted as float: resizing uint8 images would round (and clip the bicubic
        # overshoot) before the normalisation.
        images = self.image_converter(tf.cast(frames, tf.float32))
        if hasattr(self.backbone, "get_vision_embeddings"):
            embeddings = self.backbone.get_vision_embeddings(images)
        else:
            embeddings = _pool(self.backbone(images, training=False))
        return tf.cast(embeddings, tf.float32)


def _pool(outputs):
    """One vector per image from a generic backbone's output."""
    import tensorflow as tf

    if isinstance(outputs, dict):
        raise ValueError(f"the backbone returns several outputs ({sorted(outputs)})")
    rank = outputs.shape.rank
    if rank == 4:  # a feature map [B, H, W, C] (channels last)
        return tf.reduce_mean(outputs, axis=[1, 2])
    if rank == 3:  # a token sequence [B, S, C]: the class token
        return outputs[:, 0]
    if rank == 2:
        return outputs
    raise ValueError(f"the backbone's output has rank {rank}")


@functools.lru_cache(maxsize=4)
def _cached_encoder(spec: str) -> ImageEncoder:
    return ImageEncoder.from_spec(spec)


def load_image_encoder(spec: str = DEFAULT_ENCODER) -> ImageEncoder:
    """The encoder of ``spec``, loaded once per process and spec.

    Raises:
        EncoderError: naming the spec, when it cannot be loaded.
    """
    return _cached_encoder(resolve_encoder_spec(spec))


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= 300 else text[:297] + "..."
