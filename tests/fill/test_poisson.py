import numpy as np

import pytest

from vinpaint.fill.poisson import pull_push, solve_poisson


def test_laplace_reproduces_a_harmonic_field_exactly():
    ys, xs = np.mgrid[0:40, 0:50].astype(float)
    field = 2 * xs - 3 * ys + 7
    region = np.zeros((40, 50), bool)
    region[10:30, 12:40] = True
    solved = solve_poisson(np.where(region, 0, field), region)
    np.testing.assert_allclose(solved, field, atol=1e-9)


def test_poisson_with_guidance_takes_the_guidance_gradients_and_the_boundary_level():
    ys, xs = np.mgrid[0:40, 0:50].astype(float)
    texture = np.sin(xs / 3) * 20 + ys
    boundary = texture + 15  # the surroundings are 15 brighter than the fill
    region = np.zeros((40, 50), bool)
    region[8:32, 10:40] = True
    solved = solve_poisson(boundary, region, guidance=texture)
    np.testing.assert_allclose(solved[region], boundary[region], atol=1e-8)


def test_empty_region_returns_the_values_unchanged():
    values = np.random.default_rng(0).random((10, 12, 3))
    out = solve_poisson(values, np.zeros((10, 12), bool))
    np.testing.assert_array_equal(out, values)


def _blob_problem(size=(120, 160)):
    """A smooth field and a ragged blob of about 5 000 pixels: large enough to be solved coarse to fine."""
    h, w = size
    ys, xs = np.mgrid[0:h, 0:w].astype(float)
    field = np.stack([np.sin(xs / 17) * 30 + ys, np.cos(ys / 11) * 20 - xs / 3], -1)
    region = (xs - 80) ** 2 / 55**2 + (ys - 60) ** 2 / 40**2 + 0.2 * np.sin(xs / 3) * np.cos(ys / 4) < 1
    return field, region


def test_a_large_region_solved_coarse_to_fine_matches_the_direct_solve():
    field, region = _blob_problem()
    assert region.sum() > 4000
    exact = solve_poisson(field, region, direct_max=10**9)
    coarse_to_fine = solve_poisson(field, region, direct_max=500)
    error = np.abs(coarse_to_fine - exact)[region]
    assert error.max() < 0.25 and error.mean() < 0.02  # a quarter of a level (or pixel) at worst


def test_a_large_blend_solved_coarse_to_fine_matches_the_direct_solve():
    field, region = _blob_problem()
    rng = np.random.default_rng(1)
    guidance = field + rng.normal(0, 10, field.shape) + 12  # a textured fill, 12 levels too bright
    for across in (False, True):
        exact = solve_poisson(field, region, guidance, guide_across_boundary=across, direct_max=10**9)
        coarse_to_fine = solve_poisson(field, region, guidance, guide_across_boundary=across, direct_max=500)
        assert np.abs(coarse_to_fine - exact)[region].mean() < 0.1


def test_the_two_scale_seam_membrane_of_a_large_hole_is_close_to_the_exact_blend():
    from vinpaint.fill.poisson import seam_membrane

    field, region = _blob_problem()
    rng = np.random.default_rng(2)
    frame = np.concatenate([field, field[..., :1]], -1) + 100
    fill = frame + rng.normal(0, 8, frame.shape) + 10 * np.sin(np.arange(160) / 25)[None, :, None]
    exact = solve_poisson(frame, region, fill, guide_across_boundary=False, direct_max=10**9) - fill
    two_scale = seam_membrane(frame.astype(np.float32), region, fill.astype(np.float32), coarse_max=1000)
    error, correction = np.abs(two_scale - exact)[region].mean(), np.abs(exact[region]).mean()
    assert error < 0.15 * correction  # measured 0.10: the noise in the steps is what pull-push approximates


@pytest.mark.parametrize("channels", [None, 3])
def test_pull_push_keeps_the_known_values_and_fills_a_constant_field_with_that_constant(channels):
    shape = (37, 53) if channels is None else (37, 53, channels)
    known = np.zeros((37, 53), bool)
    known[::7, ::5] = True
    values = np.where(known, 4.5, -1000.0).astype(np.float32)
    if channels is not None:
        values = np.repeat(values[..., None], channels, axis=2)
    filled = pull_push(values, known)
    assert filled.shape == shape and filled.dtype == np.float32
    assert np.allclose(filled, 4.5, atol=1e-4)  # the unknown -1000s are never read


def test_pull_push_keeps_known_pixels_exactly_and_stays_within_their_range():
    rng = np.random.default_rng(3)
    values = rng.uniform(-5, 5, (40, 40, 2)).astype(np.float32)
    known = rng.random((40, 40)) < 0.1
    filled = pull_push(values, known)
    assert np.array_equal(filled[known], values[known])
    assert filled.min() >= values[known].min() - 1e-4 and filled.max() <= values[known].max() + 1e-4
