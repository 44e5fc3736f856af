"""Issue 11, outputs: vinpaint never deletes or overwrites what it did not write, fails on an unwritable
output before the fill, and cleans up what a killed run left behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from tests.reliability.media import (
    box_masks,
    sha256_tree,
    textured_frames,
    write_clip,
    write_mask_folder,
)
from vinpaint.cli import main
from vinpaint.errors import OutputError
from vinpaint.io import check_output, open_video
from vinpaint.io.writers import FOLDER_MARK, mark_folder, remove_stale_temporaries

FRAMES = 6


@pytest.fixture
def clip(tmp_path) -> tuple[Path, Path]:
    """A 6-frame 64x48 H.264 clip and its mask folder, inside ``tmp_path / "x"``."""
    folder = tmp_path / "x"
    folder.mkdir()
    frames = textured_frames(FRAMES)
    video = write_clip(folder / "clip.mp4", frames)
    masks = write_mask_folder(folder / "m", box_masks(FRAMES, 48, 64))
    return video, masks


def run_remove(*args: str | Path):
    result = CliRunner().invoke(main, ["remove", *map(str, args), "--engine", "perframe", "-q"])
    return result.exit_code, result.output


def test_output_folder_holding_the_inputs_is_refused_and_inputs_kept(clip):
    video, masks = clip
    folder = video.parent
    before = sha256_tree(folder)
    code, output = run_remove(video, "-m", masks, "-o", folder, "--overwrite")
    assert code == 2
    assert "holds the input" in output and str(folder) in output
    assert sha256_tree(folder) == before


def test_output_file_that_is_an_input_through_a_symlink_is_refused(clip):
    video, masks = clip
    link = video.with_name("link.mp4")
    link.symlink_to(video.name)
    before = sha256_tree(video)
    code, output = run_remove(video, "-m", masks, "-o", link, "--overwrite")
    assert code == 2 and "is an input" in output
    assert sha256_tree(video) == before and link.is_symlink()


def test_existing_folder_with_unrelated_files_is_neither_emptied_nor_changed(clip, tmp_path):
    video, masks = clip
    target = tmp_path / "d"
    target.mkdir(mode=0o755)
    os.chmod(target, 0o755)
    (target / "notes.txt").write_text("keep me")
    (target / "00000.png").write_bytes(b"old frame")
    before = sha256_tree(target)
    code, output = run_remove(video, "-m", masks, "-o", target, "--overwrite")
    assert code == 2
    assert "not written by vinpaint" in output
    assert sha256_tree(target) == before
    assert target.stat().st_mode & 0o777 == 0o755


def test_existing_frame_folder_is_replaced_and_keeps_its_mode(clip, tmp_path):
    video, masks = clip
    target = tmp_path / "d"
    target.mkdir()
    os.chmod(target, 0o750)
    mark_folder(target)  # as an earlier run left it
    for index in range(FRAMES + 3):  # more stale frames than the new output has
        (target / f"{index:05d}.png").write_bytes(b"old frame")
    code, output = run_remove(video, "-m", masks, "-o", target, "--overwrite")
    assert code == 0, output
    assert sorted(p.name for p in target.iterdir()) == [FOLDER_MARK] + [f"{index:05d}.png" for index in range(FRAMES)]
    assert open_video(target).info.frame_count == FRAMES
    assert target.stat().st_mode & 0o777 == 0o750
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d", "x"]  # no temporary folder left


def test_a_folder_of_the_users_own_frames_is_never_replaced_even_with_overwrite(clip, tmp_path):
    video, masks = clip
    target = tmp_path / "mine"
    target.mkdir()
    for index in range(FRAMES):  # named just as vinpaint names its frames, but not marked as its output
        (target / f"{index:05d}.png").write_bytes(b"my frame")
    before = sha256_tree(target)
    code, output = run_remove(video, "-m", masks, "-o", target, "--overwrite")
    assert code == 2 and "not written by vinpaint" in output
    assert sha256_tree(target) == before


def test_an_empty_existing_folder_is_filled_without_overwrite(clip, tmp_path):
    video, masks = clip
    (tmp_path / "empty").mkdir()
    code, output = run_remove(video, "-m", masks, "-o", tmp_path / "empty")
    assert code == 0, output
    assert open_video(tmp_path / "empty").info.frame_count == FRAMES


@pytest.mark.parametrize("name", ["x.mp4", "vp_out"])
def test_unwritable_output_fails_before_the_fill_naming_the_path(clip, name, monkeypatch):
    video, masks = clip
    before = sha256_tree(video.parent)

    def no_fill(*args, **kwargs):
        raise AssertionError("the fill started before the output was checked")

    monkeypatch.setattr("vinpaint.pipeline.remove_stream", no_fill)
    code, output = run_remove(video, "-m", masks, "-o", f"/proc/{name}")
    assert code == 2
    assert output.startswith("error: ") and f"/proc/{name}" in output and output.count("\n") == 1
    assert sha256_tree(video.parent) == before


def test_output_path_that_is_a_folder_of_other_files_is_refused(clip, tmp_path):
    video, masks = clip
    (tmp_path / "out.mp4").mkdir()
    (tmp_path / "out.mp4" / "keep.txt").write_text("x")
    code, output = run_remove(video, "-m", masks, "-o", tmp_path / "out.mp4", "--overwrite")
    assert code == 2 and "folder" in output
    assert (tmp_path / "out.mp4" / "keep.txt").read_text() == "x"


def dead_pid() -> int:
    """The id of a process that has exited (and been reaped)."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_leftovers_of_a_dead_run_are_removed_and_a_live_runs_kept(tmp_path):
    output = tmp_path / "out.mp4"
    dead = dead_pid()
    stale_file = tmp_path / f".out.vinpaint-tmp-{dead}.mp4"
    stale_file.write_bytes(b"half a video")
    stale_folder = tmp_path / f".out.mp4.vinpaint-tmp-{dead}"
    stale_folder.mkdir()
    (stale_folder / "00000.png").write_bytes(b"frame")
    live_file = tmp_path / f".out.vinpaint-tmp-{os.getppid()}.mp4"
    live_file.write_bytes(b"another run's work")
    other = tmp_path / f".other.vinpaint-tmp-{dead}.mp4"
    other.write_bytes(b"another output's")
    check_output(output)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live_file.name, other.name])


def test_stale_folder_holding_other_files_is_left_in_place(tmp_path):
    stale_folder = tmp_path / f".frames.vinpaint-tmp-{dead_pid()}"
    stale_folder.mkdir()
    (stale_folder / "mine.txt").write_text("not a frame")
    assert remove_stale_temporaries(tmp_path / "frames") == []
    assert (stale_folder / "mine.txt").exists()


def test_sigkill_while_writing_leaves_a_temporary_the_next_run_removes(tmp_path):
    frames = textured_frames(40, 96, 128)
    video = write_clip(tmp_path / "in.mp4", frames)
    masks = write_mask_folder(tmp_path / "m", box_masks(40, 96, 128, size=30))
    before = sha256_tree(video) | sha256_tree(masks)
    output = tmp_path / "out.mkv"
    command = [str(Path(sys.executable).with_name("vinpaint")), "remove", str(video), "-m", str(masks), "-o", str(output),
               "--engine", "propagate", "--window", "2", "--context", "0", "-q"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    temporary = tmp_path / f".out.vinpaint-tmp-{process.pid}.mkv"
    deadline = time.monotonic() + 30
    while not (temporary.exists() and temporary.stat().st_size) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    if process.poll() is not None:
        pytest.skip("the run ended before it could be killed while writing")
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert temporary.exists() and not output.exists()
    code, message = run_remove(video, "-m", masks, "-o", output)
    assert code == 0, message
    assert not temporary.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.mp4", "m", "out.mkv"]
    assert sha256_tree(video) | sha256_tree(masks) == before
    assert open_video(output).info.frame_count == 40


def test_check_output_refuses_an_existing_file_where_a_folder_is_asked(tmp_path):
    (tmp_path / "frames").write_text("a file")
    with pytest.raises(OutputError, match="is a file"):
        check_output(tmp_path / "frames", overwrite=True)
    assert (tmp_path / "frames").read_text() == "a file"
    assert np.array_equal(np.array(sorted(p.name for p in tmp_path.iterdir())), np.array(["frames"]))
