"""Every registry's entries, tested by parametrising over the registry itself.

A plug-in registered tomorrow is tested here the day it lands.  Flow estimators are tested the same
way in ``tests/flow/test_flow.py``, engines in ``tests/engines/test_engines.py`` and mask sources in
``tests/masks/test_sources.py``; this file holds what those do not.
"""

from fractions import Fraction

import numpy as np
import pytest

from vinpaint.engines import ENGINES
from vinpaint.fill import SPATIAL_FILLERS, fill_spatial
from vinpaint.io import READERS, WRITERS, EncodeOptions, VideoInfo, open_video, open_writer

#: for each writer: an output name it writes (lossless) and the reader that reads it back
ROUND_TRIPS = {"container": ("clip.mkv", "video"), "png-folder": ("frames", "folder"), "stream": ("clip.nut", "stream")}


def _target(tmp_path, output: str):
    """Where a round trip writes: the stream writer and reader take an FFmpeg URL (``file:``), not a path."""
    return f"file:{tmp_path / output}" if output.endswith(".nut") else tmp_path / output


def _smooth_clip(frames: int = 4, height: int = 32, width: int = 48) -> np.ndarray:
    """A smooth gradient that moves one pixel a frame: every filler and codec handles it well."""
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    clip = [np.stack([4 * (xs + t), 5 * ys, 2 * (xs + ys)], axis=-1) for t in range(frames)]
    return np.clip(np.stack(clip), 0, 255).astype(np.uint8)


def _write(frames: np.ndarray, path) -> None:
    info = VideoInfo(path, frames.shape[2], frames.shape[1], len(frames), Fraction(25), Fraction(1, 25))
    with open_writer(path, info, options=EncodeOptions(lossless=True)) as writer:
        for index, frame in enumerate(frames):
            writer.write(frame, index)


@pytest.mark.parametrize("name", WRITERS.names())
def test_writer_output_reads_back_bit_exact(name, tmp_path):
    assert name in ROUND_TRIPS, f"writer {name!r} has no round trip in this test: add one"
    output, _ = ROUND_TRIPS[name]
    frames = _smooth_clip()
    _write(frames, _target(tmp_path, output))
    np.testing.assert_array_equal(open_video(_target(tmp_path, output)).read_all(), frames)


@pytest.mark.parametrize("name", READERS.names())
def test_open_video_uses_the_registered_reader(name, tmp_path):
    writers = [writer for writer, (_, reader) in ROUND_TRIPS.items() if reader == name]
    assert writers, f"reader {name!r} has no writer in ROUND_TRIPS: add one"
    output, _ = ROUND_TRIPS[writers[0]]
    frames = _smooth_clip()
    _write(frames, _target(tmp_path, output))
    source = open_video(_target(tmp_path, output))
    assert type(source) is READERS.get(name)
    count = len(source.read_all()) if name == "stream" else source.info.frame_count  # a stream's is known at its end
    assert (count, source.info.height, source.info.width) == frames.shape[:3]


@pytest.mark.parametrize("method", SPATIAL_FILLERS.names())
def test_filler_fills_the_hole_and_leaves_the_rest(method):
    frame = _smooth_clip(frames=1, height=48, width=64)[0]
    hole = np.zeros(frame.shape[:2], bool)
    hole[18:30, 24:40] = True
    painted = frame.copy()
    painted[hole] = (255, 0, 255)  # what the hole hides must not leak into the fill
    out = fill_spatial(painted, hole, method=method)
    assert out.shape == frame.shape and out.dtype == np.uint8
    np.testing.assert_array_equal(out[~hole], painted[~hole])
    before = np.abs(painted[hole].astype(int) - frame[hole]).mean()
    after = np.abs(out[hole].astype(int) - frame[hole]).mean()
    assert after < 0.2 * before  # patchmatch copies patches: about 0.11 on this gradient


@pytest.mark.parametrize("name", ENGINES.names())
def test_engine_keeps_every_pixel_outside_the_holes(name, small_clip):
    out = ENGINES.get(name)(small_clip.frames, small_clip.masks)
    outside = ~small_clip.masks
    np.testing.assert_array_equal(out[outside], small_clip.frames[outside])

