"""Encoder specs: preset names, local preset folders, and the errors for bad ones."""

import os

import numpy as np
import pytest

from clear_tf.video import DEFAULT_ENCODER, EncoderError, ImageEncoder, load_image_encoder, resolve_encoder_spec
from tiny_clip import FEATURE_DIM, save_tiny_clip_preset


def test_default_is_the_clip_vit_b32_preset():
    import keras_hub

    assert DEFAULT_ENCODER == "clip_vit_base_patch32"
    assert DEFAULT_ENCODER in keras_hub.models.CLIPBackbone.presets


def test_folder_spec_is_made_absolute(clip_preset, monkeypatch):
    parent, name = os.path.split(clip_preset)
    monkeypatch.chdir(parent)
    assert resolve_encoder_spec(f"./{name}") == clip_preset
    assert resolve_encoder_spec(DEFAULT_ENCODER) == DEFAULT_ENCODER


@pytest.mark.parametrize("spec,message", [("", "empty"), ("./no/such/preset", "folder ./no/such/preset does not exist")])
def test_bad_spec(spec, message):
    with pytest.raises(EncoderError, match=message):
        resolve_encoder_spec(spec)


def test_local_preset_gives_the_projected_clip_embedding(encoder, clip_preset):
    assert encoder.spec == clip_preset
    assert encoder.feature_dim == FEATURE_DIM
    frames = np.random.default_rng(0).integers(0, 256, (3, 40, 60, 3), dtype=np.uint8)
    embeddings = encoder.encode(frames)
    assert embeddings.shape == (3, FEATURE_DIM) and embeddings.dtype == np.float32
    images = encoder.image_converter(frames.astype(np.float32))
    np.testing.assert_allclose(embeddings, encoder.backbone.get_vision_embeddings(images).numpy(), atol=1e-5)


def test_encoders_are_loaded_once_per_spec(clip_preset, encoder):
    assert load_image_encoder(clip_preset) is encoder


def test_preset_without_image_converter_is_one_line(tmp_path):
    folder = save_tiny_clip_preset(tmp_path / "no_converter", with_converter=False)
    with pytest.raises(EncoderError) as error:
        ImageEncoder.from_spec(folder)
    message = str(error.value)
    assert "has no usable image converter (image_converter.json)" in message and folder in message
    assert "\n" not in message


def test_folder_that_is_not_a_preset(tmp_path):
    folder = tmp_path / "not_a_preset"
    folder.mkdir()
    with pytest.raises(EncoderError, match=r"cannot load the image encoder '.*not_a_preset'"):
        ImageEncoder.from_spec(str(folder))


@pytest.mark.parametrize("shape", [(2, 3, 3, 5), (2, 4, 5), (2, 5)])
def test_generic_backbone_outputs_are_pooled_to_one_vector(shape):
    import tensorflow as tf

    from clear_tf.video.encoder import _pool

    outputs = tf.reshape(tf.range(np.prod(shape), dtype=tf.float32), shape)
    pooled = _pool(outputs).numpy()
    assert pooled.shape == (2, 5)
    values = outputs.numpy()
    expected = values.mean(axis=(1, 2)) if len(shape) == 4 else values[:, 0] if len(shape) == 3 else values
    np.testing.assert_allclose(pooled, expected)
