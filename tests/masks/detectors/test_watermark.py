"""Static overlays: median gradients, their integration, and masks on synthetic and real clips."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from vinpaint.errors import InvalidOptionError
from vinpaint.io import write_png
from vinpaint.masks import MASK_SOURCES
from vinpaint.masks.detectors.watermark import (
    STATIC_SCENE_SHARE,
    find_watermark,
    gradient_statistics,
    integrate_gradients,
    median_gradients,
    sample_frames,
    static_scene_share,
    temporal_damping,
    watermark_masks,
)
from vinpaint.testing.overlays import (
    largest_false_region,
    logo_alpha,
    overlay,
    timestamp_alpha,
    watermarked_clip,
)
from vinpaint.testing.synthetic import make_panning_clip


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max((a | b).sum(), 1))


@pytest.fixture(scope="module")
def panning():
    return make_panning_clip(frames=24, height=96, width=160, object_size=20)


# -- tests -----------------------------------------------------------------------------------------

def test_finds_logo_and_timestamp_on_synthetic_clip(panning):
    frames, truth = watermarked_clip(panning.frames)
    found = find_watermark(frames)
    assert found.shape == truth.shape and found.dtype == bool
    assert iou(found, truth) >= 0.8


def test_clip_without_overlay_gives_empty_mask(panning):
    assert find_watermark(panning.frames).sum() == 0


def test_median_gradients_keep_the_constant_edge():
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 256, (9, 8, 10, 3), dtype=np.uint8)
    frames[:, 3, 4] = 40
    frames[:, 3, 5] = 200  # the same edge of +160 in every frame
    gx, gy = median_gradients(frames)
    assert gx.shape == (8, 10, 3) and gx.dtype == np.float32
    np.testing.assert_array_equal(gx[3, 4], [160, 160, 160])
    assert np.all(gx[:, -1] == 0) and np.all(gy[-1] == 0)


def test_integrate_gradients_recovers_the_image():
    yy, xx = np.mgrid[0:40, 0:50]
    image = 100 * np.exp(-((xx - 25) ** 2 + (yy - 20) ** 2) / 40.0)
    gx = np.zeros_like(image)
    gy = np.zeros_like(image)
    gx[:, :-1] = image[:, 1:] - image[:, :-1]
    gy[:-1] = image[1:] - image[:-1]
    # The zero boundary sits one pixel outside the image: the last differences run against it.
    gx[:, -1] = -image[:, -1]
    gy[-1] = -image[-1]
    np.testing.assert_allclose(integrate_gradients(gx, gy), image, atol=0.01)


def test_registered_source_repeats_one_mask(panning):
    frames, _ = watermarked_clip(panning.frames)
    masks = MASK_SOURCES.get("watermark")(frames)
    assert masks.shape == frames.shape[:3]
    assert masks.any() and all(np.array_equal(m, masks[0]) for m in masks)
    assert np.array_equal(masks, watermark_masks(frames))


def test_too_few_frames_is_a_clear_error(panning):
    with pytest.raises(InvalidOptionError, match="at least 3 frames"):
        find_watermark(panning.frames[:2])


def test_sample_frames_spreads_over_the_clip(tmp_path, panning):
    for index, frame in enumerate(panning.frames[:10]):
        write_png(tmp_path / f"{index:05d}.png", frame)
    frames, indices = sample_frames(tmp_path, 4)
    assert indices.tolist() == [0, 3, 6, 9]
    np.testing.assert_array_equal(frames[2], panning.frames[6])


@pytest.mark.slow
@pytest.mark.parametrize("clip", ["bear", "tennis", "bmx-trees"])
def test_finds_logo_and_timestamp_on_real_clips(shared_data, clip):
    frames, _ = sample_frames(shared_data / clip / "frames", 48)
    marked, _ = watermarked_clip(frames)
    h, w = frames.shape[1:3]
    logo = logo_alpha(h, w, x=w - 80, y=16) > 0.1
    stamp = timestamp_alpha(h, w, x=12, y=h - 14) > 0.1
    found = find_watermark(marked)
    near = np.zeros_like(found)
    near[h // 2 :] = True  # the timestamp's half of the frame
    assert iou(found & ~near, logo) >= 0.8
    assert iou(found & near, stamp) >= 0.8
    assert iou(found, logo | stamp) >= 0.8


# -- static shots: the overlay's own cue (it varies less than the scene under it) -------------------

def still_clip(frames: int = 32, height: int = 120, width: int = 200) -> np.ndarray:
    """A static camera on a still, sharp scene (blocks and lines: constant edges everywhere) with sensor
    noise (sigma 2 grey levels) and one person-sized box walking across."""
    rng = np.random.default_rng(3)
    scene = np.repeat(np.repeat(rng.integers(40, 220, (height // 8, width // 8, 3)), 8, 0), 8, 1).astype(np.float32)
    cv2.line(scene, (0, height // 2), (width, height // 3), (250, 250, 250), 2)
    clip = np.empty((frames, height, width, 3), np.uint8)
    for t in range(frames):
        frame = scene + rng.normal(0, 2, scene.shape)
        x = 20 + 4 * t
        frame[40:100, x : x + 20] = (200, 60, 60)
        clip[t] = np.clip(np.rint(frame), 0, 255).astype(np.uint8)
    return clip


def test_static_shot_finds_overlays_and_no_scene_edge():
    frames = still_clip()
    h, w = frames.shape[1:3]
    logo = logo_alpha(h, w, x=w - 48, y=4, size=44)
    stamp = timestamp_alpha(h, w, x=4, y=h - 6, text="12:34:56", scale=0.45)
    marked = overlay(overlay(frames, logo, (255, 255, 255), 0.5), stamp, (255, 255, 0), 1.0)
    truth = (logo > 0.1) | (stamp > 0.1)
    found = find_watermark(marked)
    assert iou(found, truth) >= 0.8
    assert largest_false_region(found, truth) <= 0.001 * h * w


def test_static_shot_without_overlay_gives_empty_mask():
    assert find_watermark(still_clip()).sum() == 0


def test_temporal_damping_is_one_minus_opacity():
    frames = still_clip()
    h, w = frames.shape[1:3]
    square = np.zeros((h, w), np.float32)
    square[10:30, 10:30] = 1
    ratio, measurable, _ = temporal_damping(overlay(frames, square, (255, 255, 255), 0.6))
    assert ratio.shape == (h, w) and measurable[15:25, 15:25].all()
    assert abs(float(np.median(ratio[15:25, 15:25])) - 0.4) < 0.1
    assert abs(float(np.median(ratio[102:118, 60:180])) - 1.0) < 0.15  # below the walker


def test_static_scene_share_tells_a_static_shot_from_a_pan(panning):
    for frames, static in ((still_clip(), True), (panning.frames, False)):
        gx, gy, typical = gradient_statistics(frames)
        consistency = np.sqrt((gx**2 + gy**2).sum(-1)) / np.maximum(typical, 1.0)
        assert (static_scene_share(consistency, typical) >= STATIC_SCENE_SHARE) == static


@pytest.mark.slow
def test_static_camera_real_clip(shared_data):
    """schoolgirls: a static camera, three girls moving; a half-transparent logo and a timestamp."""
    frames, _ = sample_frames(shared_data / "schoolgirls" / "frames", 48)
    marked, truth = watermarked_clip(frames)
    found = find_watermark(marked)
    h, w = truth.shape
    assert iou(found, truth) >= 0.8
    assert largest_false_region(found, truth) <= 0.001 * h * w
