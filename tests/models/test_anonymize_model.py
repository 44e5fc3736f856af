"""``vinpaint anonymize --detector``: any class a YOLO-style ONNX detector finds is hidden, with real ONNX Runtime."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from vinpaint.errors import InvalidOptionError, MissingDependencyError
from vinpaint.masks.boxes import render_boxes
from vinpaint.recipes import anonymize, blur_inside
from vinpaint.testing.synthetic import make_texture

pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")

from .conftest import read_frames_back, run_cli, write_folder  # noqa: E402
from .tiny_models import box_detector_model  # noqa: E402

# in the 64x64 letterboxed input the 64x48 frame lies 8 px down: input box centre (30, 28) is frame (30, 20)
FRAME_BOX = (22.0, 14.0, 16.0, 12.0)  # x, y, w, h in frame pixels


def _textured_clip(frames: int = 6) -> np.ndarray:
    texture = make_texture(48, 64, seed=5)
    return np.stack([np.roll(texture, t, axis=1) for t in range(frames)])


def _detector(folder):
    return box_detector_model(folder / "yolo.onnx", [(30, 28, 16, 12, 0, 0.9),   # a person
                                                      (50, 44, 10, 10, 1, 0.95)])  # a car, not asked for


def test_detector_box_is_blurred_and_the_rest_is_untouched(tmp_path, models_folder):
    clip = _textured_clip()
    result = run_cli("anonymize", write_folder(tmp_path / "in", clip), "--detector", _detector(models_folder),
                     "--classes", "person", "--strength", "3", "-o", tmp_path / "out", "-q")
    assert result.exit_code == 0, result.output
    out = read_frames_back(tmp_path / "out")
    assert out.shape == clip.shape
    hidden = render_boxes(np.array([FRAME_BOX]), (48, 64), margin=0.1, shape="rect")
    box = render_boxes(np.array([FRAME_BOX]), (48, 64), margin=0.0, shape="rect")
    for t in range(len(clip)):
        np.testing.assert_array_equal(out[t][~hidden], clip[t][~hidden])
        np.testing.assert_array_equal(out[t], blur_inside(clip[t], hidden, 3.0))  # the box's rectangle, blurred
        assert np.abs(out[t][box].astype(float) - clip[t][box]).mean() > 5  # and the texture there is gone (~10 measured)


def test_library_anonymize_with_detector_only(tmp_path, models_folder):
    clip = _textured_clip(3)
    masks = tmp_path / "masks"
    result = anonymize(write_folder(tmp_path / "in", clip), tmp_path / "out", faces=False,
                       detector=_detector(models_folder), classes=["car"], method="pixelate", save_masks=masks)
    assert result.masked_frames == 3
    out = read_frames_back(tmp_path / "out")
    car = render_boxes(np.array([(45.0, 31.0, 10.0, 10.0)]), (48, 64), margin=0.1, shape="rect")
    np.testing.assert_array_equal(out[:, ~car], clip[:, ~car])
    assert (out[:, car] != clip[:, car]).any()


def test_unknown_class_names_the_known_ones(tmp_path, models_folder):
    with pytest.raises(InvalidOptionError, match="person, car"):
        anonymize(write_folder(tmp_path / "in", _textured_clip(2)), tmp_path / "out", faces=False,
                  detector=_detector(models_folder), classes=["dog"])


def test_classes_without_a_detector_are_refused(tmp_path):
    with pytest.raises(InvalidOptionError, match="detector"):
        anonymize(write_folder(tmp_path / "in", _textured_clip(2)), tmp_path / "out", classes=["person"])


def test_without_onnxruntime_says_what_to_install(tmp_path, models_folder, monkeypatch):
    model = _detector(models_folder)
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    with pytest.raises(MissingDependencyError, match="vinpaint\\[onnx\\]"):
        anonymize(write_folder(tmp_path / "in", _textured_clip(2)), tmp_path / "out", faces=False, detector=model,
                  classes=["person"])
    assert not (tmp_path / "out").exists()
