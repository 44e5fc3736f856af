"""Mask quality report (vinpaint.masks.report), the tracker's unsure frames, and their CLI: report.json, preview marks, --work-size."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from click.testing import CliRunner

from vinpaint.cli import main
from vinpaint.errors import InvalidArrayError, OutputError
from vinpaint.io import open_masks, open_video, write_png
from vinpaint.masks.preview import mark_frames
from vinpaint.masks.report import (
    JUMP,
    MaskReport,
    mask_quality_report,
    read_mask_report,
    unsure_frames,
    write_mask_report,
)
from vinpaint.masks.track import TrackConfidence, track_masks, track_objects
from vinpaint.masks.track.confidence import UNSURE_BELOW, StepNote, step_confidence


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def square_clip(kind: str = "clean", t: int = 12, h: int = 64, w: int = 96):
    """A red 16x16 square moving 2 px a frame right over a panning grey texture.

    ``kind``: "clean"; "vanish" (gone from frame 6 on); "teleport" (jumps to the far corner at frame 6).
    Returns frames ``(T,H,W,3)`` uint8 and the true masks ``(T,H,W)`` bool.
    """
    rng = np.random.default_rng(0)
    background = cv2.GaussianBlur(rng.integers(0, 255, (h, w + 2 * t, 3)).astype(np.uint8), (0, 0), 1.5)
    background = (background * 0.5 + 40).astype(np.uint8)
    frames = np.empty((t, h, w, 3), np.uint8)
    masks = np.zeros((t, h, w), bool)
    for i in range(t):
        frames[i] = background[:, i:i + w]
        y, x = 20, 10 + 2 * i
        if kind == "vanish" and i >= 6:
            continue
        if kind == "teleport" and i >= 6:
            y, x = 40, 70
        frames[i, y:y + 16, x:x + 16] = (230, 60, 40)
        masks[i, y:y + 16, x:x + 16] = True
    return frames, masks


# ---- the report ---------------------------------------------------------------------------------

def test_coverage_is_the_share_of_the_frame():
    masks = np.zeros((3, 10, 20), bool)
    masks[0, :5] = True  # 100 of 200 pixels
    masks[1, :1, :10] = True  # 10 of 200
    report = mask_quality_report(masks)
    np.testing.assert_allclose(report.coverage, [0.5, 0.05, 0.0])
    assert report.empty == [2]


def test_an_abrupt_area_change_is_a_jump_and_a_steady_one_is_not():
    masks = np.zeros((6, 20, 20), bool)
    for t, side in enumerate([10, 10, 10, 5, 5, 5]):  # 100 -> 25 px at frame 3: a 75 % drop
        masks[t, :side, :side] = True
    masks[1, :10, :10] = False
    masks[1, :9, :10] = True  # 90 px: a 10 % change, no jump
    report = mask_quality_report(masks)
    assert report.jumps == [3]


def test_a_one_frame_spike_flags_the_frame_and_the_way_back():
    masks = np.zeros((5, 20, 20), bool)
    masks[:, :5, :5] = True
    masks[2, :10, :10] = True
    assert mask_quality_report(masks).jumps == [2, 3]


def test_an_object_entering_is_empty_frames_not_a_jump():
    masks = np.zeros((4, 10, 10), bool)
    masks[2:, :5, :5] = True
    report = mask_quality_report(masks)
    assert report.empty == [0, 1] and report.jumps == []


def test_jump_threshold_is_relative_to_the_larger_area():
    masks = np.zeros((2, 20, 20), bool)
    masks[0, :10, :10] = True  # 100 px
    masks[1, :10, :6] = True  # 60 px: a 40 % change, exactly JUMP: not above it
    assert JUMP == 0.4 and mask_quality_report(masks).jumps == []
    masks[1, :10, :5] = True
    masks[1, :10, 5] = False  # 50 px: 50 %
    assert mask_quality_report(masks).jumps == [1]


def test_unsure_flags_and_confidence_are_kept_and_reported():
    masks = np.ones((4, 8, 8), bool)
    report = mask_quality_report(masks, unsure=np.array([0, 1, 0, 1], bool), confidence=np.array([1, 0.3, 0.9, 0.2]))
    assert report.unsure == [1, 3]
    np.testing.assert_allclose(report.confidence, [1, 0.3, 0.9, 0.2], atol=1e-6)
    assert "2 unsure frames: 1, 3" in report.summary()


def test_without_flags_unsure_is_not_known_rather_than_none_found():
    report = mask_quality_report(np.ones((3, 4, 4), bool))
    assert report.unsure is None and report.to_dict()["unsure"] is None
    assert mask_quality_report(np.ones((3, 4, 4), bool), unsure=np.zeros(3, bool)).to_dict()["unsure"] == []


def test_summary_names_frames_coverage_and_collapses_runs():
    masks = np.zeros((10, 10, 10), bool)
    masks[:, :3, :] = True  # 30 %
    masks[9, :4, :] = True  # 40 %
    unsure = np.zeros(10, bool)
    unsure[[2, 3, 4, 7]] = True
    line = mask_quality_report(masks, unsure=unsure).summary("masks/")
    assert line == "masks/: 10 frames, coverage 30.0-40.0 %, 4 unsure frames: 2-4, 7"


def test_to_dict_round_trips_through_json(tmp_path):
    masks = np.zeros((3, 4, 5), bool)
    masks[1, 0, 0] = True
    report = mask_quality_report(masks, unsure=np.array([0, 1, 0], bool))
    path = write_mask_report(report, tmp_path)
    data = json.loads(path.read_text())
    assert data["frames"] == 3 and data["empty"] == [0, 2] and data["unsure"] == [1]
    assert data["coverage"] == [0.0, 0.05, 0.0]
    assert read_mask_report(tmp_path) == data and unsure_frames(tmp_path) == [1]


def test_a_report_json_vinpaint_did_not_write_is_never_replaced(tmp_path):
    (tmp_path / "report.json").write_text('{"mine": true}')
    with pytest.raises(OutputError, match="not written by vinpaint"):
        write_mask_report(mask_quality_report(np.ones((2, 4, 4), bool)), tmp_path)
    assert json.loads((tmp_path / "report.json").read_text()) == {"mine": True}
    assert unsure_frames(tmp_path) == []


def test_flags_of_another_length_raise():
    with pytest.raises(InvalidArrayError, match=r"one flag per frame, shape \(3,\)"):
        mask_quality_report(np.ones((3, 4, 4), bool), unsure=np.zeros(2, bool))


def test_masks_of_the_wrong_rank_raise():
    with pytest.raises(InvalidArrayError, match=r"\(T, H, W\)"):
        mask_quality_report(np.ones((4, 4), bool))


def test_report_is_a_frozen_dataclass():
    report = mask_quality_report(np.ones((2, 4, 4), bool))
    assert isinstance(report, MaskReport)
    with pytest.raises(AttributeError):
        report.empty = [1]


# ---- the tracker's confidence -------------------------------------------------------------------

def test_step_confidence_is_the_share_the_colours_agreed_with():
    assert step_confidence(StepNote(1, area=100, carried=100, changed=25, undecided=0, remembered=100)) == 0.75
    assert step_confidence(StepNote(1, area=0, carried=0, changed=0, undecided=0, remembered=80)) == 0.0


def test_frame_confidence_pools_the_objects_by_size_and_each_object_keeps_its_own():
    confidence = TrackConfidence()
    confidence.start(2)
    confidence.add_object(1, {(0, 1): [(1.0, StepNote(1, area=100, carried=100, changed=10, undecided=0, remembered=100))]})
    confidence.add_object(2, {(0, 1): [(1.0, StepNote(1, area=0, carried=0, changed=0, undecided=0, remembered=10))]})
    np.testing.assert_allclose(confidence.frames, [1.0, 1 - 20 / 110], rtol=1e-6)  # frame 0: the anchor
    np.testing.assert_allclose(confidence.objects[1], [1.0, 0.9], rtol=1e-6)
    np.testing.assert_allclose(confidence.objects[2], [1.0, 0.0])
    assert not confidence.unsure.any()


@pytest.mark.parametrize("kind", ["vanish", "teleport"])
def test_the_tracker_is_unsure_once_the_object_is_lost(kind):
    frames, masks = square_clip(kind)
    confidence = TrackConfidence()
    track_masks(frames, {0: masks[0]}, confidence=confidence)
    assert confidence.unsure[6:].all()  # from the frame the square is gone from where it was
    assert not confidence.unsure[:6].any()


def test_the_tracker_is_sure_on_a_clean_clip():
    frames, masks = square_clip("clean")
    confidence = TrackConfidence()
    tracked = track_masks(frames, {0: masks[0]}, confidence=confidence)
    assert (tracked & masks).sum() / (tracked | masks).sum() > 0.9
    assert not confidence.unsure.any() and confidence.frames.min() >= UNSURE_BELOW
    assert confidence.frames[0] == 1.0  # the anchor


def test_confidence_leaves_the_masks_bit_identical():
    frames, masks = square_clip("teleport")
    init = {0: masks[0].astype(np.int32), 9: masks[9].astype(np.int32) * 2}
    plain = track_objects(frames, init, motion="auto")
    confidence = TrackConfidence()
    with_confidence = track_objects(frames, init, motion="auto", confidence=confidence)
    assert with_confidence.dtype == plain.dtype and np.array_equal(with_confidence, plain)
    assert set(confidence.objects) == {1, 2} and confidence.frames.shape == (12,)


def test_a_shot_without_keyframe_is_unsure():
    frames, masks = square_clip("clean")
    confidence = TrackConfidence()
    tracked = track_masks(frames, {0: masks[0]}, shots=[8], confidence=confidence)
    assert not tracked[8:].any()
    assert confidence.unsure[8:].all() and not confidence.unsure[:8].any()


# ---- preview ------------------------------------------------------------------------------------

def test_mark_frames_draws_a_red_border_and_a_label_on_flagged_frames_only():
    frames = np.full((3, 60, 80, 3), 100, np.uint8)
    out = mark_frames(frames, np.array([False, True, False]), border=3)
    np.testing.assert_array_equal(out[0], frames[0])
    np.testing.assert_array_equal(out[1, :3].reshape(-1, 3), np.tile([255, 0, 0], (3 * 80, 1)))
    np.testing.assert_array_equal(out[1, :, -3:].reshape(-1, 3), np.tile([255, 0, 0], (60 * 3, 1)))
    assert (out[1, 5:25, 5:60, 0] > 200).any()  # the word
    np.testing.assert_array_equal(out[1, 40:55, 20:60], frames[1, 40:55, 20:60])


# ---- CLI ----------------------------------------------------------------------------------------

@pytest.fixture
def teleport_folder(tmp_path):
    frames, masks = square_clip("teleport")
    folder = tmp_path / "frames"
    folder.mkdir()
    for index, frame in enumerate(frames):
        write_png(folder / f"{index:05d}.png", frame)
    write_png(tmp_path / "init.png", masks[0])
    return folder


def test_box_writes_report_json_and_the_folder_still_reads(teleport_folder, tmp_path):
    result = run("mask", "box", teleport_folder, "--box", "0:10,20,16,16", "--frames", "0-5", "-o", tmp_path / "m")
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "m" / "report.json").read_text())
    assert data["frames"] == 12 and data["empty"] == list(range(6, 12)) and data["unsure"] is None
    assert data["coverage"][0] == pytest.approx(256 / (64 * 96), abs=1e-6)
    assert f"{tmp_path / 'm'}/: 12 frames, coverage 4.2 %, 6 empty frames: 6-11" in result.output
    assert open_masks(tmp_path / "m", 12, 64, 96).read_all()[:6].all(axis=0).sum() == 256  # report.json skipped


def test_track_reports_the_frames_after_the_teleport_as_unsure(teleport_folder, tmp_path):
    result = run("mask", "track", teleport_folder, "--init", f"0:{tmp_path / 'init.png'}", "-q", "-o", tmp_path / "m")
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "m" / "report.json").read_text())
    assert data["unsure"] == list(range(6, 12))
    assert "6 unsure frames: 6-11" in result.output


def test_overwrite_replaces_vinpaints_own_report(teleport_folder, tmp_path):
    assert run("mask", "box", teleport_folder, "--box", "0:1,1,4,4", "-o", tmp_path / "m").exit_code == 0
    result = run("mask", "box", teleport_folder, "--box", "0:1,1,8,4", "--overwrite", "-o", tmp_path / "m")
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "m" / "report.json").read_text())["coverage"][0] == pytest.approx(32 / (64 * 96), abs=1e-6)


def test_preview_marks_the_unsure_frames_of_the_report(teleport_folder, tmp_path):
    assert run("mask", "track", teleport_folder, "--init", f"0:{tmp_path / 'init.png'}", "-q", "-o", tmp_path / "m").exit_code == 0
    result = run("mask", "preview", teleport_folder, "-m", tmp_path / "m", "-o", tmp_path / "preview")
    assert result.exit_code == 0, result.output
    shown = open_video(tmp_path / "preview").read_all()
    original = open_video(teleport_folder).read_all()
    red = np.array([255, 0, 0])
    for t in range(12):
        top = shown[t, :4].reshape(-1, 3)
        if t >= 6:
            np.testing.assert_array_equal(top, np.tile(red, (len(top), 1)))
        else:
            np.testing.assert_array_equal(shown[t, :4], original[t, :4])
    unmarked = run("mask", "preview", teleport_folder, "-m", tmp_path / "m", "--no-mark-unsure", "-o", tmp_path / "p2")
    assert unmarked.exit_code == 0
    np.testing.assert_array_equal(open_video(tmp_path / "p2").read_all()[8, :4], original[8, :4])


@pytest.mark.parametrize(("flag", "expected"), [([], 480), (["--work-size", "32"], 32), (["--work-size", "0"], None)])
def test_work_size_reaches_the_tracker(teleport_folder, tmp_path, monkeypatch, flag, expected):
    from vinpaint.masks.track import tracker

    seen = {}

    def spy(frames, init, **options):
        seen.update(options)
        return np.zeros(frames.shape[:3], np.int32)

    monkeypatch.setattr(tracker, "track_objects", spy)
    result = run("mask", "track", teleport_folder, "--init", f"0:{tmp_path / 'init.png'}", "-q", *flag, "-o", tmp_path / "m")
    assert result.exit_code == 0, result.output
    assert seen["work_size"] == expected


def test_click_passes_work_size_to_the_tracker(teleport_folder, tmp_path, monkeypatch):
    from vinpaint.masks.track import tracker

    seen = {}

    def spy(frames, init, **options):
        seen.update(options)
        return np.zeros(frames.shape[:3], np.int32)

    monkeypatch.setattr(tracker, "track_objects", spy)
    result = run("mask", "click", teleport_folder, "--point", "0:18,28", "--work-size", "64", "-q", "-o", tmp_path / "m")
    assert result.exit_code == 0, result.output
    assert seen["work_size"] == 64


def test_work_size_below_16_exits_2(teleport_folder, tmp_path):
    result = run("mask", "track", teleport_folder, "--init", f"0:{tmp_path / 'init.png'}", "-q", "--work-size", "8",
                 "-o", tmp_path / "m")
    assert result.exit_code == 2 and "work_size must be at least 16" in result.output
