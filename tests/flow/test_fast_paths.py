"""The faster paths of the flow layer give what the plain NumPy formulas give, bit for bit."""

import numpy as np
import pytest

from vinpaint.arrays import bounding_box, occupied_box
from vinpaint.errors import InvalidArrayError
from vinpaint.flow import complete_flow, consistency, warp


def _smooth_flows(seed: int, h: int = 60, w: int = 90) -> tuple[np.ndarray, np.ndarray]:
    import cv2

    rng = np.random.default_rng(seed)
    forward = cv2.GaussianBlur(rng.standard_normal((h, w, 2)).astype(np.float32), (0, 0), 4) * 30
    noise = cv2.GaussianBlur(rng.standard_normal((h, w, 2)).astype(np.float32), (0, 0), 2)
    return forward.astype(np.float32), (-forward + noise).astype(np.float32)


def _consistency_numpy(forward, backward, alpha=0.01, beta=0.5):
    """Sundaram et al.'s test written out in float32 NumPy, as consistency computed it before its kernel."""
    h, w = forward.shape[:2]
    back = warp(backward, forward)
    sum_x, sum_y = forward[..., 0] + back[..., 0], forward[..., 1] + back[..., 1]
    lhs = sum_x * sum_x + sum_y * sum_y
    rhs = alpha * (forward[..., 0] ** 2 + forward[..., 1] ** 2 + back[..., 0] ** 2 + back[..., 1] ** 2) + beta
    tx = forward[..., 0] + np.arange(w, dtype=np.float32)[None, :]
    ty = forward[..., 1] + np.arange(h, dtype=np.float32)[:, None]
    return (lhs < rhs) & (tx >= 0) & (tx <= w - 1) & (ty >= 0) & (ty <= h - 1)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_consistency_kernel_matches_the_numpy_formula_bit_for_bit(seed):
    forward, backward = _smooth_flows(seed)
    expected = _consistency_numpy(forward, backward)
    assert 0.05 < expected.mean() < 0.95  # both answers occur: the comparison means something
    np.testing.assert_array_equal(consistency(forward, backward), expected)


def test_consistency_written_into_out_only_in_the_box():
    forward, backward = _smooth_flows(3)
    box = (slice(10, 50), slice(20, 70))
    out = np.ones(forward.shape[:2], bool)
    returned = consistency(forward, backward, box=box, out=out)
    assert returned is out
    np.testing.assert_array_equal(out[box], _consistency_numpy(forward, backward)[box])
    outside = np.ones_like(out)
    outside[box] = False
    assert out[outside].all()


def test_complete_flow_in_place_gives_the_copying_result_in_the_same_array():
    forward, backward = _smooth_flows(4)
    both = np.concatenate([forward, backward], axis=-1)
    hole = np.zeros(both.shape[:2], bool)
    hole[20:40, 30:60] = True
    expected = complete_flow(both.copy(), hole, scale=0.5)
    returned = complete_flow(both, hole, scale=0.5, in_place=True)
    assert returned is both
    np.testing.assert_array_equal(both, expected)


def test_complete_flow_in_place_refuses_an_array_it_would_have_to_copy():
    flow = np.zeros((20, 20, 2), np.float64)
    with pytest.raises(InvalidArrayError):
        complete_flow(flow, np.ones((20, 20), bool), in_place=True)


def test_occupied_box_is_the_bounding_box_or_none_for_an_empty_mask():
    mask = np.zeros((30, 40), bool)
    assert occupied_box(mask) is None
    mask[5, 7] = mask[20, 33] = mask[12, 2] = True
    assert occupied_box(mask) == bounding_box(mask) == (slice(5, 21), slice(2, 34))
