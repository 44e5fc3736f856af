"""Issue 11, streams: subtitles copied like audio, bit depth and timestamps kept, truncation named."""

from __future__ import annotations

import logging
from fractions import Fraction
from pathlib import Path

import av
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
from vinpaint import remove_file
from vinpaint.cli import main
from vinpaint.io import open_video

FRAMES, HEIGHT, WIDTH = 10, 48, 64
SUBTITLE_BASE = Fraction(1, 1000)


def write_clip_with_subtitles(path: Path, subtitle_codec: str) -> Path:
    """H.264 video, two AAC tracks (one silent, one a ramp) and one subtitle stream of two cues."""
    frames = textured_frames(FRAMES, HEIGHT, WIDTH)
    with av.open(str(path), "w") as container:
        video = container.add_stream("libx264", rate=30, options={"crf": "10"})
        video.width, video.height, video.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        video.time_base = video.codec_context.time_base = Fraction(1, 30)
        audio = [container.add_stream("aac", rate=48000) for _ in range(2)]
        subtitles = container.add_mux_stream(subtitle_codec)
        subtitles.time_base = SUBTITLE_BASE
        for index, image in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts, frame.time_base = index, Fraction(1, 30)
            container.mux(video.encode(frame))
        container.mux(video.encode())
        for track, stream in enumerate(audio):
            for start in range(0, 16384, 1024):
                samples = np.linspace(-track / 4, track / 4, 1024, dtype=np.float32)[None]
                frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout="mono")
                frame.sample_rate, frame.pts = 48000, start
                container.mux(stream.encode(frame))
            container.mux(stream.encode())
        for start, text in ((0, "first cue"), (150, "second cue")):
            data = text.encode() if subtitle_codec != "mov_text" else len(text).to_bytes(2, "big") + text.encode()
            packet = av.Packet(data)
            packet.stream, packet.time_base = subtitles, SUBTITLE_BASE
            packet.pts = packet.dts = start
            packet.duration = 100
            container.mux(packet)
    return path


def stream_packets(path: Path) -> list[tuple[str, str, list[tuple[bytes, float | None]]]]:
    """Per non-video stream: type, codec, and its packets' bytes and times in seconds (ms precision)."""
    with av.open(str(path)) as container:
        streams = [stream for stream in container.streams if stream.type != "video"]
        packets: dict[int, list] = {stream.index: [] for stream in streams}
        for packet in container.demux(*streams):
            if packet.size:
                time = None if packet.pts is None else round(float(packet.pts * packet.time_base), 3)
                packets[packet.stream.index].append((bytes(packet), time))
        return [(stream.type, stream.codec_context.codec.canonical_name, packets[stream.index]) for stream in streams]


def video_times(path: Path) -> list[float]:
    source = open_video(path)
    return [round(float(frame.pts * source.info.time_base), 3) for frame in source]


@pytest.fixture
def masks(tmp_path) -> Path:
    return write_mask_folder(tmp_path / "masks", box_masks(FRAMES, HEIGHT, WIDTH))


@pytest.mark.parametrize(("suffix", "subtitle_codec"), [(".mkv", "subrip"), (".mp4", "mov_text")])
def test_audio_and_subtitle_streams_are_copied_bit_exact_with_their_timestamps(tmp_path, masks, suffix, subtitle_codec):
    source = write_clip_with_subtitles(tmp_path / f"in{suffix}", subtitle_codec)
    before = sha256_tree(source)
    output = remove_file(source, masks, tmp_path / f"out{suffix}", engine="perframe")
    copied, original = stream_packets(output), stream_packets(source)
    assert [kind for kind, _, _ in original] == ["audio", "audio", "subtitle"]
    assert copied == original
    assert video_times(output) == video_times(source)
    assert sha256_tree(source) == before


def test_subtitles_the_container_cannot_hold_are_dropped_with_a_warning(tmp_path, masks, caplog):
    source = write_clip_with_subtitles(tmp_path / "in.mkv", "subrip")
    with caplog.at_level(logging.WARNING, logger="vinpaint.io.writers"):
        output = remove_file(source, masks, tmp_path / "out.mp4", engine="perframe")
    assert "subtitle stream #3 (subrip) is not written" in caplog.text
    assert [kind for kind, _, _ in stream_packets(output)] == ["audio", "audio"]
    assert stream_packets(output) == stream_packets(source)[:2]


def test_mkv_from_mp4_with_aac_keeps_video_timestamps(tmp_path, masks):
    source = write_clip(tmp_path / "in.mp4", textured_frames(FRAMES, HEIGHT, WIDTH), audio_tracks=1)
    output = remove_file(source, masks, tmp_path / "out.mkv", engine="perframe")
    assert video_times(output) == video_times(source)
    assert video_times(output)[0] == 0.0


def write_ten_bit(path: Path, frames: np.ndarray) -> Path:
    """Lossless 10-bit 4:2:0 (FFV1), samples 4x the 8-bit ones plus a low-bit pattern 8 bits cannot hold."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("ffv1", rate=30)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p10le"
        stream.time_base = stream.codec_context.time_base = Fraction(1, 30)
        for index, image in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(image, format="rgb24").reformat(format="yuv420p10le")
            planes = frame.to_ndarray()
            planes = (planes & ~np.uint16(3)) | np.uint16(index % 4)  # low bits an 8-bit round trip loses
            frame = av.VideoFrame.from_ndarray(planes, format="yuv420p10le")
            frame.pts, frame.time_base = index, Fraction(1, 30)
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return path


def decoded_planes(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [frame.to_ndarray() for frame in container.decode(video=0)]


@pytest.mark.parametrize(("name", "lossless"), [("out.mkv", False), ("out.mp4", True), ("out.mp4", False)])
def test_ten_bit_source_comes_out_ten_bit(tmp_path, masks, name, lossless):
    from vinpaint.io import EncodeOptions

    source = write_ten_bit(tmp_path / "in.mkv", textured_frames(FRAMES, HEIGHT, WIDTH))
    output = remove_file(source, masks, tmp_path / name, engine="perframe", encode=EncodeOptions(lossless=lossless))
    with av.open(str(output)) as container:
        assert container.streams.video[0].codec_context.format.name == "yuv420p10le"
    if name == "out.mkv" or lossless:  # lossless codecs: samples away from the hole are the source's
        hole = box_masks(FRAMES, HEIGHT, WIDTH)
        for index, (written, original) in enumerate(zip(decoded_planes(output), decoded_planes(source))):
            luma_far = np.ones((HEIGHT, WIDTH), bool)
            top, left = np.argwhere(hole[index]).min(axis=0) - 8
            bottom, right = np.argwhere(hole[index]).max(axis=0) + 8
            luma_far[max(top, 0) : bottom, max(left, 0) : right] = False
            assert np.array_equal(written[:HEIGHT][luma_far], original[:HEIGHT][luma_far])
            assert not np.array_equal(written[:HEIGHT], original[:HEIGHT])  # the hole was filled


def test_truncated_file_says_where_decoding_stopped(tmp_path):
    frames = textured_frames(30, HEIGHT, WIDTH)
    whole = tmp_path / "whole.mp4"
    with av.open(str(whole), "w", options={"movflags": "faststart"}) as container:
        stream = container.add_stream("libx264", rate=30, options={"crf": "10", "g": "1"})
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        for image in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")))
        container.mux(stream.encode())
    data = whole.read_bytes()
    with av.open(str(whole)) as container:
        offsets = [packet.pos for packet in container.demux(video=0) if packet.size]
    truncated = tmp_path / "cut.mp4"
    truncated.write_bytes(data[: offsets[11] + 10])  # frames 0-10 whole, frame 11 cut short
    masks = write_mask_folder(tmp_path / "m", box_masks(30, HEIGHT, WIDTH))
    before = sha256_tree(truncated)
    result = CliRunner().invoke(main, ["remove", str(truncated), "-m", str(masks), "-o", str(tmp_path / "out.mp4"),
                                       "--engine", "perframe", "-q"])
    assert result.exit_code == 2
    assert "decoding stopped at frame 11 of 30 (the file is truncated or damaged)" in result.output
    assert sha256_tree(truncated) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cut.mp4", "m", "whole.mp4"]
