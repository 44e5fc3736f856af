import numpy as np
import pytest

from vinpaint.errors import InvalidOptionError, UnknownPluginError
from vinpaint.flow import FLOW_ESTIMATORS, complete_flow, consistency, estimate_flow, warp
from vinpaint.testing.synthetic import make_texture


def shifted_pair(dx: int, dy: int):
    texture = make_texture(80, 112, seed=3)
    a = texture[8:72, 8:104]
    b = texture[8 - dy : 72 - dy, 8 - dx : 104 - dx]  # content moves by (dx, dy) from a to b
    return np.stack([a, b])


@pytest.mark.parametrize("method", FLOW_ESTIMATORS.names())
def test_estimators_recover_a_known_shift(method):
    forward, backward = estimate_flow(shifted_pair(3, -2), method=method)
    assert forward.shape == (1, 64, 96, 2) and forward.dtype == np.float32
    centre = (slice(16, 48), slice(16, 80))
    np.testing.assert_allclose(np.median(forward[0][centre], axis=(0, 1)), [3, -2], atol=0.25)
    np.testing.assert_allclose(np.median(backward[0][centre], axis=(0, 1)), [-3, 2], atol=0.25)


def test_reduced_scale_flow_is_rescaled_to_pixels_of_the_full_frame():
    forward, _ = estimate_flow(shifted_pair(4, 2), scale=0.5)
    assert forward.shape[1:3] == (64, 96)
    np.testing.assert_allclose(np.median(forward[0, 16:48, 16:80], axis=(0, 1)), [4, 2], atol=0.4)


def test_bad_flow_options_raise_package_errors():
    with pytest.raises(InvalidOptionError):
        estimate_flow(shifted_pair(1, 1), scale=0)
    with pytest.raises(UnknownPluginError, match="dis"):
        estimate_flow(shifted_pair(1, 1), method="nope")


def test_complete_flow_recovers_a_smooth_field_inside_the_hole():
    ys, xs = np.mgrid[0:60, 0:80].astype(np.float32)
    truth = np.stack([0.05 * xs + 1, -0.03 * ys + 2], axis=-1)
    corrupted = truth.copy()
    hole = np.zeros((60, 80), bool)
    hole[20:40, 25:55] = True
    corrupted[hole] = (30.0, -30.0)  # the removed object's motion
    completed = complete_flow(corrupted, hole, scale=1.0)
    assert np.abs(completed - truth)[hole].max() < 1e-3
    assert np.array_equal(completed[~hole], truth[~hole])


def test_consistency_accepts_inverse_flows_and_rejects_contradicting_ones():
    forward = np.full((40, 50, 2), (2.0, 1.0), np.float32)
    backward = -forward
    ok = consistency(forward, backward)
    assert ok[5:30, 5:40].all()
    backward_wrong = backward.copy()
    backward_wrong[10:20, 10:20] = (5.0, 5.0)
    bad = consistency(forward, backward_wrong)
    assert not bad[10:18, 10:18].any()


def test_warp_moves_content_by_the_flow():
    image = np.zeros((20, 30), np.float32)
    image[10, 15] = 1
    flow = np.full((20, 30, 2), (3.0, -2.0), np.float32)
    aligned = warp(image, flow)
    assert aligned[12, 12] == 1  # out[y, x] = image[y + dy, x + dx]


def test_warping_a_box_gives_that_box_of_the_whole_warp():
    from vinpaint.flow import warp

    rng = np.random.default_rng(3)
    image = rng.integers(0, 256, (40, 60, 3), dtype=np.uint8)
    flow = rng.normal(0, 2, (40, 60, 2)).astype(np.float32)
    box = (slice(5, 30), slice(12, 50))
    np.testing.assert_array_equal(warp(image, flow, box=box), warp(image, flow)[box])
