"""``extract_video_features``: shapes, the unit rule on real videos, determinism, bad files."""

import numpy as np
import pytest

from clear_tf.video import FrameSampler, UnitRule, VideoReadError, extract_video_features
from synthetic_video import BLUE, GREEN, RED, write_video
from tiny_clip import FEATURE_DIM


def test_shapes_and_duration(red_blue_video, encoder):
    features, duration = extract_video_features(red_blue_video, encoder)
    assert duration == pytest.approx(4.0)
    assert features.shape == (4, FEATURE_DIM)  # one unit per second
    assert features.dtype == np.float32
    assert np.isfinite(features).all()


def test_a_spec_string_loads_the_encoder(red_blue_video, clip_preset, encoder):
    from_spec, _ = extract_video_features(red_blue_video, clip_preset)
    from_encoder, _ = extract_video_features(red_blue_video, encoder)
    np.testing.assert_array_equal(from_spec, from_encoder)


def test_same_file_twice_gives_identical_features(red_blue_video, encoder):
    first, _ = extract_video_features(red_blue_video, encoder)
    second, _ = extract_video_features(red_blue_video, encoder)
    np.testing.assert_array_equal(first, second)


def test_units_follow_the_content(red_blue_video, encoder):
    """Red for 2 s then blue: units 0–1 are alike, 2–3 are alike, and the two differ."""
    features, _ = extract_video_features(red_blue_video, encoder)
    within = max(np.abs(features[0] - features[1]).max(), np.abs(features[2] - features[3]).max())
    across = np.abs(features[1] - features[2]).max()
    assert within < 0.05 * across


def test_frames_are_sampled_at_the_middle_of_each_interval(tmp_path):
    """At 2 fps the samples are at 0.25, 0.75, ... s: a change at 1.0 s falls between two."""
    path = write_video(tmp_path / "cut.mp4", [(1.0, RED), (0.5, GREEN), (0.5, BLUE)])
    sampler = FrameSampler(path, UnitRule(frames_per_second=2, unit_seconds=1))
    colours = [tuple(int(value) for value in frame[16, 24]) for frame in sampler]
    assert sampler.duration == pytest.approx(2.0)
    dominant = ["rgb"[int(np.argmax(colour))] for colour in colours]
    assert dominant == ["r", "r", "g", "b"]


@pytest.mark.parametrize(
    "frames_per_second,unit_seconds,duration,units",
    [(4, 0.5, 4.0, 8), (1, 2, 4.0, 2), (2, 1, 2.5, 3), (1, 1, 2.5, 2)],
)
def test_number_of_units_follows_the_rule(tmp_path, encoder, frames_per_second, unit_seconds, duration, units):
    path = write_video(tmp_path / "clip.mp4", [(duration, GREEN)])
    rule = UnitRule(frames_per_second, unit_seconds)
    features, measured = extract_video_features(path, encoder, rule=rule)
    assert measured == pytest.approx(duration)
    assert features.shape == (rule.num_units(rule.num_samples(duration)), FEATURE_DIM) == (units, FEATURE_DIM)


def test_batch_size_changes_nothing_but_rounding(red_blue_video, encoder):
    big, _ = extract_video_features(red_blue_video, encoder, batch_size=32)
    small, _ = extract_video_features(red_blue_video, encoder, batch_size=3)
    np.testing.assert_allclose(small, big, atol=1e-5)


@pytest.mark.parametrize(
    "name,content,reason",
    [
        ("empty.mp4", b"", "the file is empty"),
        ("corrupt.mp4", bytes(range(256)) * 16, "InvalidDataError"),
        ("text.mp4", b"just some text, not a video\n" * 20, "Error"),
    ],
)
def test_unreadable_file_is_one_line_naming_it(tmp_path, encoder, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(VideoReadError) as error:
        extract_video_features(path, encoder)
    message = str(error.value)
    assert message.startswith(f"cannot read video {path}: ")
    assert reason in message and "\n" not in message


def test_missing_file(tmp_path, encoder):
    with pytest.raises(VideoReadError, match=r"cannot read video .*nowhere.mp4: no such file"):
        extract_video_features(tmp_path / "nowhere.mp4", encoder)


def test_file_without_a_video_stream(tmp_path, encoder):
    import av

    path = tmp_path / "audio.m4a"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("aac", rate=8000)
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
        frame.sample_rate = 8000
        for packet in list(stream.encode(frame)) + list(stream.encode()):
            container.mux(packet)
    with pytest.raises(VideoReadError, match="has no video stream"):
        extract_video_features(path, encoder)
