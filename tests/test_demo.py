"""The built-in demo (``make demo``): its folder is checked before anything is written."""

import numpy as np
import pytest

from vinpaint.errors import OutputError
from vinpaint.io import encode_frames, write_png
from vinpaint.io.writers import FOLDER_MARK
from vinpaint.testing.demo import _demo_folder, run_demo


def test_the_demo_beats_per_frame_telea_and_may_run_again_in_its_folder(tmp_path):
    result = run_demo(tmp_path / "demo")
    assert result.psnr_hole > result.psnr_hole_baseline + 6  # measured 32.7 against 16.6 dB
    assert result.output.is_file() and (tmp_path / "demo" / FOLDER_MARK).is_file()
    assert _demo_folder(tmp_path / "demo") == tmp_path / "demo"


def test_the_demo_never_writes_into_a_folder_of_the_users(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "input.mp4").write_bytes(b"my video")
    with pytest.raises(OutputError, match="not written by vinpaint"):
        run_demo(tmp_path / "mine")
    assert (tmp_path / "mine" / "input.mp4").read_bytes() == b"my video"
    assert sorted(path.name for path in (tmp_path / "mine").iterdir()) == ["input.mp4"]


def test_a_demo_folder_from_before_folders_were_marked_is_taken_as_the_demos(tmp_path):
    folder = tmp_path / "demo-output"
    folder.mkdir()
    frames = np.zeros((2, 16, 16, 3), np.uint8)
    encode_frames(frames, folder / "input.mp4")
    encode_frames(frames, folder / "result.mp4")
    (folder / "mask").mkdir()
    write_png(folder / "mask" / "00000.png", np.zeros((16, 16), bool))
    assert _demo_folder(folder) == folder
    assert (folder / FOLDER_MARK).is_file() and (folder / "mask" / FOLDER_MARK).is_file()


def test_a_file_where_the_demo_folder_should_be_is_refused(tmp_path):
    (tmp_path / "demo.png").write_bytes(b"mine")
    with pytest.raises(OutputError, match="is a file"):
        run_demo(tmp_path / "demo.png")
