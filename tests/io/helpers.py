"""Writing small test videos with PyAV (optionally with an audio track and custom timestamps)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np


def write_video(path: Path, frames: np.ndarray, *, codec: str = "libx264", pix_fmt: str = "yuv420p",
                pts: list[int] | None = None, time_base: Fraction = Fraction(1, 30), audio: bool = False,
                options: dict | None = None) -> Path:
    """Encode ``(T,H,W,3)`` uint8 frames; with ``audio`` a 440 Hz AAC tone covers the clip."""
    pts = list(range(len(frames))) if pts is None else pts
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=int(round(1 / time_base)) if time_base.numerator == 1 else 30,
                                      options=options or ({"crf": "10"} if codec == "libx264" else {}))
        stream.width, stream.height, stream.pix_fmt = frames.shape[2], frames.shape[1], pix_fmt
        stream.time_base = time_base
        stream.codec_context.time_base = time_base
        audio_stream = container.add_stream("aac", rate=48000) if audio else None
        for image, p in zip(frames, pts):
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts, frame.time_base = p, time_base
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
        if audio_stream is not None:
            seconds = float((pts[-1] + 1) * time_base)
            samples = np.sin(2 * np.pi * 440 * np.arange(int(48000 * seconds)) / 48000).astype(np.float32)
            for start in range(0, len(samples), 1024):
                chunk = samples[start : start + 1024][None]
                frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="mono")
                frame.sample_rate, frame.pts = 48000, start
                for packet in audio_stream.encode(frame):
                    container.mux(packet)
            for packet in audio_stream.encode():
                container.mux(packet)
    return path


def audio_packet_count(path: Path) -> int:
    with av.open(str(path)) as container:
        if not container.streams.audio:
            return 0
        return sum(1 for p in container.demux(container.streams.audio[0]) if p.size)
