"""Video writers: H.264, FFV1, VP9 through PyAV, or a folder of PNG frames.

The output's extension picks the writer (:data:`EXTENSIONS`).  Writers keep the source's frame
timestamps (variable frame rate too, in the source's time base) and copy every audio, subtitle and data
stream of the source unchanged, transcoding audio the target container cannot hold and dropping, with a
warning, other streams it cannot hold.  A 10-bit (or deeper) source stays 10-bit where the codec can
hold it: pixels the transform did not change keep their decoded samples exactly.

Safety: they write to a temporary file (``.NAME.vinpaint-tmp-PID.ext``) or folder beside the target and
rename it on success, so a failed run leaves no half-written output, and the next run on the same
output removes what a killed run left.  They delete nothing they did not write: an existing folder is
replaced only when it holds nothing but ``NNNNN.png`` frames.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from ..errors import OutputError
from ..options import ENCODE_OPTIONS, spec_named, validate
from ..registry import Registry
from ..wording import first_names
from .images import WRITTEN_BY, png_written_by_vinpaint, write_png
from .readers import Frame, VideoInfo, is_stream

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EncodeOptions:
    """Encoder settings; ``crf`` is H.264's (lower = better) and is mapped for VP9.

    ``crf`` and ``lossless`` take their defaults and ranges from :data:`vinpaint.options.ENCODE_OPTIONS`;
    ``preset`` is x264's speed preset, not a user option.
    """

    crf: int = spec_named("crf", ENCODE_OPTIONS).default
    lossless: bool = spec_named("lossless", ENCODE_OPTIONS).default
    preset: str = "medium"
    #: container written to standard output (``-o -``), a key of :data:`STREAM_FORMATS`; files ignore it
    stream_format: str = "nut"

    def __post_init__(self) -> None:
        for spec in ENCODE_OPTIONS:
            object.__setattr__(self, spec.name, validate(spec, getattr(self, spec.name)))
        if self.stream_format not in STREAM_FORMATS:
            raise OutputError(f"unknown stream format {self.stream_format!r}; use one of {', '.join(STREAM_FORMATS)}")


class VideoSink:
    """Base class of writers: ``write(image, pts)`` then ``close()``; ``abort()`` on failure.

    ``write`` may be given the source :class:`Frame` the image came from; a writer that keeps the
    source's bit depth takes the unchanged pixels' samples from it.
    """

    def write(self, image: np.ndarray, pts: int, *, source: Frame | None = None) -> None:
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

#: the ``comment`` tag of every video file vinpaint writes: ``--overwrite`` replaces only a file carrying it
OUTPUT_MARK = WRITTEN_BY
#: the file vinpaint puts in every folder it fills (PNG frames, masks): ``--overwrite`` replaces a folder
#: that holds anything only if it carries this mark (a folder of the user's own ``NNNNN.png`` frames
#: looks just like vinpaint's otherwise); hidden, so readers of the folder skip it
FOLDER_MARK = ".vinpaint"


def mark_folder(folder: str | Path) -> None:
    """Put :data:`FOLDER_MARK` in ``folder``: vinpaint wrote it, and may replace it with ``--overwrite``."""
    (Path(folder) / FOLDER_MARK).write_text(f"{OUTPUT_MARK}\n", encoding="utf-8")


def refuse_foreign_folder(folder: Path, *, overwrite: bool, what: str = "output folder") -> None:
    """Raise :class:`OutputError` unless ``folder`` (an existing folder) may be filled: empty, or marked by
    vinpaint (:data:`FOLDER_MARK`) and ``overwrite`` given.  A folder vinpaint did not mark is refused even
    with ``overwrite``, whatever it holds."""
    try:
        empty = not any(os.scandir(folder))
    except OSError as error:
        raise _wrap_os_error(folder, error) from None
    if empty:
        return
    if not (folder / FOLDER_MARK).is_file():
        raise OutputError(f"{folder} is not empty and was not written by vinpaint (it has no {FOLDER_MARK} mark); "
                          f"vinpaint fills only an empty {what} or one it wrote (even with --overwrite): choose "
                          "another, or empty it yourself")
    if not overwrite:
        raise OutputError(f"{folder} exists; pass --overwrite (overwrite=True) to replace it")


def written_by_vinpaint(path: str | Path) -> bool:
    """Whether ``path`` is a video file vinpaint wrote (its container's ``comment`` tag is :data:`OUTPUT_MARK`)."""
    import av

    try:
        with av.open(str(path)) as container:
            tags = {key.lower(): value for key, value in container.metadata.items()}
    except (OSError, av.FFmpegError):
        return False
    return tags.get("comment") == OUTPUT_MARK


#: extension -> (writer name, codec for lossy output, codec for lossless output)
EXTENSIONS: dict[str, tuple[str, str, str]] = {
    ".mp4": ("container", "libx264", "libx264rgb"),
    ".mov": ("container", "libx264", "libx264rgb"),
    ".m4v": ("container", "libx264", "libx264rgb"),
    ".mkv": ("container", "ffv1", "ffv1"),
    ".webm": ("container", "libvpx-vp9", "libvpx-vp9"),
    ".avi": ("container", "ffv1", "ffv1"),
}
#: container written to standard output -> (codec, pixel format): each frame leaves as soon as it is written
STREAM_FORMATS: dict[str, tuple[str, str]] = {
    "nut": ("rawvideo", "rgb24"),  # no encoding: the fastest and lossless (W*H*3 bytes a frame); ffmpeg -i - reads it
    "matroska": ("ffv1", "bgr0"),  # lossless and intra-only (no frame held back), a few times smaller
    "mpegts": ("libx264", "yuv420p"),  # for network streams: H.264 tuned for zero latency
}
#: audio codec used when the source's cannot be copied into the container
_AUDIO_FALLBACK = {".webm": "libopus"}
#: the only audio codecs WebM allows (FFmpeg's query says more)
_WEBM_AUDIO = ("opus", "vorbis")
#: what a PNG folder writer writes, and so the only files it ever deletes
FRAME_NAME = re.compile(r"\d{5,}\.png")


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


def _deep_settings(codec: str, pix_fmt: str, options: EncodeOptions) -> tuple[str, str, dict[str, str]] | None:
    """Codec, pixel format and options that keep a high-bit-depth source's ``pix_fmt``, or None.

    Lossless H.264 of a YUV source is ``libx264`` at ``qp=0`` in the source's own format (libx264rgb
    is 8-bit RGB only).
    """
    import av

    if codec == "libx264rgb":
        codec, codec_options = "libx264", {"qp": "0", "preset": options.preset}
    elif codec == "libx264":
        codec_options = {"crf": str(options.crf), "preset": options.preset}
    elif codec == "ffv1":
        codec_options = {"level": "3", "slicecrc": "1"}
    else:
        return None
    formats = {f.name for f in av.Codec(codec, "w").video_formats or ()}
    return (codec, pix_fmt, codec_options) if pix_fmt in formats else None


def _wrap_os_error(path: Path, error: Exception) -> OutputError:
    reason = getattr(error, "strerror", None) or str(error)
    return OutputError(f"cannot write {path}: {reason}; choose an output in a writable folder")


@WRITERS.register("container")
class ContainerSink(VideoSink):
    """A container file written by PyAV, with the source's audio, subtitle and data streams copied."""

    def __init__(self, path: Path, info: VideoInfo, options: EncodeOptions, *, audio_source: Path | None) -> None:
        import av

        self.path = path
        self.temporary = _temporary_path(path)
        self.container = None
        self._copier = None
        suffix = path.suffix.lower()
        codec = EXTENSIONS[suffix][2 if options.lossless else 1]
        self.deep_format = None  # the source's high-bit-depth pixel format, when it is kept
        deep = _deep_settings(codec, info.pix_fmt, options) if info.bit_depth > 8 else None
        if deep:
            codec, pix_fmt, codec_options = deep
            self.deep_format = pix_fmt
        else:
            if info.bit_depth > 8:
                log.warning("%s (%s) cannot hold %d-bit video: the output is 8-bit; use .mkv or .mp4 to keep it",
                            path.name, codec, info.bit_depth)
            pix_fmt, codec_options = _video_settings(codec, info.width, info.height, options)
        try:
            self.container = open_output_container(self.temporary, suffix)
            self.stream = _add_video_stream(self.container, codec, info, pix_fmt, codec_options)
            self.time_base = info.time_base
            self._copier = _StreamCopier(self.container, audio_source, suffix) if audio_source else None
        except (OSError, av.FFmpegError) as error:
            self.abort()
            raise _wrap_os_error(path, error) from None
        self.frames = 0

    def write(self, image: np.ndarray, pts: int, *, source: Frame | None = None) -> None:
        import av

        if self.deep_format and source is not None and source.original is not None:
            frame = _composite_deep(image, source, self.deep_format)
        else:
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
        frame.pts, frame.time_base = pts, self.time_base
        try:
            for packet in self.stream.encode(frame):
                self.container.mux(packet)
            if self._copier:
                self._copier.mux_until(float(pts * self.time_base))
        except (OSError, av.FFmpegError) as error:
            raise _wrap_os_error(self.path, error) from None
        self.frames += 1

    def close(self) -> None:
        import av

        try:
            for packet in self.stream.encode():
                self.container.mux(packet)
            if self._copier:
                self._copier.mux_until(float("inf"))
                self._copier.close()
            self.container.close()
            os.replace(self.temporary, self.path)
        except (OSError, av.FFmpegError) as error:
            self.abort()
            raise _wrap_os_error(self.path, error) from None
        log.info("wrote %d frames to %s", self.frames, self.path)

    def abort(self) -> None:
        try:
            if self._copier:
                self._copier.close()
            if self.container is not None:
                self.container.close()
        except Exception:  # noqa: BLE001 - already failing; the temporary file is removed below
            pass
        try:
            self.temporary.unlink(missing_ok=True)
        except OSError:
            pass


def _composite_deep(image: np.ndarray, source: Frame, pix_fmt: str):
    """An ``av.VideoFrame`` in ``pix_fmt``: the source's samples where ``image`` equals the decoded
    8-bit frame, ``image`` converted up where the transform changed it.

    A chroma sample is taken from ``image`` when any pixel it covers changed (4:2:0 covers 2x2).
    """
    import av

    original = source.original
    if original.format.name != pix_fmt:
        original = original.reformat(format=pix_fmt)
    filled = av.VideoFrame.from_ndarray(image, format="rgb24").reformat(format=pix_fmt)
    changed = np.any(image != source.image, axis=2)
    height, width = changed.shape
    for plane_in, plane_out in zip(original.planes, filled.planes):
        bytes_per_sample = 2
        rows_in = np.frombuffer(plane_in, np.uint16).reshape(plane_in.height, plane_in.line_size // bytes_per_sample)
        rows_out = np.frombuffer(plane_out, np.uint16).reshape(plane_out.height, plane_out.line_size // bytes_per_sample)
        keep_in, new = rows_in[:, : plane_in.width], rows_out[:, : plane_out.width]
        step_y, step_x = -(-height // plane_out.height), -(-width // plane_out.width)
        padded = np.zeros((plane_out.height * step_y, plane_out.width * step_x), bool)
        padded[:height, :width] = changed
        plane_changed = padded.reshape(plane_out.height, step_y, plane_out.width, step_x).any(axis=(1, 3))
        merged = np.where(plane_changed, new, keep_in)
        buffer = rows_out.copy()
        buffer[:, : plane_out.width] = merged
        plane_out.update(buffer.tobytes())
    return filled


def _codec_name(stream) -> str:
    """The codec's canonical name (``subrip``, ``aac``), as the muxers' lists name it."""
    context = stream.codec_context
    if context is None:
        return stream.type
    return getattr(context.codec, "canonical_name", None) or context.name


class _StreamCopier:
    """Streams the source's audio, subtitle and data packets into the output, interleaved with the
    video by time.  Packets are copied unchanged (same bytes, same timestamps); audio the container
    cannot hold is transcoded, any other stream it cannot hold is dropped with a warning.
    """

    def __init__(self, container, source: Path, suffix: str) -> None:
        import av

        self.input = av.open(str(source))
        self.pairs = []
        supported = container.supported_codecs
        for in_stream in self.input.streams:
            if in_stream.type not in ("audio", "subtitle", "data"):
                continue
            if in_stream.codec_context is None:  # FFmpeg found the stream but not its header: a damaged file
                log.warning("%s stream #%d has no codec parameters (the file is damaged): it is not written",
                            in_stream.type, in_stream.index)
                continue
            name = _codec_name(in_stream)
            copyable = name in (_WEBM_AUDIO if suffix == ".webm" and in_stream.type == "audio" else supported)
            if copyable:
                try:
                    out_stream = container.add_stream_from_template(in_stream)
                except (ValueError, av.FFmpegError) as error:
                    log.warning("%s stream #%d (%s) is not written: %s cannot hold it (%s)",
                                in_stream.type, in_stream.index, name, suffix, error)
                    continue
                self.pairs.append((in_stream, out_stream, None))
            elif in_stream.type == "audio":
                target = _AUDIO_FALLBACK.get(suffix, "aac")
                log.warning("audio codec %s does not fit %s: transcoding it to %s", name, suffix, target)
                out_stream = container.add_stream(target, rate=in_stream.rate or 48000)
                out_stream.layout = in_stream.layout.name if in_stream.layout else "stereo"
                resampler = av.AudioResampler(format=out_stream.format, layout=out_stream.layout, rate=out_stream.rate)
                self.pairs.append((in_stream, out_stream, resampler))
            else:
                log.warning("%s stream #%d (%s) is not written: %s cannot hold %s; choose a container that holds it "
                            "(.mkv: subrip, ass, webvtt; .mp4/.mov: mov_text)", in_stream.type, in_stream.index, name,
                            suffix, name)
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
                if packet.size == 0 or self._is_mov_text_gap(packet):
                    return
                packet.stream = out_stream
                self.container.mux(packet)
            else:
                for frame in packet.decode():
                    for resampled in resampler.resample(frame):
                        for out in out_stream.encode(resampled):
                            self.container.mux(out)
            return

    @staticmethod
    def _is_mov_text_gap(packet) -> bool:
        """An empty mov_text sample: the mp4 muxer writes its own between cues, so a copied one would double."""
        return packet.size == 2 and bytes(packet) == b"\x00\x00" and _codec_name(packet.stream) == "mov_text"

    def close(self) -> None:
        pairs, self.pairs = self.pairs, []
        for _, out_stream, resampler in pairs:
            if resampler is not None:
                for out in out_stream.encode(None):
                    self.container.mux(out)
        self.input.close()


def is_stdout(output: str | Path) -> bool:
    """Whether ``output`` names standard output (``-``)."""
    return str(output) == "-"


@WRITERS.register("stream")
class StreamSink(VideoSink):
    """A stream: standard output (``-``) or an FFmpeg URL (``pipe:1``, ``udp://...``, ``file:...``), in a
    streamable container (:data:`STREAM_FORMATS`, ``options.stream_format``), flushed after every frame.

    No temporary file: a stream cannot be taken back, so a failed run leaves what was written (the
    reader sees the stream end).  No audio: the source is read once, as a stream.
    """

    def __init__(self, path: str | Path, info: VideoInfo, options: EncodeOptions, *, audio_source: Path | None) -> None:
        import av

        self.path, self.frames = path, 0
        self.url = "pipe:1" if is_stdout(path) else str(path)
        where = "standard output" if is_stdout(path) else self.url
        codec, pix_fmt = STREAM_FORMATS[options.stream_format]
        codec_options: dict[str, str] = {}
        if codec == "libx264":
            if info.width % 2 or info.height % 2:
                pix_fmt = "yuv444p"
            codec_options = {"tune": "zerolatency", "preset": "veryfast",
                             **({"qp": "0"} if options.lossless else {"crf": str(options.crf)})}
        elif codec == "ffv1":
            codec_options = {"level": "3", "slicecrc": "1"}
        if audio_source is not None:
            log.warning("audio is not written to a stream output")
        try:
            self.container = av.open(self.url, "w", format=options.stream_format, options={"flush_packets": "1"})
            self.stream = _add_video_stream(self.container, codec, info, pix_fmt, codec_options)
            self.time_base = info.time_base
        except (OSError, av.FFmpegError) as error:
            raise OutputError(f"cannot write a {options.stream_format} stream to {where}: {error}") from None

    def write(self, image: np.ndarray, pts: int, *, source: Frame | None = None) -> None:
        import av

        frame = av.VideoFrame.from_ndarray(image, format="rgb24")
        frame.pts, frame.time_base = pts, self.time_base
        try:
            for packet in self.stream.encode(frame):
                self.container.mux(packet)
        except (OSError, av.FFmpegError) as error:
            raise OutputError(f"writing the stream failed at frame {self.frames} (was its reader closed?): "
                              f"{error}") from None
        self.frames += 1

    def close(self) -> None:
        import av

        try:
            for packet in self.stream.encode():
                self.container.mux(packet)
            self.container.close()
        except (OSError, av.FFmpegError) as error:
            raise OutputError(f"finishing the stream failed: {error}") from None
        log.info("wrote %d frames to %s", self.frames, self.url)

    def abort(self) -> None:
        try:
            self.container.close()
        except Exception:  # noqa: BLE001 - already failing; the reader sees the stream end
            pass


@WRITERS.register("png-folder")
class PngFolderSink(VideoSink):
    """A folder of lossless PNG frames ``00000.png, 00001.png...`` (no audio, no timestamps).

    Frames go to a temporary folder beside the target, marked as vinpaint's (:data:`FOLDER_MARK`) and
    renamed on success.  An existing target is replaced only when it is empty, or marked and holding
    nothing but such frames (checked again here); its mode is kept.
    """

    def __init__(self, path: Path, info: VideoInfo, options: EncodeOptions, *, audio_source: Path | None) -> None:
        self.path = path
        self.temporary = _make_temporary_folder(path)
        mark_folder(self.temporary)
        if audio_source and info.audio_streams:
            log.warning("a folder of frames cannot hold audio: the %d audio stream(s) are not written", info.audio_streams)
        if info.bit_depth > 8:
            log.warning("PNG frames are written 8-bit: the source's %d-bit samples are rounded", info.bit_depth)
        self.frames = 0

    def write(self, image: np.ndarray, pts: int, *, source: Frame | None = None) -> None:
        try:
            write_png(self.temporary / f"{self.frames:05d}.png", image)
        except OSError as error:
            raise _wrap_os_error(self.temporary, error) from None
        self.frames += 1

    def close(self) -> None:
        try:
            if self.path.exists() or self.path.is_symlink():
                refuse_foreign_folder(self.path, overwrite=True)  # again: the folder may have been filled since
                mode = self.path.stat().st_mode & 0o7777
                _remove_frames_folder(self.path)
                os.chmod(self.temporary, mode)
            os.replace(self.temporary, self.path)
        except OutputError:
            self.abort()
            raise
        except OSError as error:
            self.abort()
            raise _wrap_os_error(self.path, error) from None

    def abort(self) -> None:
        _remove_frames_folder(self.temporary, missing_ok=True)


def _frames_folder_strangers(folder: Path) -> list[str]:
    """Names in ``folder`` that a PNG folder writer would not have written."""
    return sorted(entry.name for entry in os.scandir(folder)
                  if not ((FRAME_NAME.fullmatch(entry.name) or entry.name == FOLDER_MARK)
                          and entry.is_file(follow_symlinks=False)))


def _remove_frames_folder(folder: Path, *, missing_ok: bool = False) -> None:
    """Delete a folder of vinpaint's PNG frames; refuse (OutputError) if it holds anything else."""
    if missing_ok and not folder.is_dir():
        return
    strangers = _frames_folder_strangers(folder)
    if strangers:
        raise OutputError(f"{folder} holds files vinpaint did not write ({first_names(strangers)}); "
                          "choose another output folder")
    for entry in os.scandir(folder):
        os.unlink(entry.path)
    os.rmdir(folder)


def open_output_container(temporary: Path, suffix: str):
    """A PyAV container written to ``temporary`` as the format of ``suffix``, marked as vinpaint's
    (:data:`OUTPUT_MARK`, so that ``--overwrite`` may replace the file it becomes)."""
    import av

    container = av.open(str(temporary), "w", format=_format_for(suffix), options={"avoid_negative_ts": "disabled"})
    container.metadata["comment"] = OUTPUT_MARK
    return container


def _format_for(suffix: str) -> str:
    return {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".mkv": "matroska", ".webm": "webm", ".avi": "avi"}[suffix]


def _temporary_path(path: Path) -> Path:
    return path.with_name(f".{path.stem}.vinpaint-tmp-{os.getpid()}{path.suffix}")


def _make_temporary_folder(path: Path) -> Path:
    """Create ``.NAME.vinpaint-tmp-PID[-N]`` beside ``path`` (mode from the umask, as ``mkdir`` gives)."""
    for attempt in range(1000):
        suffix = f"-{attempt}" if attempt else ""
        temporary = path.with_name(f".{path.name}.vinpaint-tmp-{os.getpid()}{suffix}")
        try:
            os.mkdir(temporary)
            return temporary
        except FileExistsError:
            continue
        except OSError as error:
            raise _wrap_os_error(path, error) from None
    raise OutputError(f"cannot create a temporary folder beside {path}; remove its .{path.name}.vinpaint-tmp-* folders")


def _process_is_running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return True
    return True


def remove_stale_temporaries(output: str | Path) -> list[Path]:
    """Remove what killed runs left beside ``output``: ``.NAME.vinpaint-tmp-PID...`` files and folders
    whose process is no longer running.  Returns the paths removed.
    """
    path = Path(output)
    folder = path.parent
    patterns = [re.compile(re.escape(f".{path.name}.vinpaint-tmp-") + r"(\d+)(?:-\d+)?")]
    if path.suffix:
        patterns.append(re.compile(re.escape(f".{path.stem}.vinpaint-tmp-") + r"(\d+)" + re.escape(path.suffix)))
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        match = next((m for m in (p.fullmatch(entry.name) for p in patterns) if m), None)
        if match is None or _process_is_running(int(match.group(1))):
            continue
        try:
            if entry.is_dir(follow_symlinks=False):
                _remove_frames_folder(Path(entry.path))
            elif entry.is_file(follow_symlinks=False):
                os.unlink(entry.path)
            else:
                continue
        except OSError as error:  # OutputError included: a folder holding other files is left alone
            log.warning("left %s in place: %s", entry.path, error)
            continue
        log.info("removed %s, left by a run that was stopped", entry.path)
        removed.append(Path(entry.path))
    return removed


def is_folder_output(path: str | Path) -> bool:
    """A path without a video extension (or ending in a slash) names a folder of PNG frames."""
    text = str(path)
    return text.endswith(("/", os.sep)) or Path(text).suffix == "" or Path(text).is_dir()


def _is_same_or_inside(path: Path, folder: Path) -> bool:
    """``path`` is ``folder`` or lies under it (symlinks resolved, hard links compared by inode)."""
    resolved, resolved_folder = path.resolve(), folder.resolve()
    if resolved == resolved_folder or resolved_folder in resolved.parents:
        return True
    try:
        return os.path.samefile(path, folder)
    except OSError:
        return False


def refuse_overlap(path: Path, other: Path, *, name: str, other_name: str) -> None:
    """Raise :class:`OutputError` if two outputs of one job are the same path or one lies in the other
    (the second written would replace or fill the first)."""
    if _is_same_or_inside(path, other) or _is_same_or_inside(other, path):
        raise OutputError(f"{name} {path} and {other_name} {other} are the same place or one holds the other; "
                          "give each its own")


def check_file_output(path: str | Path, *, suffixes: tuple[str, ...] = (".png",), inputs: Iterable[str | Path | None] = (),
                      overwrite: bool = False, name: str = "the mask image") -> Path:
    """Validate, before any work, a file a command will write beside its output (``--save-mask``,
    ``eval --json`` and ``--plot``): a name ending in one of ``suffixes``, not an input nor in an input
    folder, in an existing writable folder; an existing file is replaced only with ``overwrite`` and
    only if vinpaint wrote it (:func:`file_written_by_vinpaint`).

    Raises:
        OutputError: any of these is not so, with what to do instead.
    """
    path = Path(path)
    if path.is_dir():
        raise OutputError(f"{name} {path} is a folder; give a file name ending in {' or '.join(suffixes)}")
    if path.suffix.lower() not in suffixes:
        raise OutputError(f"{name} {path} must be a {' or '.join(suffixes)} file; give a name ending in that")
    refuse_inputs(path, inputs, name=name, remedy="choose another file")
    for source in inputs:  # an image in a frame or mask folder would be read as one of its frames next time
        if (source is not None and not is_stream(source) and Path(source).is_dir()
                and _is_same_or_inside(path, Path(source))):
            raise OutputError(f"{name} {path} lies in the input folder {source}, where it would be read as a frame; "
                              "choose a file outside it")
    if path.exists() or path.is_symlink():
        if not file_written_by_vinpaint(path):
            raise OutputError(f"{path} exists and was not written by vinpaint, which replaces only its own files "
                              "(even with --overwrite); choose another file, or remove it yourself")
        if not overwrite:
            raise OutputError(f"{path} exists; pass --overwrite to replace it")
    parent = path.resolve().parent
    if not parent.is_dir():
        raise OutputError(f"the folder {parent} of {name} does not exist; create it or choose another")
    _probe_writable(parent, path)
    return path


def file_written_by_vinpaint(path: str | Path) -> bool:
    """Whether vinpaint wrote the file ``path``: a PNG whose ``Comment`` is :data:`WRITTEN_BY`
    (:func:`~vinpaint.io.images.write_png`, vinpaint's plots), a JSON object whose ``written_by`` is, or a
    video carrying :data:`OUTPUT_MARK`."""
    path = Path(path)
    if path.suffix.lower() == ".png":
        return png_written_by_vinpaint(path)
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        return isinstance(data, dict) and data.get("written_by") == WRITTEN_BY
    return written_by_vinpaint(path)


def refuse_inputs(output: Path, inputs: Iterable[str | Path | None], *, name: str = "the output",
                  remedy: str = "choose another output") -> None:
    """Raise :class:`OutputError` if ``output`` is one of ``inputs`` or a folder holding one (None, standard
    input and URLs are no file the output could be); ``name`` and ``remedy`` word the message."""
    for source in inputs:
        if source is not None and not is_stream(source) and _is_same_or_inside(Path(source), output):
            what = "is an input" if Path(source).resolve() == output.resolve() else f"holds the input {source}"
            raise OutputError(f"{name} {output} {what}; vinpaint never overwrites its input; {remedy}")


def check_output(output: str | Path, *, inputs: tuple[str | Path, ...] = (), overwrite: bool = False) -> Path | str:
    """Validate an output path before any work is done, and prove it writable.

    The output may be neither an input nor a folder holding one.  An existing output is replaced only
    with ``overwrite``, and then only if vinpaint wrote it: a video file carrying :data:`OUTPUT_MARK`,
    a folder carrying :data:`FOLDER_MARK` and holding nothing but ``NNNNN.png`` frames.  An empty
    folder is filled.
    A file is created and removed beside the output, so an unwritable place fails here and not after
    the fill.  What killed runs left beside the output is removed.  A stream (``-`` for standard
    output, an FFmpeg URL) has no file to check: it is returned as given, and ``-`` is refused when
    standard output is a terminal.

    Raises:
        OutputError: unknown extension, an input or a folder holding one, exists without ``overwrite``
            or was not written by vinpaint,
            a folder holding other files, a parent folder that is missing or not writable, or ``-``
            on a terminal.
    """
    if is_stream(output):  # a stream: no file to check, but never binary video onto a terminal
        if is_stdout(output) and os.isatty(1):
            raise OutputError("standard output is a terminal: pipe it into a program "
                              "(-o - | ffmpeg -i - out.mp4) or give an output file")
        return output  # as given: a URL's "//" must survive
    path = Path(output)
    folder_output = is_folder_output(path)
    if not folder_output and path.suffix.lower() not in EXTENSIONS:
        valid = ", ".join(sorted(EXTENSIONS))
        raise OutputError(f"unknown output extension {path.suffix!r}; use one of {valid}, or a folder for PNG frames")
    refuse_inputs(path, inputs)
    exists = path.exists() or path.is_symlink()
    if exists and path.is_dir():
        if not folder_output:
            raise OutputError(f"{path} is a folder; give a file name ending in {path.suffix} or another path")
        refuse_foreign_folder(path, overwrite=overwrite)
        strangers = _frames_folder_strangers(path)
        if strangers:
            raise OutputError(f"{path} holds files vinpaint did not write ({first_names(strangers)}); "
                              "vinpaint replaces a folder only if it holds nothing but its NNNNN.png frames")
    elif exists and folder_output:
        raise OutputError(f"{path} is a file, not a folder; choose another output")
    elif exists and not written_by_vinpaint(path):
        raise OutputError(f"{path} exists and was not written by vinpaint, which replaces only its own outputs "
                          "(even with --overwrite); choose another output, or remove the file yourself")
    elif exists and not overwrite:
        raise OutputError(f"{path} exists; pass --overwrite (overwrite=True) to replace it")
    parent = path.resolve().parent
    if not parent.is_dir():
        raise OutputError(f"the output folder {parent} does not exist")
    _probe_writable(parent, path)
    remove_stale_temporaries(path)
    return path


def _probe_writable(parent: Path, path: Path) -> None:
    """Create and remove a file in ``parent``: the only sure test (permissions, read-only or virtual file systems)."""
    try:
        handle, probe = tempfile.mkstemp(prefix=f".{path.name}.vinpaint-probe-", dir=parent)
    except OSError as error:
        reason = error.strerror or str(error)
        if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise OutputError(f"the output folder {parent} is not writable ({reason}); choose another output") from None
        raise OutputError(f"cannot write {path}: {reason}; choose an output in a writable folder") from None
    os.close(handle)
    os.unlink(probe)


def _add_video_stream(container, codec: str, info: VideoInfo, pix_fmt: str, codec_options: dict):
    """A video stream of ``codec`` in ``container`` at the source's size, rate and time base."""
    rate = info.fps.limit_denominator(1001000) if info.fps else Fraction(25)
    stream = container.add_stream(codec, rate=rate, options=codec_options)
    stream.width, stream.height, stream.pix_fmt = info.width, info.height, pix_fmt
    stream.time_base = info.time_base
    stream.codec_context.time_base = info.time_base
    return stream


def encode_frames(frames: np.ndarray, path: str | Path, *, fps: int = 25, crf: int = 18, overwrite: bool = True) -> Path:
    """Write ``frames`` ``(T,H,W,3)`` uint8 RGB to a video file whose extension picks the codec, at ``fps``
    with timestamps 0, 1, 2... (synthetic clips for demos, tests and benchmarks); returns ``path``.  An
    existing file is replaced only if vinpaint wrote it (:func:`check_output`), and with ``overwrite``."""
    from fractions import Fraction

    path = Path(check_output(path, overwrite=overwrite))
    info = VideoInfo(path, frames.shape[2], frames.shape[1], len(frames), Fraction(fps), Fraction(1, fps))
    with open_writer(path, info, options=EncodeOptions(crf=crf)) as writer:
        for index, frame in enumerate(frames):
            writer.write(frame, index)
    return path


def open_writer(
    output: str | Path,
    info: VideoInfo,
    *,
    options: EncodeOptions | None = None,
    audio_source: str | Path | None = None,
) -> VideoSink:
    """A writer for ``output`` chosen by its extension (a folder for PNG frames; a stream for ``-`` or a URL).

    Args:
        info: the source's size, rate and time base (timestamps passed to ``write`` use it).
        audio_source: a container whose audio, subtitle and data streams are copied into the output
            (None = none).

    Raises:
        OutputError: the output's temporary file or folder cannot be created.
    """
    path = Path(output)
    options = options or EncodeOptions()
    audio = Path(audio_source) if audio_source and (info.audio_streams or info.other_streams) else None
    if is_stream(output):  # standard output or a URL, as given
        return WRITERS.get("stream")(output, info, options, audio_source=audio)
    if is_folder_output(path):
        return WRITERS.get("png-folder")(path, info, options, audio_source=audio)
    writer_name = EXTENSIONS[path.suffix.lower()][0]
    return WRITERS.get(writer_name)(path, info, options, audio_source=audio)
