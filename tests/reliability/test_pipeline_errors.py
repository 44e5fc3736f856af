"""Honest errors and progress from the pipeline and ``vinpaint remove``.

Each case: a tiny synthetic clip, the exit code and the message's key words, inputs byte-identical
afterwards, and nothing left in the output folder after an error.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner, Result

from tests.reliability.conftest import FRAMES, HEIGHT, WIDTH
from tests.reliability.media import (
    box_masks,
    sha256_tree,
    textured_frames,
    write_clip,
    write_mask_folder,
)
from vinpaint.cli import main
from vinpaint.errors import InvalidOptionError, MaskMismatchError
from vinpaint.io import open_video
from vinpaint.pipeline import RemoveOptions, remove, remove_stream
from vinpaint.testing.synthetic import make_panning_clip


@pytest.fixture
def full_masks(inputs) -> Path:
    return write_mask_folder(inputs / "full", np.ones((FRAMES, HEIGHT, WIDTH), bool))


def run_remove(inputs: Path, *args, quiet: bool = True) -> Result:
    """``vinpaint remove ARGS`` through CliRunner (stderr kept apart); fails if any input changed."""
    before = sha256_tree(inputs)
    result = CliRunner().invoke(main, ["remove", *map(str, args), *(["-q"] if quiet else [])])
    assert sha256_tree(inputs) == before, "an input file was changed, added or removed"
    return result


def assert_error(result: Result, outputs: Path, *words: str) -> str:
    """Exit 2, one ``error:`` line on stderr holding every word, an empty output folder; returns the line."""
    assert result.exit_code == 2, f"exit {result.exit_code}: {result.output}"
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, result.stderr
    missing = [word for word in words if word not in lines[0]]
    assert not missing, f"{missing} not in {lines[0]!r}"
    assert os.listdir(outputs) == [], "something was left in the output folder"
    return lines[0]


# --- a mask over every pixel ----------------------------------------------------------------------------


def test_full_mask_is_refused_saying_how_to_allow_it(inputs, outputs, clip, full_masks):
    result = run_remove(inputs, clip, "--mask", full_masks, "-o", outputs / "out.mp4")
    assert_error(result, outputs, "every pixel of every frame", "--allow-full-mask")


def test_full_mask_allowed_gives_neutral_grey_with_a_warning(inputs, outputs, clip, full_masks, caplog):
    # the CLI's log handler writes warnings to stderr; under pytest the records go to caplog instead
    result = run_remove(inputs, clip, "--mask", full_masks, "-o", outputs / "out.mkv", "--lossless", "--allow-full-mask")
    assert result.exit_code == 0, result.output
    assert any(r.levelname == "WARNING" and "neutral grey" in r.getMessage() for r in caplog.records)
    np.testing.assert_array_equal(open_video(outputs / "out.mkv").read_all(), 128)


def test_full_mask_is_refused_by_the_library():
    frames = textured_frames(FRAMES, HEIGHT, WIDTH)
    with pytest.raises(MaskMismatchError, match="every pixel of every frame"):
        remove(frames, np.ones(frames.shape[:3], bool))


def test_frames_masked_over_every_pixel_are_filled_from_the_frames_before_not_black():
    clip = make_panning_clip(frames=24, height=48, width=64, object_size=12)
    holes = np.zeros(clip.masks.shape, bool)
    holes[12:] = True
    out = remove(clip.frames, holes, window=8, context=4)
    # the engine copies the last known frames along the (zero) motion: the brightness stays the scene's
    brightness = out[12:].mean(axis=(1, 2, 3))
    assert np.all(np.abs(brightness - clip.frames[12:].mean()) < 15), brightness


# --- --frames outside the clip ----------------------------------------------------------------------------


@pytest.mark.parametrize("frames", ["50-60", "5-20"])
def test_frame_range_outside_the_clip_names_its_frame_count(inputs, outputs, clip, masks, frames):
    result = run_remove(inputs, clip, "--mask", masks, "-o", outputs / "out.mp4", "--frames", frames)
    assert_error(result, outputs, frames, "12 frames", "0-11")


def test_frame_range_beyond_a_stream_of_unknown_length_is_an_error_at_its_end():
    frames = textured_frames(FRAMES, HEIGHT, WIDTH)
    stream = remove_stream(iter(frames), iter(np.zeros(frames.shape[:3], bool)), RemoveOptions(frame_range=(50, 60)))
    with pytest.raises(InvalidOptionError, match="12 frames"):
        list(stream)


# --- wording ----------------------------------------------------------------------------------------------------


def test_one_frame_is_counted_in_the_singular(inputs, outputs):
    one = write_clip(inputs / "one.mp4", textured_frames(1, HEIGHT, WIDTH))
    mask = write_mask_folder(inputs / "one-mask", box_masks(1, HEIGHT, WIDTH))
    line = assert_error(run_remove(inputs, one, "--mask", mask, "-o", outputs / "out.mp4", "--frames", "3-4"), outputs,
                        "1 frame ")
    assert "1 frames" not in line


def test_more_masks_than_frames_is_counted_in_the_singular():
    frames = textured_frames(1, HEIGHT, WIDTH)
    with pytest.raises(MaskMismatchError, match=r"has 1 frame but"):
        list(remove_stream(iter(frames), iter(box_masks(2, HEIGHT, WIDTH))))


def test_existing_output_message_names_the_cli_flag_only(inputs, outputs, clip, masks):
    (outputs / "out.mp4").write_bytes(b"mine")
    result = run_remove(inputs, clip, "--mask", masks, "-o", outputs / "out.mp4")
    assert result.exit_code == 2, result.output
    assert "--overwrite" in result.stderr and "overwrite=True" not in result.stderr, result.stderr
    assert (outputs / "out.mp4").read_bytes() == b"mine"


@pytest.mark.parametrize("option", ["--engine", "--fill", "--flow", "--dilate", "--feather", "--blend", "--window",
                                    "--context", "--frames", "--mask-ids", "--fps", "--crf", "--preset"])
def test_remove_help_shows_the_default_of_every_valued_option(option):
    help_text = " ".join(CliRunner().invoke(main, ["remove", "--help"]).output.split())
    entry = re.search(rf"{option} (.*?)(?= -{{1,2}}[a-z])", help_text)
    assert entry and "[default:" in entry.group(1), entry and entry.group(1)


def test_remove_help_shows_the_engine_defaults_of_fill_and_flow():
    # click may wrap a line after a hyphen ("dis-" / "lean"): join those back
    help_text = re.sub(r"-\s+", "-", " ".join(CliRunner().invoke(main, ["remove", "--help"]).output.split()))
    assert "[default: (patchmatch)]" in help_text
    assert "[default: (dis-lean, fast preset: dis-fast, quality preset: dis)]" in help_text


# --- progress -----------------------------------------------------------------------------------------------


def test_progress_has_the_total_before_any_frame_and_rises_within_each_window():
    clip = make_panning_clip(frames=24, height=48, width=64, object_size=12)
    events: list = []

    def frames():
        for frame in clip.frames:
            events.append("read")
            yield frame

    def progress(done, total):
        events.append((done, total))

    list(remove_stream(frames(), clip.masks, RemoveOptions(window=8, context=4), total=24, progress=progress))
    updates = [event for event in events if event != "read"]
    assert events[0] == (0, 24)
    assert all(total == 24 for _, total in updates)
    done = [d for d, _ in updates]
    assert done == sorted(set(done)) and done[-1] == 24
    assert len(done) >= 10, done  # three windows of 8 frames: more than once a window


def test_no_bar_is_drawn_before_an_option_error(inputs, outputs, clip, masks):
    result = run_remove(inputs, clip, "--mask", masks, "-o", outputs / "out.mp4", "--frames", "50-60", quiet=False)
    assert result.exit_code == 2
    assert result.stderr.startswith("error:") and len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_bar_shows_the_total(inputs, outputs, clip, masks):
    result = run_remove(inputs, clip, "--mask", masks, "-o", outputs / "out.mp4", quiet=False)
    assert result.exit_code == 0, result.output
    assert "12/12" in result.stderr, result.stderr
