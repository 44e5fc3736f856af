"""``vinpaint remove``: success, and one clear line with a non-zero exit for every kind of bad input."""

import numpy as np
import pytest
from click.testing import CliRunner

from tests.io.helpers import write_video
from vinpaint.cli import main
from vinpaint.io import open_video, write_png


@pytest.fixture
def clip_files(tmp_path, small_clip):
    video = write_video(tmp_path / "in.mp4", small_clip.frames)
    masks = tmp_path / "masks"
    masks.mkdir()
    for index, mask in enumerate(small_clip.masks):
        write_png(masks / f"{index:05d}.png", mask)
    return video, masks


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def assert_one_line_error(result, *fragments):
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.strip().splitlines() if line]
    assert "Traceback" not in result.output
    assert any(all(f in line for f in fragments) for line in lines), result.output


def test_remove_writes_an_output_with_the_input_frame_count(tmp_path, clip_files):
    video, masks = clip_files
    result = run("remove", video, "--mask", masks, "-o", tmp_path / "out.mp4", "--quiet")
    assert result.exit_code == 0, result.output
    assert open_video(tmp_path / "out.mp4").info.frame_count == 16


def test_empty_mask_gives_the_input_back_in_lossless_output(tmp_path, small_clip):
    frames_dir = tmp_path / "frames"
    frames_dir.mkdir()
    for index, frame in enumerate(small_clip.frames):
        write_png(frames_dir / f"{index:05d}.png", frame)
    write_png(tmp_path / "empty.png", np.zeros(small_clip.masks.shape[1:], bool))
    result = run("remove", frames_dir, "--mask", tmp_path / "empty.png", "-o", tmp_path / "out.mkv", "-q")
    assert result.exit_code == 0, result.output
    np.testing.assert_array_equal(open_video(tmp_path / "out.mkv").read_all(), small_clip.frames)


def test_missing_input(tmp_path, clip_files):
    _, masks = clip_files
    assert_one_line_error(run("remove", tmp_path / "nope.mp4", "--mask", masks, "-o", tmp_path / "o.mp4"), "error:", "not found")


def test_video_with_no_frames(tmp_path, clip_files):
    _, masks = clip_files
    (tmp_path / "empty").mkdir()
    assert_one_line_error(run("remove", tmp_path / "empty", "--mask", masks, "-o", tmp_path / "o.mp4"), "error:", "no images")


def test_unreadable_input(tmp_path, clip_files):
    _, masks = clip_files
    (tmp_path / "junk.mp4").write_bytes(b"\x00" * 100)
    assert_one_line_error(run("remove", tmp_path / "junk.mp4", "--mask", masks, "-o", tmp_path / "o.mp4"), "error:", "junk.mp4")


def test_mask_count_different_from_frame_count_names_both(tmp_path, clip_files):
    video, masks = clip_files
    (masks / "00015.png").unlink()
    assert_one_line_error(run("remove", video, "--mask", masks, "-o", tmp_path / "o.mp4"), "15 frames", "16 frames")


def test_mask_folder_with_non_images(tmp_path, clip_files):
    video, masks = clip_files
    (masks / "readme.txt").write_text("x")
    assert_one_line_error(run("remove", video, "--mask", masks, "-o", tmp_path / "o.mp4"), "error:", "readme.txt")


def test_unwritable_output_folder(tmp_path, clip_files):
    video, masks = clip_files
    assert_one_line_error(run("remove", video, "--mask", masks, "-o", tmp_path / "no" / "such" / "o.mp4"), "does not exist")


def test_existing_output_needs_overwrite(tmp_path, clip_files):
    video, masks = clip_files
    (tmp_path / "o.mp4").write_bytes(b"keep me")
    assert_one_line_error(run("remove", video, "--mask", masks, "-o", tmp_path / "o.mp4"), "--overwrite")
    assert (tmp_path / "o.mp4").read_bytes() == b"keep me"


def test_output_equal_to_input_is_refused(tmp_path, clip_files):
    video, masks = clip_files
    assert_one_line_error(run("remove", video, "--mask", masks, "-o", video, "--overwrite"), "never overwrites")


def test_unknown_extension(tmp_path, clip_files):
    video, masks = clip_files
    assert_one_line_error(run("remove", video, "--mask", masks, "-o", tmp_path / "o.xyz"), "extension")


def test_unknown_engine_is_a_usage_error(tmp_path, clip_files):
    video, masks = clip_files
    result = run("remove", video, "--mask", masks, "-o", tmp_path / "o.mp4", "--engine", "magic")
    assert result.exit_code == 2 and "magic" in result.output and "Traceback" not in result.output


def test_bad_engine_option_is_one_line(tmp_path, clip_files):
    video, masks = clip_files
    assert_one_line_error(run("remove", video, "--mask", masks, "-o", tmp_path / "o.mp4", "--option", "bogus=1"), "bogus")


def test_debug_shows_the_traceback(tmp_path, clip_files):
    _, masks = clip_files
    result = run("remove", tmp_path / "nope.mp4", "--mask", masks, "-o", tmp_path / "o.mp4", "--debug")
    assert result.exit_code != 0 and result.exception is not None


def test_debug_turns_on_vinpaint_debug_logs_and_not_other_libraries(tmp_path, clip_files):
    import logging

    video, masks = clip_files
    assert run("remove", video, "--mask", masks, "-o", tmp_path / "a.mp4", "--quiet", "--debug").exit_code == 0
    assert logging.getLogger("vinpaint.engines").getEffectiveLevel() == logging.DEBUG
    assert logging.getLogger("PIL.PngImagePlugin").getEffectiveLevel() > logging.DEBUG
    assert run("remove", video, "--mask", masks, "-o", tmp_path / "b.mp4", "--quiet").exit_code == 0
    assert logging.getLogger("vinpaint.engines").getEffectiveLevel() > logging.DEBUG


@pytest.mark.parametrize("args", [["--crf", "99"], ["--bogus"], ["--frames", "5-2"]], ids=["range", "unknown", "frames"])
def test_a_mistake_on_the_command_line_is_one_error_line(tmp_path, clip_files, args):
    video, masks = clip_files
    result = run("remove", video, "--mask", masks, "-o", tmp_path / "o.mp4", *args)
    assert result.exit_code == 2
    assert result.output.startswith("error: ") and result.output.strip().count("\n") == 0, result.output
    assert "remove --help" in result.output
