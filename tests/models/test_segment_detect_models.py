"""``vinpaint mask click --model`` and ``vinpaint mask detect`` end to end, with real ONNX Runtime on tiny models."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")

from vinpaint.testing.synthetic import make_panning_clip, make_texture  # noqa: E402

from .conftest import read_masks_back, run_cli, write_folder  # noqa: E402
from .tiny_models import box_detector_model, disc_segmenter_models  # noqa: E402


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max((a | b).sum(), 1))


def _moving_disc_clip(frames: int = 8, height: int = 48, width: int = 64, radius: int = 8):
    """A flat orange disc moving (2, 1) px a frame over a still texture; returns ``(frames, masks)``."""
    texture = make_texture(height, width, seed=2)
    ys, xs = np.mgrid[0:height, 0:width]
    clip = np.repeat(texture[None], frames, axis=0)
    masks = np.zeros((frames, height, width), bool)
    for t in range(frames):
        masks[t] = (xs - (20 + 2 * t)) ** 2 + (ys - (20 + t)) ** 2 <= radius ** 2
        clip[t][masks[t]] = (240, 120, 20)
    return clip, masks


def test_segmenter_disc_around_the_click(tmp_path, models_folder):
    clip, truth = _moving_disc_clip()
    encoder, _ = disc_segmenter_models(models_folder, radius=8)
    result = run_cli("mask", "click", write_folder(tmp_path / "in", clip), "--point", "0:20,20", "--model", encoder,
                     "--no-track", "-o", tmp_path / "m")
    assert result.exit_code == 0, result.output
    masks = read_masks_back(tmp_path / "m", truth.shape)
    ys, xs = np.mgrid[0:48, 0:64]
    np.testing.assert_array_equal(masks[0], (xs - 20) ** 2 + (ys - 20) ** 2 < 64)  # logits > 0: strictly inside
    assert not masks[1:].any()


def test_segmenter_disc_is_tracked(tmp_path, models_folder):
    clip, truth = _moving_disc_clip()
    encoder, _ = disc_segmenter_models(models_folder, radius=8)
    result = run_cli("mask", "click", write_folder(tmp_path / "in", clip), "--point", "0:20,20", "--model", encoder,
                     "-o", tmp_path / "m", "-q")
    assert result.exit_code == 0, result.output
    masks = read_masks_back(tmp_path / "m", truth.shape)
    ious = [_iou(m, t) for m, t in zip(masks, truth)]
    assert min(ious) >= 0.7, ious  # the last frame's disc is 14 px from where it was clicked


def _square_clip():
    """A 12 px square moving (2, 1) px a frame over a panning texture; on frame 0 its box is (12, 14, 12, 12)."""
    return make_panning_clip(frames=8, height=48, width=64, object_size=12, object_speed=(2.0, 1.0))


def test_detector_box_becomes_a_tracked_mask(tmp_path, models_folder):
    clip = _square_clip()
    # in the 64x64 letterboxed input the 64x48 frame lies 8 px down: the square's centre is (18, 28)
    model = box_detector_model(models_folder / "yolo.onnx", [
        (18, 28, 12, 12, 0, 0.9),   # the person
        (19, 28, 12, 12, 0, 0.8),   # a weaker overlapping box of the same object: suppressed
        (50, 40, 10, 10, 1, 0.95),  # a car, not asked for
    ])
    result = run_cli("mask", "detect", write_folder(tmp_path / "in", clip.frames), "--model", model, "--classes", "person",
                     "--every", "100", "--refine", "box", "-o", tmp_path / "m", "-q")
    assert result.exit_code == 0, result.output
    masks = read_masks_back(tmp_path / "m", clip.masks.shape)
    np.testing.assert_array_equal(masks[0], clip.masks[0])
    ious = [_iou(m, t) for m, t in zip(masks, clip.masks)]
    assert min(ious) >= 0.7, ious  # the last frame's square is 16 px from frame 0's


def test_detector_unknown_class_exits_2(tmp_path, models_folder):
    clip = _square_clip()
    model = box_detector_model(models_folder / "yolo.onnx", [(18, 28, 12, 12, 0, 0.9)])
    result = run_cli("mask", "detect", write_folder(tmp_path / "in", clip.frames), "--model", model, "--classes", "dog",
                     "-o", tmp_path / "m")
    assert result.exit_code == 2 and "class 'dog' is not one of the model's classes (person, car)" in result.output
