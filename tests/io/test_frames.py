"""read_frames: a range of frames, equal to the same frames of a full decode."""

from __future__ import annotations

import numpy as np
import pytest

from vinpaint.errors import InvalidOptionError
from vinpaint.io import open_video, read_frames, write_png
from vinpaint.testing.synthetic import make_panning_clip

from .helpers import write_video


@pytest.fixture(scope="module")
def clip():
    return make_panning_clip(frames=10, height=32, width=48)


def test_folder_range_is_the_files_of_the_range(clip, tmp_path):
    for index, frame in enumerate(clip.frames):
        write_png(tmp_path / f"{index:05d}.png", frame)
    frames = read_frames(tmp_path, 3, 6)
    np.testing.assert_array_equal(frames, clip.frames[3:7])


def test_video_range_equals_the_same_frames_of_a_full_decode(clip, tmp_path):
    path = write_video(tmp_path / "clip.mp4", clip.frames)
    everything = open_video(path).read_all()
    np.testing.assert_array_equal(read_frames(path, 4, 4), everything[4:5])
    np.testing.assert_array_equal(read_frames(path, 7, 9), everything[7:10])


def test_range_past_the_last_frame_is_refused(clip, tmp_path):
    for index, frame in enumerate(clip.frames):
        write_png(tmp_path / f"{index:05d}.png", frame)
    with pytest.raises(InvalidOptionError, match="outside the clip's frames 0-9"):
        read_frames(tmp_path, 8, 10)


def test_empty_range_is_refused(clip, tmp_path):
    for index, frame in enumerate(clip.frames):
        write_png(tmp_path / f"{index:05d}.png", frame)
    with pytest.raises(InvalidOptionError, match="FIRST <= LAST"):
        read_frames(tmp_path, 5, 4)
