import numpy as np
import pytest

from clear_tf.models.clear.anchor_gather import AnchorGather
from tests.test_helpers import run_layer_serialization_test

# Eq. 2 written out by hand, 1-based (start, end), for L = 8:
# a1 = c(1, L); even r: c(1, L - r/2); odd r > 1: c(L - (⌊r/2⌋ - 1), same).
EQ2_CELLS_L8 = {
    3: [(1, 8), (1, 7), (8, 8)],
    5: [(1, 8), (1, 7), (8, 8), (1, 6), (7, 7)],
    7: [(1, 8), (1, 7), (8, 8), (1, 6), (7, 7), (1, 5), (6, 6)],
}


@pytest.mark.parametrize("num_anchors", [3, 5, 7])
def test_anchors_are_the_eq2_cells(num_anchors):
    num_clips = 8
    cell_code = np.arange(num_clips * num_clips, dtype=np.float32).reshape(1, num_clips, num_clips, 1)
    position_map = np.concatenate([cell_code, -cell_code], axis=-1)
    anchors = np.asarray(AnchorGather(num_anchors)(position_map))
    expected = [(s - 1) * num_clips + (e - 1) for s, e in EQ2_CELLS_L8[num_anchors]]
    np.testing.assert_array_equal(anchors[0, :, 0], expected)
    np.testing.assert_array_equal(anchors[0, :, 1], -np.array(expected))


def test_too_many_anchors_for_the_map_is_an_error():
    with pytest.raises(ValueError, match="do not fit"):
        AnchorGather(9)(np.zeros((1, 3, 3, 2), np.float32))


def test_serialization():
    position_map = np.random.default_rng(0).normal(size=(2, 8, 8, 4)).astype(np.float32)
    run_layer_serialization_test(AnchorGather, {"num_anchors": 5}, position_map)
