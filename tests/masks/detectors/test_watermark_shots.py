"""The watermark detector never averages across a shot cut: each shot's overlay from its own frames."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from vinpaint.cli import main
from vinpaint.io import open_masks, open_video, write_png
from vinpaint.masks import MASK_SOURCES
from vinpaint.masks.detectors.watermark import (
    find_watermark,
    find_watermark_by_shot,
    find_watermark_in_file,
)
from vinpaint.pipeline import RemoveOptions
from vinpaint.recipes import remove_watermark
from vinpaint.testing.overlays import logo_alpha, overlay
from vinpaint.testing.synthetic import make_panning_clip

HEIGHT, WIDTH = 96, 160
LOGO = logo_alpha(HEIGHT, WIDTH, x=WIDTH - 48, y=4, size=44)
TRUTH = LOGO > 0.1


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max((a | b).sum(), 1))


def two_shots(first: int, second: int, *, logo_in_first: bool = False) -> np.ndarray:
    """``first`` frames of one panning texture, a hard cut, ``second`` frames of another (bluer, panning the
    other way) with a half-transparent white logo on it (and on the first shot too with ``logo_in_first``)."""
    a = make_panning_clip(frames=first, height=HEIGHT, width=WIDTH, object_size=20, seed=0).frames
    b = make_panning_clip(frames=second, height=HEIGHT, width=WIDTH, object_size=20, seed=5, pan=(-1.5, 1.0)).frames
    b = (b.astype(np.float32) * np.float32([0.5, 0.8, 1.2]) + np.float32([0, 20, 0])).clip(0, 255).astype(np.uint8)
    if logo_in_first:
        a = overlay(a, LOGO, (255, 255, 255), 0.5)
    return np.concatenate([a, overlay(b, LOGO, (255, 255, 255), 0.5)])


def write_clip(folder: Path, frames: np.ndarray) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for index, frame in enumerate(frames):
        write_png(folder / f"{index:05d}.png", frame)
    return folder


@pytest.mark.parametrize("first, second", [(12, 36), (24, 24)])
def test_a_logo_in_the_second_shot_only_is_masked_there_and_nowhere_else(tmp_path, first, second):
    clip = two_shots(first, second)
    whole = find_watermark(clip)  # one median over both shots, as before
    if first == 12:
        assert iou(whole, TRUTH) > 0.9  # the logo in 36 frames of 48: found, and so masked in the first shot too
    else:
        assert not whole.any()  # in 24 of 48: not found at all
    shot_one, shot_two = find_watermark_by_shot(write_clip(tmp_path / "in", clip))
    assert (shot_one.first, shot_one.stop, shot_two.first, shot_two.stop) == (0, first, first, first + second)
    assert not shot_one.mask.any()
    assert iou(shot_two.mask, TRUTH) > 0.9


def test_a_logo_over_the_whole_clip_is_found_in_every_shot(tmp_path):
    overlays = find_watermark_by_shot(write_clip(tmp_path / "in", two_shots(24, 24, logo_in_first=True)))
    assert len(overlays) == 2
    assert all(iou(found.mask, TRUTH) > 0.9 for found in overlays)


def test_the_shots_option_is_honoured(tmp_path):
    source = write_clip(tmp_path / "in", two_shots(24, 24))
    cuts = tmp_path / "cuts.txt"
    cuts.write_text("24\n")
    from_file = find_watermark_by_shot(source, shots=str(cuts))
    assert [(found.first, found.stop) for found in from_file] == [(0, 24), (24, 48)]
    assert iou(from_file[1].mask, TRUTH) > 0.9
    [one_shot] = find_watermark_by_shot(source, shots="none")  # the whole clip as one shot, as asked
    assert (one_shot.first, one_shot.stop) == (0, 48)


def test_a_clip_of_one_shot_gets_the_mask_it_got_before(tmp_path):
    source = write_clip(tmp_path / "in", overlay(make_panning_clip(frames=30, height=HEIGHT, width=WIDTH).frames,
                                                 LOGO, (255, 255, 255), 0.5))
    [only] = find_watermark_by_shot(source, samples=16)
    assert (only.first, only.stop) == (0, 30)
    np.testing.assert_array_equal(only.mask, find_watermark_in_file(source, samples=16))


def test_the_registered_source_finds_each_shots_overlay(tmp_path):
    masks = MASK_SOURCES.get("watermark")(two_shots(12, 36))
    assert not masks[:12].any()
    assert all(iou(mask, TRUTH) > 0.9 for mask in masks[12:])


def test_removal_leaves_the_shot_without_the_logo_untouched(tmp_path):
    clip = two_shots(12, 36)
    result = remove_watermark(write_clip(tmp_path / "in", clip), tmp_path / "out", RemoveOptions(shots="auto"))
    out = open_video(result.output).read_all()
    np.testing.assert_array_equal(out[:12], clip[:12])
    assert np.abs(out[12:, TRUTH].astype(int) - clip[12:, TRUTH]).mean() > 10  # the logo was filled
    assert result.masked_frames == 36


def test_mask_watermark_writes_each_shots_overlay(tmp_path):
    source = write_clip(tmp_path / "in", two_shots(12, 36))
    result = CliRunner().invoke(main, ["mask", "watermark", str(source), "-o", str(tmp_path / "m")])
    assert result.exit_code == 0, result.output
    assert "frames 0-11: overlay: 0 pixels" in result.output
    masks = open_masks(tmp_path / "m", 48, HEIGHT, WIDTH).read_all()
    assert not masks[:12].any()
    assert all(iou(mask, TRUTH) > 0.9 for mask in masks[12:])
