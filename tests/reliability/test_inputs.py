"""``vinpaint remove`` as a user meets it, one awkward input a test.

Each test builds its inputs under ``inputs/`` and names an output under ``outputs/``, runs the CLI and
checks four things: the exit code (0 for a run that should work, 2 for bad input), the message's key
words, that every input file is byte-identical afterwards, and that ``outputs/`` holds the expected
output and nothing else (no temporary files).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from click.testing import CliRunner, Result

from tests.reliability.conftest import FRAMES, HEIGHT, WIDTH
from tests.reliability.media import (
    box_masks,
    sha256_tree,
    textured_frames,
    truncated_copy,
    write_audio_only,
    write_clip,
    write_mask_folder,
    write_palette_mask_folder,
)
from vinpaint.cli import main
from vinpaint.io import open_video


def run_remove(inputs: Path, *args) -> Result:
    """``vinpaint remove ARGS -q`` through CliRunner; fails the test if any file under ``inputs`` changed."""
    before = sha256_tree(inputs)
    result = CliRunner().invoke(main, ["remove", *map(str, args), "-q"])
    assert sha256_tree(inputs) == before, "an input file was changed, added or removed"
    return result


def assert_exit(result, code: int, *words: str) -> None:
    """Exit ``code``, no traceback, and (for errors) one ``error:`` line holding every word."""
    assert result.exit_code == code, f"exit {result.exit_code}, expected {code}: {result.output}"
    assert "Traceback" not in result.output
    if code != 0:
        lines = [line for line in result.output.splitlines() if line.startswith("error:")]
        assert len(lines) == 1, result.output
        missing = [word for word in words if word not in lines[0]]
        assert not missing, f"{missing} not in {lines[0]!r}"


def assert_outputs(folder: Path, *names: str) -> None:
    assert sorted(os.listdir(folder)) == sorted(names), "unexpected files left in the output folder"


# --- bad input: exit 2, a message saying what is wrong ------------------------------------------------


def test_missing_input_names_the_path(inputs, outputs, masks):
    result = run_remove(inputs, inputs / "nope.mp4", "-m", masks, "-o", outputs / "out.mp4")
    assert_exit(result, 2, "not found", "nope.mp4")
    assert_outputs(outputs)


def test_missing_mask_names_the_path(inputs, outputs, clip):
    result = run_remove(inputs, clip, "-m", inputs / "no-masks", "-o", outputs / "out.mp4")
    assert_exit(result, 2, "not found", "no-masks")
    assert_outputs(outputs)


def test_a_file_that_is_no_video_is_refused_in_ffmpegs_words_without_its_error_number(inputs, outputs, masks):
    garbage = inputs / "notes.mp4"
    garbage.write_bytes(b"not a video")
    result = run_remove(inputs, garbage, "-m", masks, "-o", outputs / "out.mp4")
    assert_exit(result, 2, "notes.mp4", "Invalid data")
    assert "Errno" not in result.output
    assert_outputs(outputs)


def test_truncated_video_is_refused(inputs, outputs, clip, masks):
    # PyAV writes the mp4 index (moov) last: half the file has frames but no index.
    broken = truncated_copy(clip, inputs / "broken.mp4", clip.stat().st_size // 2)
    result = run_remove(inputs, broken, "-m", masks, "-o", outputs / "out.mp4")
    assert_exit(result, 2, "broken.mp4")
    assert_outputs(outputs)


def test_mp4_cut_inside_its_audio_header_fails_cleanly(inputs, outputs, masks):
    # Cut where the audio track's sample description (stsd) begins: FFmpeg then opens the file with an
    # audio stream that has no codec.  Whether vinpaint writes the video alone or refuses, it must not crash.
    whole = write_clip(inputs / "whole.mp4", textured_frames(FRAMES, HEIGHT, WIDTH), audio_tracks=1)
    data = whole.read_bytes()
    audio_stsd = data.rfind(b"stsd") - 4  # the index is written last, the audio track after the video's
    cut = truncated_copy(whole, inputs / "cut.mp4", audio_stsd)
    with av.open(str(cut)) as container:
        assert [stream.codec_context for stream in container.streams.audio] == [None]
    result = run_remove(inputs, cut, "-m", masks, "-o", outputs / "out.mp4")
    assert result.exit_code in (0, 2), result.output
    assert_exit(result, result.exit_code, "cut.mp4")
    assert_outputs(outputs, *(["out.mp4"] if result.exit_code == 0 else []))


def test_audio_only_file_is_refused(inputs, outputs, masks):
    sound = write_audio_only(inputs / "sound.mp4")
    result = run_remove(inputs, sound, "-m", masks, "-o", outputs / "out.mp4")
    assert_exit(result, 2, "no video stream", "sound.mp4")
    assert_outputs(outputs)


def test_mask_count_mismatch_names_both_counts(inputs, outputs, clip):
    short = write_mask_folder(inputs / "masks", box_masks(FRAMES - 1, HEIGHT, WIDTH))
    result = run_remove(inputs, clip, "-m", short, "-o", outputs / "out.mp4")
    assert_exit(result, 2, f"{FRAMES - 1} frames", f"{FRAMES} frames")
    assert_outputs(outputs)


def test_non_image_in_mask_folder_is_named(inputs, outputs, clip, masks):
    (masks / "notes.txt").write_text("masks drawn by hand")
    result = run_remove(inputs, clip, "-m", masks, "-o", outputs / "out.mp4")
    assert_exit(result, 2, "notes.txt", "not images")
    assert_outputs(outputs)


def test_mask_of_another_aspect_ratio_is_refused(inputs, outputs, clip):
    square = write_mask_folder(inputs / "masks", box_masks(FRAMES, 64, 64))
    result = run_remove(inputs, clip, "-m", square, "-o", outputs / "out.mp4")
    assert_exit(result, 2, "64x64", f"{WIDTH}x{HEIGHT}", "aspect ratio")
    assert_outputs(outputs)


def test_palette_id_absent_from_the_masks_lists_the_ids_present(inputs, outputs, clip):
    labels = np.zeros((FRAMES, HEIGHT, WIDTH), np.uint8)
    labels[:, 4:14, 4:14], labels[:, 30:42, 40:56] = 1, 2
    palette = write_palette_mask_folder(inputs / "masks", labels)
    result = run_remove(inputs, clip, "-m", palette, "-o", outputs / "out.mp4", "--mask-ids", "5")
    assert_exit(result, 2, "[5]", "[1, 2]")
    assert_outputs(outputs)


def test_output_that_is_the_input_through_a_symlink_is_refused(inputs, outputs, clip, masks):
    link = outputs / "clip.mp4"
    link.symlink_to(clip)
    result = run_remove(inputs, clip, "-m", masks, "-o", link, "--overwrite")
    assert_exit(result, 2, "is an input")
    assert_outputs(outputs, "clip.mp4")
    assert link.is_symlink() and link.resolve() == clip.resolve()


# --- awkward but valid input: exit 0 and the promised output -------------------------------------------


def test_palette_ids_remove_only_the_chosen_object(inputs, outputs, clip):
    labels = np.zeros((FRAMES, HEIGHT, WIDTH), np.uint8)
    labels[:, 4:14, 4:14], labels[:, 30:42, 40:56] = 1, 2
    palette = write_palette_mask_folder(inputs / "masks", labels)
    result = run_remove(inputs, clip, "-m", palette, "-o", outputs / "out.mkv", "--mask-ids", "2", "--dilate", "0")
    assert_exit(result, 0)
    assert_outputs(outputs, "out.mkv")
    kept = labels != 2  # object 1 included: it must come out as it went in
    np.testing.assert_array_equal(open_video(outputs / "out.mkv").read_all()[kept], open_video(clip).read_all()[kept])


def test_odd_sized_video_keeps_its_size(inputs, outputs):
    odd = write_clip(inputs / "odd.mp4", textured_frames(FRAMES, 49, 65))
    masks = write_mask_folder(inputs / "masks", box_masks(FRAMES, 49, 65))
    result = run_remove(inputs, odd, "-m", masks, "-o", outputs / "out.mp4")
    assert_exit(result, 0)
    assert_outputs(outputs, "out.mp4")
    info = open_video(outputs / "out.mp4").info
    assert (info.width, info.height, info.frame_count) == (65, 49, FRAMES)


def test_rotated_video_is_filled_upright(inputs, outputs):
    # Coded 64x48 with a 90 degree display matrix: players show it 48 wide and 64 high, and so do masks.
    rotated = write_clip(inputs / "phone.mp4", textured_frames(FRAMES, HEIGHT, WIDTH), rotation=90)
    upright_masks = box_masks(FRAMES, WIDTH, HEIGHT, top=20, left=8, size=10)
    masks = write_mask_folder(inputs / "masks", upright_masks)
    result = run_remove(inputs, rotated, "-m", masks, "-o", outputs / "out.mkv", "--dilate", "0")
    assert_exit(result, 0)
    assert_outputs(outputs, "out.mkv")
    written = open_video(outputs / "out.mkv").read_all()
    assert written.shape == (FRAMES, WIDTH, HEIGHT, 3)
    np.testing.assert_array_equal(written[~upright_masks], open_video(rotated).read_all()[~upright_masks])


def test_variable_frame_rate_keeps_every_timestamp(inputs, outputs, masks):
    pts = [0, 1, 3, 4, 7, 8, 9, 12, 13, 15, 18, 19]
    vfr = write_clip(inputs / "vfr.mp4", textured_frames(FRAMES, HEIGHT, WIDTH), pts=pts, time_base=Fraction(1, 30))
    result = run_remove(inputs, vfr, "-m", masks, "-o", outputs / "out.mp4")
    assert_exit(result, 0)
    assert_outputs(outputs, "out.mp4")
    assert frame_times(outputs / "out.mp4") == frame_times(vfr) == [round(p / 30, 4) for p in pts]


def test_two_audio_tracks_are_both_kept(inputs, outputs, masks):
    dubbed = write_clip(inputs / "dubbed.mp4", textured_frames(FRAMES, HEIGHT, WIDTH), audio_tracks=2)
    result = run_remove(inputs, dubbed, "-m", masks, "-o", outputs / "out.mp4")
    assert_exit(result, 0)
    assert_outputs(outputs, "out.mp4")
    assert audio_packets(outputs / "out.mp4") == audio_packets(dubbed)
    assert len(audio_packets(dubbed)) == 2


def frame_times(path: Path) -> list[float]:
    """Presentation times of the video frames in seconds (rounded to 0.1 ms), in display order."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return sorted(round(float(frame.pts * stream.time_base), 4) for frame in container.decode(stream))


def audio_packets(path: Path) -> list[tuple[str, int]]:
    """(codec, non-empty packet count) per audio stream."""
    with av.open(str(path)) as container:
        streams = container.streams.audio
        counts = [0] * len(streams)
        for packet in container.demux(*streams):
            if packet.size:
                counts[packet.stream.index - streams[0].index] += 1
        return [(stream.codec_context.name, count) for stream, count in zip(streams, counts)]


# --- interruption -----------------------------------------------------------------------------------------


def test_sigint_stops_cleanly_and_leaves_nothing(inputs, outputs):
    frame_count = 400  # several seconds of work: the signal arrives mid-run
    long_clip = write_clip(inputs / "long.mp4", textured_frames(frame_count, HEIGHT, WIDTH))
    masks = write_mask_folder(inputs / "masks", box_masks(1, HEIGHT, WIDTH))  # one mask for every frame
    before = sha256_tree(inputs)
    command = [str(Path(sys.executable).parent / "vinpaint"), "remove", str(long_clip), "-m", str(masks),
               "-o", str(outputs / "out.mp4"), "-q"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # The writer opens its temporary file beside the target once decoding starts: then it is mid-run.
        deadline = time.monotonic() + 60
        while not os.listdir(outputs) and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert process.poll() is None, f"finished before it could be interrupted: {process.communicate()}"
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr, stderr
    assert_outputs(outputs)
    assert sha256_tree(inputs) == before
