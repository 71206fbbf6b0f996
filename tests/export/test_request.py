"""Reading feature files (.npy, TACoS and ActivityNet HDF5 layouts) and checking requests."""

import h5py
import numpy as np
import pytest

from clear_tf.export import InvalidRequestError, check_request, load_features, read_queries_file


@pytest.fixture
def units():
    return np.arange(12, dtype=np.float32).reshape(3, 4)


@pytest.fixture
def tacos_file(tmp_path, units):
    path = tmp_path / "tall_c3d_features.hdf5"
    with h5py.File(path, "w") as handle:
        handle["s30-d52.avi"] = units
        handle["s13-d21"] = units * 2
        handle["s14-d26.avi"] = units * 3
    return path


@pytest.fixture
def activitynet_file(tmp_path, units):
    path = tmp_path / "sub_activitynet_v1-3.c3d.hdf5"
    with h5py.File(path, "w") as handle:
        handle["v_abc/c3d_features"] = units.astype(np.float64)
        handle.create_group("v_empty")
    return path


def test_npy(tmp_path, units):
    path = tmp_path / "video.npy"
    np.save(path, units.astype(np.float64))
    loaded = load_features(str(path))
    assert loaded.dtype == np.float32
    np.testing.assert_array_equal(loaded, units)


def test_tacos_layout_with_or_without_avi(tacos_file, units):
    np.testing.assert_array_equal(load_features(f"{tacos_file}:s30-d52.avi"), units)
    np.testing.assert_array_equal(load_features(f"{tacos_file}:s30-d52"), units)
    np.testing.assert_array_equal(load_features(f"{tacos_file}:s13-d21.avi"), units * 2)
    np.testing.assert_array_equal(load_features(f"{tacos_file}:s13-d21"), units * 2)


def test_activitynet_layout(activitynet_file, units):
    loaded = load_features(f"{activitynet_file}:v_abc")
    assert loaded.dtype == np.float32
    np.testing.assert_array_equal(loaded, units)


def test_missing_hdf5_key_names_the_file_and_the_key(tacos_file):
    with pytest.raises(InvalidRequestError) as error:
        load_features(f"{tacos_file}:s99-d99")
    message = str(error.value)
    assert str(tacos_file) in message and "'s99-d99'" in message and "'s99-d99.avi'" in message
    assert "holds 3 entries" in message


def test_group_without_c3d_features(activitynet_file):
    with pytest.raises(InvalidRequestError, match="group 'v_empty' has no dataset 'c3d_features'"):
        load_features(f"{activitynet_file}:v_empty")


@pytest.mark.parametrize(
    "spec,message",
    [
        ("{dir}/missing.npy", "features file .*missing.npy does not exist"),
        ("{dir}/missing.hdf5:v_abc", "features file .*missing.hdf5 does not exist"),
        ("{tacos}", "name the video as"),
        ("{dir}/video.npy:key", "a .npy file holds one video"),
        ("{dir}/video.txt", "expected a .npy file or an HDF5 file"),
        ("{dir}/vector.npy", r"must be a \[units, dimensions\] matrix, got shape \(4,\)"),
        ("{dir}/broken.hdf5:v", "not a readable HDF5 file"),
    ],
)
def test_bad_feature_files(tmp_path, tacos_file, spec, message):
    np.save(tmp_path / "video.npy", np.zeros((2, 4), np.float32))
    np.save(tmp_path / "vector.npy", np.zeros(4, np.float32))
    (tmp_path / "video.txt").write_text("1 2 3")
    (tmp_path / "broken.hdf5").write_text("not hdf5")
    with pytest.raises(InvalidRequestError, match=message):
        load_features(spec.format(dir=tmp_path, tacos=tacos_file))


def test_check_request_converts_and_passes_good_requests():
    features, duration, queries = check_request(
        np.ones((3, 4), np.float64), 12, ("one", "two"), feature_dim=4
    )
    assert features.dtype == np.float32 and duration == 12.0 and queries == ["one", "two"]


def test_check_request_names_the_source_and_the_expected_dimension():
    with pytest.raises(InvalidRequestError, match=r"f.hdf5:v has 5 dimensions per unit; the model expects D = 4"):
        check_request(np.ones((3, 5)), 1.0, ["q"], feature_dim=4, source="f.hdf5:v")
    with pytest.raises(InvalidRequestError, match="contains NaN or Inf .first at unit 2"):
        check_request(np.array([[0.0], [1.0], [np.inf]]), 1.0, ["q"], feature_dim=1)
    with pytest.raises(InvalidRequestError, match="query 0 is not a string"):
        check_request(np.ones((1, 1)), 1.0, [3], feature_dim=1)
    with pytest.raises(InvalidRequestError, match="duration must be a number"):
        check_request(np.ones((1, 1)), "long", ["q"], feature_dim=1)


def test_queries_file(tmp_path):
    path = tmp_path / "queries.txt"
    path.write_text("first query\n\n  second query  \n")
    assert read_queries_file(str(path)) == ["first query", "second query"]
    path.write_text("\n \n")
    with pytest.raises(InvalidRequestError, match="holds no query"):
        read_queries_file(str(path))
    with pytest.raises(InvalidRequestError, match="does not exist"):
        read_queries_file(str(tmp_path / "none.txt"))
