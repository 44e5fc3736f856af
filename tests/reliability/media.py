"""Tiny media for the reliability suite: clips, audio-only files, truncated copies and mask folders.

Every builder writes into a folder the test owns and returns the path.  Frames follow the package
convention (``(T,H,W,3)`` uint8 RGB); mask images are 0/255 greyscale PNGs unless said otherwise.
Plain H.264 clips come from :func:`tests.io.helpers.write_video`; this module adds what it does not
do (two audio tracks, rotation, audio alone, palette masks, broken mask folders).
"""

from __future__ import annotations

import hashlib
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image

from tests.io.helpers import write_video

AUDIO_RATE = 48000


def textured_frames(frame_count: int = 12, height: int = 48, width: int = 64, *, seed: int = 0) -> np.ndarray:
    """``(T,H,W,3)`` uint8: a smooth random texture panning one pixel a frame to the right."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 256, size=(height // 4 + 2, (width + frame_count) // 4 + 2, 3), dtype=np.uint8)
    texture = np.asarray(Image.fromarray(coarse).resize(((width + frame_count), height), Image.BILINEAR))
    return np.stack([texture[:, frame_count - t : frame_count - t + width] for t in range(frame_count)])


def box_masks(frame_count: int, height: int, width: int, *, top: int = 10, left: int = 12, size: int = 12) -> np.ndarray:
    """``(T,H,W)`` bool: a square of ``size`` moving one pixel a frame to the right."""
    masks = np.zeros((frame_count, height, width), bool)
    for t in range(frame_count):
        masks[t, top : top + size, left + t : left + t + size] = True
    return masks


def write_clip(path: Path, frames: np.ndarray, *, audio_tracks: int = 0, rotation: int = 0,
               pts: list[int] | None = None, time_base: Fraction = Fraction(1, 30)) -> Path:
    """Encode ``frames`` as H.264 (yuv444p when a side is odd) with 0-2 AAC tracks and rotation metadata.

    ``rotation`` is the display matrix angle in degrees counter-clockwise (what ``VideoFrame.rotation``
    reads back); ``pts`` in ``time_base`` units gives variable frame rate.
    """
    if audio_tracks == 0 and rotation == 0 and frames.shape[1] % 2 == 0 and frames.shape[2] % 2 == 0:
        return write_video(path, frames, pts=pts, time_base=time_base)
    pts = list(range(len(frames))) if pts is None else pts
    height, width = frames.shape[1:3]
    odd = height % 2 or width % 2
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=30, options={"crf": "10"})
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv444p" if odd else "yuv420p"
        stream.time_base = stream.codec_context.time_base = time_base
        if rotation:
            stream.set_display_rotation(rotation)
        audio_streams = [container.add_stream("aac", rate=AUDIO_RATE) for _ in range(audio_tracks)]
        for image, p in zip(frames, pts):
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts, frame.time_base = p, time_base
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
        _write_tones(container, audio_streams, seconds=float((pts[-1] + 1) * time_base))
    return path


def write_audio_only(path: Path, *, seconds: float = 0.5) -> Path:
    """An ``.mp4`` holding one AAC track and no video."""
    with av.open(str(path), "w") as container:
        _write_tones(container, [container.add_stream("aac", rate=AUDIO_RATE)], seconds=seconds)
    return path


def _write_tones(container, streams: list, *, seconds: float) -> None:
    """A mono sine per stream (440 Hz, 660 Hz...) lasting ``seconds``."""
    for index, stream in enumerate(streams):
        samples = np.sin(2 * np.pi * 440 * (1 + index / 2) * np.arange(int(AUDIO_RATE * seconds)) / AUDIO_RATE)
        samples = samples.astype(np.float32)
        for start in range(0, len(samples), 1024):
            frame = av.AudioFrame.from_ndarray(samples[None, start : start + 1024], format="fltp", layout="mono")
            frame.sample_rate, frame.pts = AUDIO_RATE, start
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def truncated_copy(source: Path, path: Path, length: int) -> Path:
    """The first ``length`` bytes of ``source``."""
    path.write_bytes(source.read_bytes()[:length])
    return path


def write_mask_folder(folder: Path, masks: np.ndarray) -> Path:
    """``(T,H,W)`` bool -> ``folder/00000.png...`` as 0/255 greyscale PNGs."""
    folder.mkdir(parents=True, exist_ok=True)
    for index, mask in enumerate(masks):
        Image.fromarray(mask.astype(np.uint8) * 255).save(folder / f"{index:05d}.png")
    return folder


def write_palette_mask_folder(folder: Path, labels: np.ndarray) -> Path:
    """``(T,H,W)`` integer object ids -> palette PNGs (DAVIS style: pixel value = object id)."""
    folder.mkdir(parents=True, exist_ok=True)
    palette = [0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255] + [128] * (256 - 4) * 3
    for index, frame_labels in enumerate(labels):
        height, width = frame_labels.shape
        image = Image.frombytes("P", (width, height), np.ascontiguousarray(frame_labels, dtype=np.uint8).tobytes())
        image.putpalette(palette)
        image.save(folder / f"{index:05d}.png")
    return folder


def sha256_tree(path: Path) -> dict[str, str]:
    """sha256 of a file, or of every file under a folder, keyed by relative path (symlinks not followed)."""
    if path.is_file() and not path.is_symlink():
        return {path.name: hashlib.sha256(path.read_bytes()).hexdigest()}
    return {
        str(file.relative_to(path)): ("link->" + str(file.readlink())) if file.is_symlink()
        else hashlib.sha256(file.read_bytes()).hexdigest()
        for file in sorted(path.rglob("*")) if file.is_file() or file.is_symlink()
    }
