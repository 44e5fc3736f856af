"""Shot cuts: the detector, cut files, and that nothing is filled or tracked across a cut."""

from __future__ import annotations

import logging
from pathlib import Path

import cv2
import numpy as np
import pytest

from vinpaint import pipeline
from vinpaint.errors import InputNotFoundError, InvalidOptionError
from vinpaint.io.shots import CutDetector, cuts_for_option, detect_cuts, mark_shot_starts, read_cuts, shot_spans
from vinpaint.masks.track.tracker import track_masks
from vinpaint.pipeline import RemoveOptions, remove
from vinpaint.testing.synthetic import make_panning_clip


def tinted_shot(channel: int, frames: int, *, seed: int, height: int = 48, width: int = 64) -> np.ndarray:
    """A panning texture in one colour channel only (0 red, 2 blue): ``(frames,H,W,3)`` uint8."""
    background = make_panning_clip(frames=frames, height=height, width=width, seed=seed).background
    shot = np.zeros_like(background)
    shot[..., channel] = 80 + background.mean(axis=3).astype(np.uint8) // 2
    return shot


def several_shots(lengths: list[int]) -> tuple[np.ndarray, list[int]]:
    """Shots of alternating colour and texture joined by hard cuts, and the cut frames."""
    shots = [tinted_shot(number % 3, length, seed=number) for number, length in enumerate(lengths)]
    return np.concatenate(shots), [int(cut) for cut in np.cumsum(lengths)[:-1]]


def test_detector_finds_every_cut_and_no_other():
    frames, cuts = several_shots([12, 10, 14, 9, 11, 12])
    assert detect_cuts(frames) == cuts


def test_detector_finds_no_cut_in_one_panning_shot():
    frames = make_panning_clip(frames=30, height=48, width=64, pan=(4.0, 1.0)).frames
    assert detect_cuts(frames) == []


def test_streaming_marks_equal_detected_cuts():
    frames, cuts = several_shots([10, 12, 9])
    marks = [starts for _, starts in mark_shot_starts(iter(frames))]
    assert len(marks) == len(frames)
    assert [index for index, starts in enumerate(marks) if starts] == cuts


def test_detector_rejects_bad_settings():
    with pytest.raises(InvalidOptionError):
        CutDetector(threshold=0.5)


def test_shot_spans_cover_the_clip():
    assert shot_spans([5, 12], 20) == [(0, 5), (5, 12), (12, 20)]
    assert shot_spans([], 7) == [(0, 7)]


def test_cuts_file_is_read(tmp_path: Path):
    path = tmp_path / "cuts.txt"
    path.write_text("# cuts from the editor\n30, 75\n120\n")
    assert read_cuts(path) == [30, 75, 120]
    assert cuts_for_option(str(path)) == [30, 75, 120]
    assert cuts_for_option("none") == []
    assert cuts_for_option("auto") is None


def test_cuts_file_errors(tmp_path: Path):
    with pytest.raises(InputNotFoundError):
        read_cuts(tmp_path / "missing.txt")
    bad = tmp_path / "bad.txt"
    bad.write_text("30\n00:01:02\n")
    with pytest.raises(InvalidOptionError, match="line 2"):
        read_cuts(bad)
    beyond = tmp_path / "beyond.txt"
    beyond.write_text("50\n")
    with pytest.raises(InvalidOptionError, match="40 frames"):
        cuts_for_option(str(beyond), frame_count=40)


def two_shot_clip() -> tuple[np.ndarray, np.ndarray, int]:
    """A red shot then a blue one; one box masked over every frame of both (never shown in the red shot)."""
    red, blue = tinted_shot(0, 14, seed=1), tinted_shot(2, 14, seed=2)
    frames = np.concatenate([red, blue])
    masks = np.zeros(frames.shape[:3], bool)
    masks[:, 14:34, 20:44] = True
    return frames, masks, len(red)


def test_no_window_spans_a_cut(monkeypatch):
    frames, masks, _ = two_shot_clip()
    seen = []
    original = pipeline._fill_window

    def spy(engine, options, context, pending, count, **kwargs):
        window = np.stack(context + [frame for frame, _ in pending])
        seen.append((window[..., 0].max() > 0, window[..., 2].max() > 0))  # red shown, blue shown
        return original(engine, options, context, pending, count, **kwargs)

    monkeypatch.setattr(pipeline, "_fill_window", spy)
    remove(frames, masks, RemoveOptions(engine="perframe", window=8, context=4))
    assert len(seen) >= 2
    assert all(red != blue for red, blue in seen)


def test_no_pixel_of_one_shot_reaches_the_others_fill():
    frames, masks, cut = two_shot_clip()
    result = remove(frames, masks, RemoveOptions(window=40, context=8, dilate=0))
    hole = masks[0]
    assert result[:cut][:, hole][..., 2].max() == 0  # the red shot's fill holds no blue
    assert result[cut:][:, hole][..., 0].max() == 0  # the blue shot's fill holds no red
    assert (result[:, ~hole] == frames[:, ~hole]).all()


def test_cuts_none_fills_as_one_shot(monkeypatch):
    frames, masks, _ = two_shot_clip()
    calls = []
    original = pipeline._fill_window
    monkeypatch.setattr(pipeline, "_fill_window", lambda *args, **kwargs: calls.append(1) or original(*args, **kwargs))
    remove(frames, masks, RemoveOptions(engine="perframe", window=40, context=4, shots="none"))
    assert len(calls) == 1


def test_tracking_never_crosses_a_cut(caplog):
    frames, _, cut = two_shot_clip()
    init = np.zeros(frames.shape[1:3], bool)
    init[16:30, 22:40] = True
    with caplog.at_level(logging.WARNING, logger="vinpaint.masks.track.tracker"):
        tracked = track_masks(frames, {cut - 3: init})
    assert tracked[:cut].any()
    assert not tracked[cut:].any()
    assert f"frames {cut}-{len(frames) - 1}" in caplog.text


def test_tracking_starts_each_shot_from_its_own_keyframe():
    frames, _, cut = two_shot_clip()
    first, second = np.zeros(frames.shape[1:3], bool), np.zeros(frames.shape[1:3], bool)
    first[5:15, 5:15] = True
    second[30:44, 40:60] = True
    tracked = track_masks(frames, {2: first, cut + 2: second})
    assert tracked[:cut, 30:44, 50:60].sum() == 0
    assert tracked[cut:, 5:10, 5:10].sum() == 0
    assert tracked[cut:, 32:42, 45:55].any()


# -- real clips -------------------------------------------------------------------------------------------

def _real(shared_data: Path, name: str, start: int, count: int) -> np.ndarray:
    files = sorted((shared_data / name / "frames").iterdir())[start:start + count]
    return np.stack([cv2.resize(cv2.cvtColor(cv2.imread(str(file)), cv2.COLOR_BGR2RGB), (432, 240),
                                interpolation=cv2.INTER_AREA) for file in files])


@pytest.mark.slow
def test_detector_finds_the_five_cuts_of_a_real_edit(shared_data: Path):
    parts = [_real(shared_data, "bear", 0, 20), _real(shared_data, "bmx-trees", 10, 20), _real(shared_data, "tennis", 0, 20),
             _real(shared_data, "schoolgirls", 0, 20), _real(shared_data, "paragliding", 0, 20),
             _real(shared_data, "judo", 0, 16)]
    cuts = [int(cut) for cut in np.cumsum([len(part) for part in parts])[:-1]]
    assert detect_cuts(np.concatenate(parts)) == cuts


@pytest.mark.slow
@pytest.mark.parametrize("name", ["bmx-trees", "tennis", "bear"])
def test_detector_finds_no_cut_in_a_real_shot(shared_data: Path, name: str):
    assert detect_cuts(_real(shared_data, name, 0, 70)) == []


@pytest.mark.slow
def test_real_cut_keeps_each_shots_fill_its_own(shared_data: Path):
    bear, girls = _real(shared_data, "bear", 0, 20), _real(shared_data, "schoolgirls", 0, 20)
    frames = np.concatenate([bear, girls])
    masks = np.zeros(frames.shape[:3], bool)
    masks[:, 80:160, 150:280] = True
    reference_bear = remove(bear, masks[:20], RemoveOptions(dilate=0, shots="none"))
    reference_girls = remove(girls, masks[20:], RemoveOptions(dilate=0, shots="none"))
    result = remove(frames, masks, RemoveOptions(dilate=0))
    # each shot filled as if the other did not exist: nothing of one reaches the other's fill
    assert np.array_equal(result[:20], reference_bear)
    assert np.array_equal(result[20:], reference_girls)


@pytest.mark.slow
def test_real_bear_mask_is_not_tracked_into_the_next_shot(shared_data: Path):
    bear, girls = _real(shared_data, "bear", 0, 30), _real(shared_data, "schoolgirls", 0, 30)
    frames = np.concatenate([bear, girls])
    init = np.zeros(frames.shape[1:3], bool)
    init[90:200, 120:300] = True  # roughly the bear
    tracked = track_masks(frames, {27: init})
    assert tracked[:30].any()
    assert not tracked[30:].any()
