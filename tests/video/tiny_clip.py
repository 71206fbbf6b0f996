"""A tiny random CLIP model saved as a local keras-hub preset folder (no download)."""

from __future__ import annotations

FEATURE_DIM = 12  # the tiny model's projection_dim: the D of its features
IMAGE_SIZE = 32
# CLIP's own image normalisation (OpenAI's mean and std), as keras-hub's presets apply it.
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)


def save_tiny_clip_preset(folder, seed: int = 0, with_converter: bool = True) -> str:
    """Writes a random CLIP backbone (and its image converter) to ``folder``; returns it.

    Vision tower: 32×32 images, 8×8 patches, one 16-d transformer layer, projected to
    ``FEATURE_DIM``. The text tower is the smallest keras-hub accepts (it is unused).
    """
    import keras
    import keras_hub

    keras.utils.set_random_seed(seed)
    vision_encoder = keras_hub.models.CLIPVisionEncoder(
        patch_size=8,
        hidden_dim=16,
        num_layers=1,
        num_heads=2,
        intermediate_dim=32,
        image_shape=(IMAGE_SIZE, IMAGE_SIZE, 3),
    )
    text_encoder = keras_hub.models.CLIPTextEncoder(
        vocabulary_size=16,
        embedding_dim=16,
        hidden_dim=16,
        num_layers=1,
        num_heads=2,
        intermediate_dim=32,
        max_sequence_length=8,
    )
    backbone = keras_hub.models.CLIPBackbone(
        vision_encoder=vision_encoder, text_encoder=text_encoder, projection_dim=FEATURE_DIM
    )
    backbone.save_to_preset(str(folder))
    if with_converter:
        converter = keras_hub.layers.CLIPImageConverter(
            image_size=(IMAGE_SIZE, IMAGE_SIZE),
            scale=[1.0 / 255.0 / std for std in CLIP_STD],
            offset=[-mean / std for mean, std in zip(CLIP_MEAN, CLIP_STD)],
            interpolation="bicubic",
        )
        converter.save_to_preset(str(folder))
    return str(folder)
