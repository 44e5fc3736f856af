"""propagate_with_pixels, the engine's keyframe loop path, gives what propagate_bidirectional gives."""

import numpy as np

from vinpaint.arrays import mask_pixels
from vinpaint.engines.propagation import (
    FlowPairs,
    propagate_bidirectional,
    propagate_with_pixels,
)


def _clip():
    """A texture panning 2 px a frame to the right under a square that moves 3 px a frame down."""
    rng = np.random.default_rng(0)
    texture = rng.integers(0, 255, (48, 120, 3)).astype(np.uint8)
    frames = np.stack([np.roll(texture, 2 * t, axis=1)[:, :80] for t in range(6)])
    holes = np.zeros(frames.shape[:3], bool)
    for t in range(6):
        holes[t, 10 + 3 * t : 26 + 3 * t, 30:50] = True
    forward = np.zeros((5, 48, 80, 2), np.float32)
    forward[..., 0] = 2
    return frames, holes, FlowPairs.from_flows(forward, -forward)


def test_propagating_in_place_with_carried_pixels_matches_the_plain_call():
    frames, holes, flows = _clip()
    plain = propagate_bidirectional(frames, holes, flows, threads=1)
    assert plain.remaining.any() and (plain.remaining != holes).any()  # some pixels filled, some not
    own, own_holes = frames.copy(), holes.copy()
    result, left = propagate_with_pixels(own, own_holes, flows, threads=1, pixels=[mask_pixels(h) for h in holes],
                                         overwrite=True, details=False)
    assert result.filled is own and result.remaining is own_holes
    np.testing.assert_array_equal(result.filled, plain.filled)
    np.testing.assert_array_equal(result.remaining, plain.remaining)
    for (ys, xs), hole in zip(left, plain.remaining):
        expected_ys, expected_xs = np.nonzero(hole)
        np.testing.assert_array_equal(ys, expected_ys)
        np.testing.assert_array_equal(xs, expected_xs)
