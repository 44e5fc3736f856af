"""Metrics against hand-computed values on tiny arrays."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from vinpaint.errors import InvalidArrayError, MaskMismatchError
from vinpaint.evaluate.metrics import (
    SUMMARY_KEYS,
    TemporalReference,
    boundary_error,
    evaluate,
    psnr,
    quality_score,
    sharpness_ratio,
    ssim,
    temporal_reference,
    warping_errors,
)
from vinpaint.testing.synthetic import make_texture


def panning(frames: int = 6, height: int = 48, width: int = 64, step: int = 2) -> np.ndarray:
    """A texture moving left by ``step`` pixels a frame: flow (-step, 0)."""
    big = make_texture(height, width + step * frames, seed=3)
    return np.stack([big[:, step * t : step * t + width] for t in range(frames)])


def static(frames: int = 6, height: int = 48, width: int = 64) -> np.ndarray:
    return np.stack([make_texture(height, width, seed=5)] * frames)


def box_masks(frames: int, height: int = 48, width: int = 64) -> np.ndarray:
    masks = np.zeros((frames, height, width), bool)
    masks[:, 14:34, 20:44] = True
    return masks


# --- PSNR / SSIM -------------------------------------------------------------------------------


def test_psnr_of_a_constant_error_is_hand_computed():
    a = np.zeros((4, 5, 3), np.uint8)
    b = np.full((4, 5, 3), 10, np.uint8)
    assert psnr(a, b) == pytest.approx(10 * math.log10(255**2 / 100))


def test_psnr_of_identical_images_is_infinite():
    a = make_texture(8, 8)
    assert psnr(a, a) == math.inf


def test_psnr_inside_a_mask_ignores_pixels_outside_it():
    a = np.zeros((4, 4, 3), np.uint8)
    b = a.copy()
    b[0, 0] = 20  # inside
    b[3, 3] = 200  # outside: ignored
    mask = np.zeros((4, 4), bool)
    mask[:2, :2] = True
    assert psnr(a, b, mask) == pytest.approx(10 * math.log10(255**2 / (400 / 4)))


def test_ssim_of_two_flat_images_is_the_luminance_term():
    a = np.full((20, 20, 3), 100, np.uint8)
    b = np.full((20, 20, 3), 110, np.uint8)
    c1 = (0.01 * 255) ** 2
    expected = (2 * 100 * 110 + c1) / (100**2 + 110**2 + c1)  # variances 0: the contrast term is C2/C2
    assert ssim(a, b) == pytest.approx(expected, rel=1e-9)


def test_ssim_of_identical_images_is_one_and_drops_with_noise():
    a = make_texture(32, 32)
    noisy = np.clip(a.astype(int) + np.random.default_rng(0).integers(-30, 31, a.shape), 0, 255).astype(np.uint8)
    assert ssim(a, a) == pytest.approx(1.0)
    assert ssim(a, noisy) < 0.9


# --- warping error ------------------------------------------------------------------------------


def test_known_shift_gives_the_known_warping_error():
    # frame t+1 is frame t moved 2 px left and 6 levels brighter; with the exact flow (-2, 0), the
    # aligned difference is 6 levels in each channel everywhere it is valid: ewarp sums the three
    # channels, 3 * (6/255)^2; flicker averages them, 6.
    frames = panning(frames=4) // 2  # room for the brightening below
    frames[1:] += np.arange(1, 4, dtype=np.uint8)[:, None, None, None] * 6
    forward = np.zeros((3, 48, 64, 2), np.float32)
    forward[..., 0] = -2
    valid = np.ones((3, 48, 64), bool)
    valid[:, :, :2] = False  # these pixels leave the frame
    squared, absolute = warping_errors(frames, TemporalReference(forward, valid))
    np.testing.assert_allclose(squared, 3 * (6 / 255) ** 2, rtol=1e-9)
    np.testing.assert_allclose(absolute, 6.0, rtol=1e-9)


def test_dis_flow_on_a_pure_shift_recovers_it_and_the_truth_scores_near_zero():
    frames = panning()
    reference = temporal_reference(frames)
    assert np.median(reference.forward[..., 0]) == pytest.approx(-2, abs=0.05)
    report = evaluate(frames, box_masks(len(frames)), truth=frames, reference=reference)
    assert report.ewarp < 1e-5
    assert report.ewarp_hole < 1e-5


def test_identical_static_videos_give_zero_error_and_infinite_psnr():
    frames = static()
    report = evaluate(frames, box_masks(len(frames)), truth=frames)
    assert report.psnr == math.inf and report.psnr_hole == math.inf
    assert report.ssim == pytest.approx(1.0) and report.ssim_hole == pytest.approx(1.0)
    assert report.ewarp == 0 and report.ewarp_hole == 0 and report.flicker_hole == 0
    assert report.changed_outside == 0


def _fill(frames: np.ndarray, masks: np.ndarray, values) -> np.ndarray:
    out = frames.copy()
    for t, value in enumerate(values):
        out[t][masks[t]] = value
    return out


def test_a_flickering_fill_scores_worse_than_a_steady_one():
    frames = static()
    masks = box_masks(len(frames))
    steady = _fill(frames, masks, [120] * len(frames))
    flicker = _fill(frames, masks, [100, 140] * (len(frames) // 2))
    for truth in (frames, None):
        good = evaluate(steady, masks, truth=truth)
        bad = evaluate(flicker, masks, truth=truth)
        assert bad.flicker_hole > good.flicker_hole + 20
        assert bad.ewarp_hole > 10 * max(good.ewarp_hole, 1e-6)
        assert bad.q < good.q


def test_sharpness_of_a_blurred_fill_is_lower_than_of_a_textured_one():
    frames = static(frames=2, height=96, width=128)
    masks = np.zeros((2, 96, 128), bool)
    masks[:, 30:70, 40:90] = True
    blurred = frames.copy()
    smooth = cv2.GaussianBlur(frames[0], (0, 0), 6)
    blurred[:, masks[0]] = smooth[masks[0]]
    textured = sharpness_ratio(frames[0], masks[0])
    assert textured == pytest.approx(1.0, abs=0.25)
    assert sharpness_ratio(blurred[0], masks[0]) < 0.5 * textured


def test_a_seam_raises_the_boundary_error():
    frame = make_texture(96, 128, seed=2)
    hole = np.zeros((96, 128), bool)
    hole[30:70, 40:90] = True
    seamed = frame.copy()
    seamed[hole] = np.clip(frame[hole].astype(int) + 60, 0, 255).astype(np.uint8)
    assert boundary_error(seamed, hole) > boundary_error(frame, hole) + 0.5


def test_changed_outside_counts_pixels_exactly():
    frames = static(frames=3)
    masks = box_masks(3)
    result = frames.copy()
    result[masks] = 0  # inside: not counted
    for t, y, x in ((0, 1, 1), (0, 2, 5), (0, 40, 60), (2, 0, 0), (2, 45, 3), (2, 47, 63), (2, 10, 10)):
        result[t, y, x, t % 3] ^= 1  # one channel of one pixel
    report = evaluate(result, masks, original=frames)
    assert report.changed_outside == 7
    assert report.per_frame["changed_outside"] == [3, 0, 4]


def test_evaluate_grows_the_mask_by_dilate():
    frames = static(frames=2)
    masks = box_masks(2)
    result = frames.copy()
    result[:, 13, 30] = 0  # one pixel above the box: inside the hole once dilated
    assert evaluate(result, masks, original=frames, temporal=False).changed_outside == 2
    assert evaluate(result, masks, original=frames, dilate=2, temporal=False).changed_outside == 0


# --- report ------------------------------------------------------------------------------------------


def test_report_has_every_key_and_per_frame_lists_of_the_right_length():
    frames = panning(frames=5)
    masks = box_masks(5)
    data = evaluate(frames, masks, truth=frames).to_dict()
    for key in (*SUMMARY_KEYS, "frames", "per_frame"):
        assert key in data
    assert data["frames"] == 5
    assert len(data["per_frame"]["psnr"]) == 5 and len(data["per_frame"]["sharpness"]) == 5
    assert len(data["per_frame"]["ewarp_hole"]) == 4


def test_without_truth_the_with_truth_metrics_are_none():
    frames = panning(frames=4)
    report = evaluate(frames, box_masks(4))
    assert report.psnr is None and report.ssim_hole is None and report.changed_outside is None
    assert report.flow_source == "result"
    assert report.ewarp_hole is not None and report.q is not None


def test_frames_without_a_hole_are_left_out_of_the_hole_averages():
    frames = static(frames=3)
    masks = box_masks(3)
    masks[1] = False
    result = _fill(frames, masks, [100, 0, 100])
    report = evaluate(result, masks, truth=frames, temporal=False)
    assert report.per_frame["psnr_hole"][1] is None
    assert report.psnr_hole == pytest.approx(report.per_frame["psnr_hole"][0])
    assert report.psnr == pytest.approx(np.mean([report.per_frame["psnr"][0], report.per_frame["psnr"][2]]))


def test_quality_score_is_100_for_a_perfect_fill_and_renormalises_missing_terms():
    assert quality_score(flicker_hole=0, sharpness=1, boundary=1, outside_fraction=0) == pytest.approx(100)
    only_sharpness = quality_score(flicker_hole=None, sharpness=0.5, boundary=None, outside_fraction=None)
    assert only_sharpness == pytest.approx(50)


def test_mismatched_truth_is_an_error():
    frames = static(frames=3)
    with pytest.raises(InvalidArrayError, match="truth"):
        evaluate(frames, box_masks(3), truth=frames[:2])


def test_mask_count_mismatch_is_an_error():
    frames = static(frames=3)
    with pytest.raises(MaskMismatchError, match="2 frames"):
        evaluate(frames, box_masks(2))
