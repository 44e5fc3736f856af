"""``vinpaint mask box|track|click|shadows|preview`` end to end on a small synthetic clip."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from vinpaint.cli import main
from vinpaint.io import open_masks, open_video, write_png


@pytest.fixture
def clip_folder(tmp_path, medium_clip):
    folder = tmp_path / "frames"
    folder.mkdir()
    for index, frame in enumerate(medium_clip.frames[:12]):
        write_png(folder / f"{index:05d}.png", frame)
    return folder


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def read(folder, count=12, size=(96, 160)):
    return open_masks(folder, count, *size).read_all()


def test_box_writes_one_mask_a_frame(clip_folder, tmp_path):
    result = run("mask", "box", clip_folder, "--box", "0:10,20,30,40", "--box", "11:32,20,30,40", "-o", tmp_path / "m")
    assert result.exit_code == 0, result.output
    masks = read(tmp_path / "m")
    assert masks[0].sum() == 1200 and masks[11][20:60, 32:62].all()


def test_shared_options_dilate_and_frame_range(clip_folder, tmp_path):
    result = run("mask", "box", clip_folder, "--box", "0:10,20,30,40", "--dilate", "2", "--frames", "3-5", "-o", tmp_path / "m")
    assert result.exit_code == 0, result.output
    masks = read(tmp_path / "m")
    assert [bool(m.any()) for m in masks] == [False] * 3 + [True] * 3 + [False] * 6
    assert masks[4].sum() > 1200


def test_box_outside_the_frame_exits_2(clip_folder, tmp_path):
    result = run("mask", "box", clip_folder, "--box", "0:500,20,30,40", "-o", tmp_path / "m")
    assert result.exit_code == 2 and "outside the 160x96 frame" in result.output


def test_keyframe_beyond_the_clip_exits_2(clip_folder, tmp_path):
    result = run("mask", "box", clip_folder, "--box", "40:10,20,30,40", "-o", tmp_path / "m")
    assert result.exit_code == 2 and "beyond the clip's 12 frames" in result.output


def test_malformed_box_exits_2(clip_folder, tmp_path):
    result = run("mask", "box", clip_folder, "--box", "0:10,20", "-o", tmp_path / "m")
    assert result.exit_code == 2 and "FRAME:x,y,w,h" in result.output


def test_existing_output_needs_overwrite(clip_folder, tmp_path):
    assert run("mask", "box", clip_folder, "--box", "0:1,1,4,4", "-o", tmp_path / "m").exit_code == 0
    again = run("mask", "box", clip_folder, "--box", "0:1,1,4,4", "-o", tmp_path / "m")
    assert again.exit_code == 2 and "--overwrite" in again.output


def test_track_follows_the_square(clip_folder, tmp_path, medium_clip):
    write_png(tmp_path / "init.png", medium_clip.masks[0])
    result = run("mask", "track", clip_folder, "--init", f"0:{tmp_path / 'init.png'}", "-q", "-o", tmp_path / "m")
    assert result.exit_code == 0, result.output
    masks = read(tmp_path / "m")
    truth = medium_clip.masks[:12]
    assert (masks & truth).sum() / (masks | truth).sum() > 0.9


def test_track_unknown_id_exits_2(clip_folder, tmp_path, medium_clip):
    write_png(tmp_path / "init.png", medium_clip.masks[0])
    result = run("mask", "track", clip_folder, "--init", f"0:{tmp_path / 'init.png'}", "--ids", "7", "-o", tmp_path / "m")
    assert result.exit_code == 2 and "in no init mask" in result.output


def test_track_malformed_init_exits_2(clip_folder, tmp_path):
    result = run("mask", "track", clip_folder, "--init", "first.png", "-o", tmp_path / "m")
    assert result.exit_code == 2 and "FRAME:MASK_IMAGE" in result.output


def test_click_segments_the_square_without_tracking(clip_folder, tmp_path, medium_clip):
    ys, xs = np.nonzero(medium_clip.masks[3])
    point = f"3:{xs.mean():.0f},{ys.mean():.0f}"
    result = run("mask", "click", clip_folder, "--point", point, "--point", f"3:{xs.min()},{ys.mean():.0f}", "--no-track",
                 "-o", tmp_path / "m")
    assert result.exit_code == 0, result.output
    masks = read(tmp_path / "m")
    assert not masks[0].any()
    assert (masks[3] & medium_clip.masks[3]).sum() / (masks[3] | medium_clip.masks[3]).sum() > 0.9


def test_malformed_point_exits_2(clip_folder, tmp_path):
    result = run("mask", "click", clip_folder, "--point", "3:x,y", "-o", tmp_path / "m")
    assert result.exit_code == 2 and "FRAME:x,y" in result.output


def test_preview_writes_tinted_frames(clip_folder, tmp_path, medium_clip):
    assert run("mask", "box", clip_folder, "--box", "0:10,20,30,40", "-o", tmp_path / "m").exit_code == 0
    result = run("mask", "preview", clip_folder, "-m", tmp_path / "m", "-o", tmp_path / "preview")
    assert result.exit_code == 0, result.output
    shown = open_video(tmp_path / "preview").read_all()
    assert shown.shape == (12, 96, 160, 3)
    np.testing.assert_array_equal(shown[0, 70:, 60:], medium_clip.frames[0, 70:, 60:])
    assert not np.array_equal(shown[0, 30:50, 15:35], medium_clip.frames[0, 30:50, 15:35])


def test_shadows_adds_the_cast_shadow_and_never_writes_over_its_input(tmp_path):
    from vinpaint.testing.synthetic import make_shadow_clip

    frames, masks, truth = make_shadow_clip()
    for name, images in (("frames", frames), ("masks", masks)):
        (tmp_path / name).mkdir()
        for index, image in enumerate(images):
            write_png(tmp_path / name / f"{index:05d}.png", image)
    result = run("mask", "shadows", tmp_path / "frames", "-m", tmp_path / "masks", "-o", tmp_path / "out", "-q")
    assert result.exit_code == 0, result.output
    grown = open_masks(tmp_path / "out", *frames.shape[:3]).read_all()
    shade = (frames.astype(int) < truth.astype(int) - 20).all(-1)
    assert (grown >= masks).all() and grown[shade & ~masks].mean() > 0.8
    for into in ("masks", "frames"):
        again = run("mask", "shadows", tmp_path / "frames", "-m", tmp_path / "masks", "-o", tmp_path / into, "--overwrite")
        assert again.exit_code != 0 and "never overwrites its input" in again.output
    assert np.array_equal(open_masks(tmp_path / "masks", *frames.shape[:3]).read_all(), masks)
    assert np.array_equal(open_video(tmp_path / "frames").read_all(), frames)


@pytest.mark.parametrize("holder", [False, True])
def test_no_mask_command_writes_into_its_input(clip_folder, holder):
    # a frame folder holds NNNNN.png files, as a mask folder does: --overwrite must still not replace them
    before = open_video(clip_folder).read_all()
    into = clip_folder.parent if holder else clip_folder
    result = run("mask", "box", clip_folder, "--box", "0:10,20,30,40", "-o", into, "--overwrite")
    assert result.exit_code != 0 and "never overwrites its input" in result.output
    assert np.array_equal(open_video(clip_folder).read_all(), before)


def test_a_mask_folder_that_cannot_be_written_is_refused_before_the_tracking(clip_folder, tmp_path, monkeypatch):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "00000.png").write_bytes(b"drawn by hand")

    def no_reading(*args, **kwargs):
        raise AssertionError("the clip was read before the folder was checked")

    monkeypatch.setattr("vinpaint.cli.mask.read_clip", no_reading)
    init = tmp_path / "init.png"
    write_png(init, np.ones((96, 160), bool))
    result = run("mask", "track", clip_folder, "--init", f"0:{init}", "-o", mine, "--overwrite")
    assert result.exit_code == 2 and "not written by vinpaint" in result.output
    assert (mine / "00000.png").read_bytes() == b"drawn by hand"


def test_a_frame_range_beyond_the_clip_is_refused_as_remove_refuses_it(clip_folder, tmp_path):
    result = run("mask", "box", clip_folder, "--box", "0:10,20,30,40", "--frames", "8-20", "-o", tmp_path / "m")
    assert result.exit_code == 2 and "outside the clip" in result.output


def test_a_frame_range_beyond_the_clip_is_refused_before_the_tracking(clip_folder, tmp_path, monkeypatch):
    def no_reading(*args, **kwargs):
        raise AssertionError("the clip was read before the frame range was checked")

    monkeypatch.setattr("vinpaint.cli.mask.read_clip", no_reading)
    init = tmp_path / "init.png"
    write_png(init, np.ones((96, 160), bool))
    result = run("mask", "track", clip_folder, "--init", f"0:{init}", "--frames", "8-20", "-o", tmp_path / "m")
    assert result.exit_code == 2 and "outside the clip" in result.output
