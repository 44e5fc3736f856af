"""Video writers: H.264, FFV1, VP9 through PyAV, or a folder of PNG frames.

The output's extension picks the writer (:data:`EXTENSIONS`).  Writers keep the source's frame
timestamps (variable frame rate too) and copy every audio stream of the source unchanged, transcoding
only a codec the target container cannot hold.  They write to a temporary file beside the target and
rename it on success, so a failed run leaves no half-written output.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from ..errors import InvalidOptionError, OutputError
from ..registry import Registry
from .images import write_png
from .readers import VideoInfo

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EncodeOptions:
    """Encoder settings; ``crf`` is H.264's (0-51, lower = better) and is mapped for VP9."""

    crf: int = 18
    lossless: bool = False
    preset: str = "medium"

    def __post_init__(self) -> None:
        if not 0 <= self.crf <= 51:
            raise InvalidOptionError(f"--crf must be in 0-51 (18 is visually lossless), got {self.crf}")


class VideoSink:
    """Base class of writers: ``write(image, pts)`` then ``close()``; ``abort()`` on failure."""

    def write(self, image: np.ndarray, pts: int) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def abort(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> VideoSink:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


WRITERS: Registry[type[VideoSink]] = Registry("writer")

#: extension -> (writer name, codec for lossy output, codec for lossless output)
EXTENSIONS: dict[str, tuple[str, str, str]] = {
    ".mp4": ("container", "libx264", "libx264rgb"),
    ".mov": ("container", "libx264", "libx264rgb"),
    ".m4v": ("container", "libx264", "libx264rgb"),
    ".mkv": ("container", "ffv1", "ffv1"),
    ".webm": ("container", "libvpx-vp9", "libvpx-vp9"),
    ".avi": ("container", "ffv1", "ffv1"),
}
#: audio codec used when the source's cannot be copied into the container
_AUDIO_FALLBACK = {".webm": "libopus"}


def _video_settings(codec: str, width: int, height: int, options: EncodeOptions) -> tuple[str, dict[str, str]]:
    """Pixel format and encoder options for ``codec`` (odd sizes need 4:4:4: 4:2:0 halves them)."""
    odd = width % 2 or height % 2
    if codec == "libx264rgb":
        return "rgb24", {"qp": "0", "preset": options.preset}
    if codec == "libx264":
        if odd:
            log.warning("%dx%d is odd-sized: writing H.264 4:4:4, which some players do not decode", width, height)
        return ("yuv444p" if odd else "yuv420p"), {"crf": str(options.crf), "preset": options.preset}
    if codec == "ffv1":
        return "bgr0", {"level": "3", "slicecrc": "1"}
    if codec == "libvpx-vp9":
        if options.lossless:
            return "gbrp", {"lossless": "1", "row-mt": "1", "cpu-used": "4"}
        vp9_crf = str(min(63, round(options.crf * 63 / 51) + 10))
        return ("yuv444p" if odd else "yuv420p"), {"crf": vp9_crf, "b": "0", "row-mt": "1", "cpu-used": "4"}
    raise OutputError(f"no settings for codec {codec}")


@WRITERS.register("container")
class ContainerSink(VideoSink):
    """A container file written by PyAV, with the source's audio streams copied."""

    def __init__(self, path: Path, info: VideoInfo, options: EncodeOptions, *, audio_source: Path | None) -> None:
        import av

        self.path = path
        self.temporary = _temporary_path(path)
        suffix = path.suffix.lower()
        codec = EXTENSIONS[suffix][2 if options.lossless else 1]
        pix_fmt, codec_options = _video_settings(codec, info.width, info.height, options)
        self.container = av.open(str(self.temporary), "w", format=_format_for(suffix))
        rate = info.fps.limit_denominator(1001000) if info.fps else Fraction(25)
        self.stream = self.container.add_stream(codec, rate=rate, options=codec_options)
        self.stream.width, self.stream.height, self.stream.pix_fmt = info.width, info.height, pix_fmt
        self.time_base = info.time_base
        self.stream.time_base = info.time_base
        self.stream.codec_context.time_base = info.time_base
        self._audio = _AudioCopier(self.container, audio_source, suffix) if audio_source else None
        self.frames = 0

    def write(self, image: np.ndarray, pts: int) -> None:
        import av

        frame = av.VideoFrame.from_ndarray(image, format="rgb24")
        frame.pts, frame.time_base = pts, self.time_base
        for packet in self.stream.encode(frame):
            self.container.mux(packet)
        if self._audio:
            self._audio.mux_until(float(pts * self.time_base))
        self.frames += 1

    def close(self) -> None:
        for packet in self.stream.encode():
            self.container.mux(packet)
        if self._audio:
            self._audio.mux_until(float("inf"))
            self._audio.close()
        self.container.close()
        os.replace(self.temporary, self.path)
        log.info("wrote %d frames to %s", self.frames, self.path)

    def abort(self) -> None:
        try:
            if self._audio:
                self._audio.close()
            self.container.close()
        except Exception:  # noqa: BLE001 - already failing; the temporary file is removed below
            pass
        self.temporary.unlink(missing_ok=True)


class _AudioCopier:
    """Streams the source's audio packets into the output, interleaved with the video by time."""

    def __init__(self, container, source: Path, suffix: str) -> None:
        import av

        self.input = av.open(str(source))
        self.pairs = []
        for in_stream in self.input.streams.audio:
            name = in_stream.codec_context.name
            if suffix == ".webm":
                copyable = name in ("opus", "vorbis")  # the only audio WebM allows
            else:
                copyable = name in container.supported_codecs
            if copyable:
                out_stream = container.add_stream_from_template(in_stream)
                self.pairs.append((in_stream, out_stream, None))
            else:
                target = _AUDIO_FALLBACK.get(suffix, "aac")
                log.warning("audio codec %s does not fit %s: transcoding it to %s", name, suffix, target)
                out_stream = container.add_stream(target, rate=in_stream.rate or 48000)
                out_stream.layout = in_stream.layout.name if in_stream.layout else "stereo"
                resampler = av.AudioResampler(format=out_stream.format, layout=out_stream.layout, rate=out_stream.rate)
                self.pairs.append((in_stream, out_stream, resampler))
        self.container = container
        streams = [pair[0] for pair in self.pairs]
        self.packets: Iterator = self.input.demux(*streams) if streams else iter(())
        self.pending = None

    def mux_until(self, seconds: float) -> None:
        while True:
            if self.pending is None:
                self.pending = next(self.packets, None)
                if self.pending is None:
                    return
            packet = self.pending
            if packet.dts is not None and packet.time_base is not None and float(packet.dts * packet.time_base) > seconds:
                return
            self.pending = None
            self._mux(packet)

    def _mux(self, packet) -> None:
        for in_stream, out_stream, resampler in self.pairs:
            if packet.stream is not in_stream:
                continue
            if resampler is None:
                if packet.size == 0:
                    return
                packet.stream = out_stream
                self.container.mux(packet)
            else:
                for frame in packet.decode():
                    for resampled in resampler.resample(frame):
                        for out in out_stream.encode(resampled):
                            self.container.mux(out)
            return

    def close(self) -> None:
        for _, out_stream, resampler in self.pairs:
            if resampler is not None:
                for out in out_stream.encode(None):
                    self.container.mux(out)
        self.pairs = []
        self.input.close()


@WRITERS.register("png-folder")
class PngFolderSink(VideoSink):
    """A folder of lossless PNG frames ``00000.png, 00001.png...`` (no audio, no timestamps)."""

    def __init__(self, path: Path, info: VideoInfo, options: EncodeOptions, *, audio_source: Path | None) -> None:
        self.path = path
        self.temporary = Path(tempfile.mkdtemp(prefix=f".{path.name}.vinpaint-tmp-", dir=path.parent))
        if audio_source and info.audio_streams:
            log.warning("a folder of frames cannot hold audio: the %d audio stream(s) are not written", info.audio_streams)
        self.frames = 0

    def write(self, image: np.ndarray, pts: int) -> None:
        write_png(self.temporary / f"{self.frames:05d}.png", image)
        self.frames += 1

    def close(self) -> None:
        if self.path.exists():
            shutil.rmtree(self.path)
        os.replace(self.temporary, self.path)

    def abort(self) -> None:
        shutil.rmtree(self.temporary, ignore_errors=True)


def _format_for(suffix: str) -> str:
    return {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".mkv": "matroska", ".webm": "webm", ".avi": "avi"}[suffix]


def _temporary_path(path: Path) -> Path:
    return path.with_name(f".{path.stem}.vinpaint-tmp-{os.getpid()}{path.suffix}")


def is_folder_output(path: str | Path) -> bool:
    """A path without a video extension (or ending in a slash) names a folder of PNG frames."""
    text = str(path)
    return text.endswith(("/", os.sep)) or Path(text).suffix == "" or Path(text).is_dir()


def check_output(output: str | Path, *, inputs: tuple[str | Path, ...] = (), overwrite: bool = False) -> Path:
    """Validate an output path before any work is done.

    Raises:
        OutputError: unknown extension, same path as an input, exists without ``overwrite``,
            or a parent folder that is missing or not writable.
    """
    path = Path(output)
    if not is_folder_output(path) and path.suffix.lower() not in EXTENSIONS:
        valid = ", ".join(sorted(EXTENSIONS))
        raise OutputError(f"unknown output extension {path.suffix!r}; use one of {valid}, or a folder for PNG frames")
    resolved = path.resolve()
    for source in inputs:
        if source is not None and Path(source).resolve() == resolved:
            raise OutputError(f"the output {path} is an input; vinpaint never overwrites its input")
    if path.exists() and not overwrite:
        raise OutputError(f"{path} exists; pass --overwrite (overwrite=True) to replace it")
    parent = resolved.parent
    if not parent.is_dir():
        raise OutputError(f"the output folder {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise OutputError(f"the output folder {parent} is not writable")
    return path


def open_writer(
    output: str | Path,
    info: VideoInfo,
    *,
    options: EncodeOptions | None = None,
    audio_source: str | Path | None = None,
) -> VideoSink:
    """A writer for ``output`` chosen by its extension (a folder for PNG frames).

    Args:
        info: the source's size, rate and time base (timestamps passed to ``write`` use it).
        audio_source: a container whose audio streams are copied into the output (None = no audio).
    """
    path = Path(output)
    options = options or EncodeOptions()
    audio = Path(audio_source) if audio_source and info.audio_streams else None
    if is_folder_output(path):
        return WRITERS.get("png-folder")(path, info, options, audio_source=audio)
    writer_name = EXTENSIONS[path.suffix.lower()][0]
    return WRITERS.get(writer_name)(path, info, options, audio_source=audio)
