"""Painted reference frames (``references=`` / ``--reference FRAME:IMAGE``): a clean frame carried to the others."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

import vinpaint
from vinpaint.cli import main
from vinpaint.errors import InputNotFoundError, InvalidOptionError
from vinpaint.evaluate.metrics import psnr
from vinpaint.io import open_video, write_png
from vinpaint.pipeline import RemoveOptions
from vinpaint.testing.synthetic import make_texture


def _static_case(frames: int = 10, height: int = 48, width: int = 64):
    """A static textured shot with sensor noise (sigma 2) and a static object over its middle: the hole is never revealed.

    Returns ``(frames, masks, truth)``; ``truth`` is each frame without the object.
    """
    rng = np.random.default_rng(3)
    texture = make_texture(height, width, seed=5).astype(np.float32)
    truth = np.clip(texture + rng.normal(0, 2, (frames, height, width, 3)), 0, 255).round().astype(np.uint8)
    masks = np.zeros((frames, height, width), bool)
    masks[:, 16:34, 22:42] = True
    clip = truth.copy()
    clip[masks] = (230, 60, 40)
    return clip, masks, truth


def _hole_psnr(result, truth, masks) -> float:
    return float(np.mean([psnr(r, t, m) for r, t, m in zip(result[1:], truth[1:], masks[1:])]))


def test_reference_frame_raises_the_hole_psnr_of_the_other_frames_by_6_db():
    clip, masks, truth = _static_case()
    default = _hole_psnr(vinpaint.remove(clip, masks, dilate=0), truth, masks)
    referenced = _hole_psnr(vinpaint.remove(clip, masks, dilate=0, references={0: truth[0]}), truth, masks)
    # measured: 21.2 dB with the default engine, 31.0 dB with frame 0's clean version (+9.9 dB)
    assert referenced >= default + 6, (default, referenced)


def test_reference_frame_is_that_frames_fill_and_the_rest_stays_the_input():
    clip, masks, truth = _static_case(frames=4)
    out = vinpaint.remove(clip, masks, dilate=0, references={2: truth[2]})
    np.testing.assert_array_equal(out[2], truth[2])
    np.testing.assert_array_equal(out[~masks], clip[~masks])


def test_reference_of_the_wrong_size_is_refused():
    clip, masks, truth = _static_case(frames=3)
    with pytest.raises(InvalidOptionError, match=r"reference of frame 1 is 32x48, the video is 64x48"):
        vinpaint.remove(clip, masks, references={1: truth[1][:, :32].copy()})


def test_reference_beyond_the_clip_is_refused():
    clip, masks, truth = _static_case(frames=3)
    with pytest.raises(InvalidOptionError, match=r"reference frame 7 is outside the clip, which has 3 frames"):
        vinpaint.remove(clip, masks, references={7: truth[0]})


def test_missing_reference_file_is_refused(tmp_path):
    with pytest.raises(InputNotFoundError, match="reference image of frame 0 not found"):
        RemoveOptions(references={0: tmp_path / "nothing.png"})


def _folder(folder, images):
    folder.mkdir()
    for index, image in enumerate(images):
        write_png(folder / f"{index:05d}.png", image)
    return folder


def test_reference_flag_from_the_cli(tmp_path):
    clip, masks, truth = _static_case(frames=4)
    write_png(tmp_path / "clean.png", truth[1])
    args = ["remove", _folder(tmp_path / "in", clip), "--mask", _folder(tmp_path / "m", masks), "-o", tmp_path / "out",
            "--dilate", "0", "--reference", f"1:{tmp_path / 'clean.png'}"]
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    np.testing.assert_array_equal(open_video(tmp_path / "out").read_all()[1], truth[1])


def test_malformed_reference_flag_exits_2(tmp_path):
    clip, masks, _ = _static_case(frames=2)
    args = ["remove", _folder(tmp_path / "in", clip), "--mask", _folder(tmp_path / "m", masks), "-o", tmp_path / "out",
            "--reference", "clean.png"]
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == 2 and "is not FRAME:IMAGE" in result.output
