"""``vinpaint batch`` and ``vinpaint remove --workers``: thin layers, one summary table."""

from __future__ import annotations

import numpy as np
from click.testing import CliRunner

from tests.distributed.conftest import decode, write_case
from vinpaint.cli import main


def test_batch_folder_reports_each_item_and_fails_when_one_did(tmp_path):
    clips = tmp_path / "clips"
    video, masks = write_case(clips, frames=6)
    masks.rename(clips / "clip.masks")
    (clips / "broken.mp4").write_bytes(b"not a video")
    result = CliRunner().invoke(main, ["batch", str(clips), "-o", str(tmp_path / "out"), "--suffix", ".mkv",
                                       "--workers", "1", "-q", "--mask", str(clips / "clip.masks")])
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["input", "status", "seconds"]
    assert [line.split()[:2] for line in lines[1:]] == [["broken.mp4", "failed"], ["clip.mkv", "done"]]
    assert decode(tmp_path / "out" / "clip.mkv")[0].shape == decode(video)[0].shape


def test_remove_with_workers_writes_the_same_frames_count(tmp_path):
    video, masks = write_case(tmp_path, frames=12)
    result = CliRunner().invoke(main, ["remove", str(video), "--mask", str(masks), "-o", str(tmp_path / "out.mkv"),
                                       "--workers", "1", "--chunk-frames", "5", "--window", "5", "-q"])
    assert result.exit_code == 0, result.output
    frames, stamps = decode(tmp_path / "out.mkv")
    assert stamps == decode(video)[1]
    assert not np.array_equal(frames, decode(video)[0])  # the square was filled
