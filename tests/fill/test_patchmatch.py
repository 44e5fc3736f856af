"""The ``patchmatch`` spatial filler: multi-scale PatchMatch texture synthesis."""

from __future__ import annotations

import logging

import cv2
import numpy as np
import pytest

from vinpaint.errors import InvalidArrayError, InvalidOptionError
from vinpaint.fill.patchmatch import _crop_boxes, _downsample, fill_patchmatch
from vinpaint.fill import SPATIAL_FILLERS, fill_spatial


def stripes(height: int = 64, width: int = 64, period: int = 6) -> np.ndarray:
    """Vertical stripes, half red and half blue, of ``period`` pixels."""
    image = np.zeros((height, width, 3), np.uint8)
    red = (np.arange(width) % period) < period // 2
    image[:, red] = (200, 40, 30)
    image[:, ~red] = (30, 60, 190)
    return image


def checker(size: int = 64, cell: int = 4) -> np.ndarray:
    yy, xx = np.mgrid[0:size, 0:size]
    on = ((yy // cell) + (xx // cell)) % 2 == 0
    image = np.full((size, size, 3), 40, np.uint8)
    image[on] = (220, 210, 90)
    return image


def box(shape: tuple[int, int], y0: int, y1: int, x0: int, x1: int) -> np.ndarray:
    hole = np.zeros(shape, bool)
    hole[y0:y1, x0:x1] = True
    return hole


def hole_error(out: np.ndarray, truth: np.ndarray, hole: np.ndarray) -> float:
    """Mean absolute error inside the hole, grey levels."""
    return float(np.abs(out[hole].astype(np.float64) - truth[hole]).mean())


def test_registered():
    assert "patchmatch" in SPATIAL_FILLERS
    assert SPATIAL_FILLERS.get("patchmatch") is fill_patchmatch


def test_smoke_through_fill_spatial():
    image = stripes()
    hole = box(image.shape[:2], 24, 40, 24, 40)
    out = fill_spatial(image, hole, method="patchmatch")
    assert out.shape == image.shape and out.dtype == np.uint8


def test_fill_spatial_passes_options_through():
    image = checker()
    hole = box(image.shape[:2], 20, 40, 20, 40)
    a = fill_spatial(image, hole, method="patchmatch", patch_size=5, seed=3)
    b = fill_patchmatch(image, hole, patch_size=5, seed=3)
    np.testing.assert_array_equal(a, b)


def test_outside_hole_is_bit_identical():
    rng = np.random.default_rng(3)
    image = rng.integers(0, 256, (48, 56, 3), dtype=np.uint8)
    hole = box(image.shape[:2], 10, 30, 20, 36)
    out = fill_patchmatch(image, hole)
    np.testing.assert_array_equal(out[~hole], image[~hole])
    assert not np.shares_memory(out, image)


def test_input_is_not_modified():
    image = checker()
    before = image.copy()
    fill_patchmatch(image, box(image.shape[:2], 20, 40, 20, 40))
    np.testing.assert_array_equal(image, before)


def test_deterministic_for_a_seed():
    rng = np.random.default_rng(0)
    image = cv2.GaussianBlur(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8), (3, 3), 0)
    hole = box(image.shape[:2], 20, 44, 16, 40)
    a = fill_patchmatch(image, hole, seed=5)
    b = fill_patchmatch(image, hole, seed=5)
    np.testing.assert_array_equal(a, b)


def test_reproduces_stripes_far_better_than_telea():
    image = stripes()
    hole = box(image.shape[:2], 22, 42, 22, 42)
    painted = image.copy()
    painted[hole] = 0
    telea = hole_error(fill_spatial(painted, hole, method="telea"), image, hole)
    ours = hole_error(fill_patchmatch(painted, hole), image, hole)
    assert telea > 30  # the stripes are smeared into a mixture
    assert ours < 0.05 * telea


def test_reproduces_checkerboard_far_better_than_telea():
    image = checker()
    hole = box(image.shape[:2], 18, 42, 20, 44)
    painted = image.copy()
    painted[hole] = 0
    telea = hole_error(fill_spatial(painted, hole, method="telea"), image, hole)
    ours = hole_error(fill_patchmatch(painted, hole), image, hole)
    assert ours < 0.3 * telea


def test_edge_continues_through_the_hole():
    # a diagonal edge (bright below y = x + 8, dark above) with a hole centred on it; diffusion fills
    # (ns, telea) bend it into a bulge, the coarse-to-fine patch search keeps it straight
    size = 128
    yy, xx = np.mgrid[0:size, 0:size]
    expected = yy > xx + 8
    image = np.where(expected[..., None], np.uint8(210), np.uint8(30)).repeat(3, axis=2).astype(np.uint8)
    rng = np.random.default_rng(1)
    image = np.clip(image + rng.normal(0, 4, image.shape), 0, 255).astype(np.uint8)  # a little texture
    hole = box(image.shape[:2], 52, 76, 50, 74)

    def wrong(out):
        return int(((out[..., 0] > 120) != expected)[hole].sum())

    ns = wrong(fill_spatial(image, hole, method="ns"))
    ours = wrong(fill_patchmatch(image, hole))
    assert ns > 0.05 * hole.sum()
    assert ours < 0.01 * hole.sum()


def test_textured_region_stays_textured():
    # fine random texture: a diffusion fill is flat, PatchMatch keeps the texture's contrast
    rng = np.random.default_rng(2)
    image = cv2.resize(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8), (96, 96), interpolation=cv2.INTER_NEAREST)
    hole = box(image.shape[:2], 30, 66, 30, 66)
    painted = image.copy()
    painted[hole] = 0
    truth_std = image[hole].astype(np.float64).std()
    telea_std = fill_spatial(painted, hole, method="telea")[hole].astype(np.float64).std()
    ours_std = fill_patchmatch(painted, hole)[hole].astype(np.float64).std()
    assert ours_std > 0.8 * truth_std
    assert ours_std > 1.5 * telea_std


def test_hole_touching_the_border():
    image = stripes(48, 72)
    hole = box(image.shape[:2], 0, 20, 50, 72)  # top-right corner
    painted = image.copy()
    painted[hole] = 0
    out = fill_patchmatch(painted, hole)
    np.testing.assert_array_equal(out[~hole], image[~hole])
    assert hole_error(out, image, hole) < 0.1 * hole_error(fill_spatial(painted, hole, method="telea"), image, hole)


def test_two_separate_holes_are_both_filled():
    image = stripes(64, 160)
    hole = box(image.shape[:2], 10, 26, 10, 26) | box(image.shape[:2], 36, 54, 120, 140)
    painted = image.copy()
    painted[hole] = 0
    out = fill_patchmatch(painted, hole)
    for part in (box(image.shape[:2], 10, 26, 10, 26), box(image.shape[:2], 36, 54, 120, 140)):
        assert hole_error(out, image, part) < 10


def test_single_pixel_hole():
    image = np.full((32, 32, 3), (10, 120, 230), np.uint8)
    hole = np.zeros((32, 32), bool)
    hole[16, 16] = True
    painted = image.copy()
    painted[16, 16] = 0
    out = fill_patchmatch(painted, hole)
    np.testing.assert_array_equal(out, image)


def test_hole_larger_than_source_falls_back(caplog):
    image = stripes(20, 20)
    hole = np.ones((20, 20), bool)
    hole[:2] = False  # only a 2-pixel strip is known: no 7x7 patch is fully known
    with caplog.at_level(logging.INFO, logger="vinpaint.fill.patchmatch"):
        out = fill_patchmatch(image, hole)
    assert "Navier-Stokes" in caplog.text
    np.testing.assert_array_equal(out[~hole], image[~hole])
    # the diffusion fallback continues the known colours, it does not invent grey
    assert np.abs(out[2:4].astype(int) - image[:2].astype(int)).mean() < 60


def test_image_smaller_than_a_patch():
    image = stripes(5, 5)
    hole = box((5, 5), 2, 3, 2, 3)
    out = fill_patchmatch(image, hole)
    assert out.shape == (5, 5, 3)
    np.testing.assert_array_equal(out[~hole], image[~hole])


def test_empty_and_full_holes():
    image = checker(16)
    np.testing.assert_array_equal(fill_patchmatch(image, np.zeros((16, 16), bool)), image)
    np.testing.assert_array_equal(fill_patchmatch(image, np.ones((16, 16), bool)), np.full_like(image, 128))


@pytest.mark.parametrize(
    ("frame", "hole"),
    [
        (np.zeros((16, 16, 3), np.float32), np.zeros((16, 16), bool)),
        (np.zeros((16, 16), np.uint8), np.zeros((16, 16), bool)),
        (np.zeros((16, 16, 4), np.uint8), np.zeros((16, 16), bool)),
        (np.zeros((16, 16, 3), np.uint8), np.zeros((16, 15), bool)),
        (np.zeros((16, 16, 3), np.uint8), np.zeros((16, 16), np.uint8)),
    ],
)
def test_bad_arrays_raise(frame, hole):
    with pytest.raises(InvalidArrayError):
        fill_patchmatch(frame, hole)


@pytest.mark.parametrize(
    "options",
    [{"patch_size": 6}, {"patch_size": 1}, {"patch_size": 7.0}, {"iterations": 0}, {"search_iterations": 0},
     {"levels": 0}, {"margin": 0}, {"texture_weight": -1.0}, {"gamma": 0.5},
     {"final_vote": "median"}],
)
def test_bad_options_raise(options):
    image = checker(16)
    with pytest.raises(InvalidOptionError):
        fill_patchmatch(image, box((16, 16), 4, 8, 4, 8), **options)


def test_downsample_keeps_known_pixels_clean():
    img = np.arange(5 * 6 * 2, dtype=np.float32).reshape(5, 6, 2)
    hole = np.zeros((5, 6), bool)
    hole[1, 4] = True
    small, small_hole = _downsample(img, hole)
    assert small.shape == (3, 3, 2) and small_hole.shape == (3, 3)
    assert small_hole.tolist() == [[False, False, True], [False, False, False], [False, False, False]]
    np.testing.assert_allclose(small[0, 0], img[0:2, 0:2].mean(axis=(0, 1)))
    np.testing.assert_allclose(small[2, 0], img[4, 0:2].mean(axis=0))  # odd height: edge row repeated


def test_crop_boxes_merge_overlapping_components():
    hole = np.zeros((100, 200), bool)
    hole[10:20, 10:20] = True
    hole[10:20, 28:38] = True  # its box overlaps the first one's
    hole[80:90, 180:190] = True  # far away: a box of its own
    boxes = _crop_boxes(hole, 6, 6)
    assert sorted(boxes) == [(4, 26, 4, 44), (74, 96, 174, 196)]


@pytest.mark.slow
def test_real_frame_is_textured_not_smeared(shared_data):
    from vinpaint.io import read_image

    frame = read_image(sorted((shared_data / "bear" / "frames").iterdir())[20])
    frame = cv2.resize(frame, (432, 240), interpolation=cv2.INTER_AREA)
    hole = box(frame.shape[:2], 150, 210, 250, 340)  # ground texture
    painted = frame.copy()
    painted[hole] = 0

    def sharpness(image):
        grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32)
        grad = np.hypot(cv2.Sobel(grey, cv2.CV_32F, 1, 0), cv2.Sobel(grey, cv2.CV_32F, 0, 1))
        ring = cv2.dilate(hole.astype(np.uint8), np.ones((25, 25), np.uint8)).astype(bool) & ~hole
        return grad[hole].mean() / grad[ring].mean()

    ours = fill_patchmatch(painted, hole)
    telea = fill_spatial(painted, hole, method="telea")
    assert sharpness(ours) > 0.6
    assert sharpness(ours) > 2 * sharpness(telea)
