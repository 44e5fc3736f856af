"""``vinpaint remove - --mask logo.png --preset live -o -``: a video stream in on stdin, out on stdout.

The ffmpeg command line may be absent (PyAV carries its own FFmpeg libraries), so the input stream is
the bytes of a lossless .mkv written with PyAV, as ``ffmpeg ... -f matroska -`` would pipe them.
"""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest

from vinpaint.composite import dilate_mask
from vinpaint.errors import OutputError, UnreadableInputError
from vinpaint.io import EncodeOptions, encode_frames, open_masks, open_video, write_png
from vinpaint.io.writers import check_output
from vinpaint.testing.synthetic import make_panning_clip


def vinpaint_command() -> list[str]:
    """The installed ``vinpaint`` script beside this interpreter, else the same entry point through ``-c``."""
    script = Path(sys.executable).parent / "vinpaint"
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from vinpaint.cli import main; sys.exit(main())"]


def decode(data: bytes) -> np.ndarray:
    with av.open(io.BytesIO(data)) as container:
        return np.stack([frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)])


@pytest.fixture(scope="module")
def piped(tmp_path_factory):
    """The clip, its fixed logo mask, and what ``vinpaint remove - ... -o -`` wrote on stdout and stderr."""
    folder = tmp_path_factory.mktemp("pipe")
    clip = make_panning_clip(frames=12, height=48, width=64)
    mask = np.zeros((48, 64), bool)
    mask[6:14, 40:58] = True  # a logo-sized corner region
    frames = clip.frames.copy()
    frames[:, mask] = (250, 250, 250)
    encode_frames(frames, folder / "in.mkv")  # FFV1: lossless
    write_png(folder / "logo.png", mask)
    done = subprocess.run([*vinpaint_command(), "remove", "-", "--mask", str(folder / "logo.png"), "-o", "-",
                           "--preset", "live"], input=(folder / "in.mkv").read_bytes(), capture_output=True,
                          timeout=120, check=False)
    return frames, mask, done


def test_stdin_to_stdout_keeps_every_frame_and_its_size(piped):
    frames, _, done = piped
    assert done.returncode == 0, done.stderr.decode()
    out = decode(done.stdout)
    assert out.shape == frames.shape


def test_stdin_to_stdout_keeps_the_unmasked_pixels_and_fills_the_logo(piped):
    frames, mask, done = piped
    out = decode(done.stdout)
    grown = dilate_mask(mask, 4)  # the default --dilate
    np.testing.assert_array_equal(out[:, ~grown], frames[:, ~grown])  # rawvideo out of lossless in: exact
    assert (out[:, mask] != 250).any(axis=-1).mean() > 0.9  # the white logo is gone


def test_stdout_holds_only_the_video(piped):
    _, _, done = piped
    with av.open(io.BytesIO(done.stdout)) as container:
        assert container.format.name == "nut"  # the default --format
        assert container.streams.video[0].codec_context.name == "rawvideo"
    assert b"Traceback" not in done.stderr


def test_stdout_on_a_terminal_is_refused(monkeypatch):
    monkeypatch.setattr("vinpaint.io.writers.os.isatty", lambda fd: True)
    with pytest.raises(OutputError, match="terminal"):
        check_output("-")


def test_a_url_output_is_returned_as_given():
    assert check_output("udp://127.0.0.1:1234") == "udp://127.0.0.1:1234"


def test_stream_reader_reads_a_url_once(tmp_path):
    clip = make_panning_clip(frames=5, height=32, width=48)
    encode_frames(clip.frames, tmp_path / "clip.mkv")
    source = open_video(f"file:{tmp_path / 'clip.mkv'}")
    assert source.info.frame_count is None and (source.info.width, source.info.height) == (48, 32)
    np.testing.assert_array_equal(source.read_all(), clip.frames)
    with pytest.raises(UnreadableInputError, match="only once"):
        source.read_all()


def test_one_mask_image_repeats_for_a_stream_of_unknown_length(tmp_path):
    mask = np.zeros((32, 48), bool)
    mask[4:10, 4:20] = True
    write_png(tmp_path / "logo.png", mask)
    masks = iter(open_masks(tmp_path / "logo.png", None, 32, 48))
    for _ in range(100):
        np.testing.assert_array_equal(next(masks), mask)


def test_stream_formats_are_checked():
    with pytest.raises(OutputError, match="nut"):
        EncodeOptions(stream_format="avi")


def test_an_mp4_on_stdin_is_refused_with_the_containers_to_pipe_instead(tmp_path):
    noise = np.random.default_rng(0).integers(0, 256, (20, 96, 128, 3), dtype=np.uint8)
    # its index (moov) comes last, past what FFmpeg buffers of a pipe (noise does not compress)
    encode_frames(noise, tmp_path / "in.mp4")
    logo = np.zeros((96, 128), bool)
    logo[4:12, 90:120] = True
    write_png(tmp_path / "logo.png", logo)
    done = subprocess.run([*vinpaint_command(), "remove", "-", "--mask", str(tmp_path / "logo.png"), "-o",
                           str(tmp_path / "out.mkv"), "--preset", "live", "-q"], input=(tmp_path / "in.mp4").read_bytes(),
                          capture_output=True, timeout=120, check=False)
    message = done.stderr.decode()
    assert done.returncode != 0 and "-f nut" in message and "Errno" not in message, message
