"""Property-based checks of the two promises that must hold for any mask: pixels outside it are the
input's, and the fill equals a harmonic field when one exists."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vinpaint import remove
from vinpaint.composite import dilate_mask
from vinpaint.fill.poisson import solve_poisson
from vinpaint.testing.synthetic import make_panning_clip

CLIP = make_panning_clip(frames=6, height=32, width=40, object_size=8)

boxes = st.tuples(st.integers(0, 31), st.integers(0, 39), st.integers(1, 16), st.integers(1, 20))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(box=boxes, dilate=st.integers(0, 5), feather=st.sampled_from([0.0, 2.5]),
       engine=st.sampled_from(["propagate", "perframe"]), moving=st.booleans())
def test_outside_the_dilated_mask_nothing_changes(box, dilate, feather, engine, moving):
    y, x, h, w = box
    masks = np.zeros(CLIP.frames.shape[:3], bool)
    for t in range(len(masks)):
        shift = t if moving else 0
        masks[t, y : y + h, min(x + shift, 39) : x + shift + w] = True
    out = remove(CLIP.frames, masks, engine=engine, dilate=dilate, feather=feather)
    outside = ~dilate_mask(masks, dilate)
    assert out.dtype == np.uint8 and out.shape == CLIP.frames.shape
    np.testing.assert_array_equal(out[outside], CLIP.frames[outside])


@settings(max_examples=25, deadline=None)
@given(box=st.tuples(st.integers(1, 20), st.integers(1, 20), st.integers(1, 10), st.integers(1, 10)),
       a=st.floats(-5, 5), b=st.floats(-5, 5), c=st.floats(-50, 50))
def test_laplace_reproduces_any_plane_inside_any_interior_box(box, a, b, c):
    y, x, h, w = box
    ys, xs = np.mgrid[0:32, 0:32].astype(float)
    plane = a * xs + b * ys + c
    region = np.zeros((32, 32), bool)
    region[y : y + h, x : x + w] = True
    np.testing.assert_allclose(solve_poisson(np.where(region, 0, plane), region), plane, atol=1e-7)
