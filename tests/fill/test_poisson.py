import numpy as np

from vinpaint.fill.poisson import solve_poisson


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
