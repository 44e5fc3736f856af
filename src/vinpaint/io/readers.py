"""Video readers: a container through PyAV (FFmpeg) or a folder of images.

Readers stream: iterating a :class:`VideoSource` decodes one frame at a time, so a long video never
sits in memory.  Each yields :class:`Frame` (the image in the package convention, ``(H,W,3)`` uint8
RGB in display orientation, plus its timestamp); conversion from the codec's pixel format (8- or
10-bit YUV, RGB, palette...) and rotation metadata happens here and nowhere else.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputNotFoundError, InvalidOptionError, UnreadableInputError
from ..registry import Registry
from .images import IMAGE_EXTENSIONS, read_image

log = logging.getLogger(__name__)

DEFAULT_FOLDER_FPS = Fraction(25)


@dataclass(frozen=True)
class Frame:
    """One decoded frame: ``image`` ``(H,W,3)`` uint8 RGB and ``pts`` in ``time_base`` units.

    ``original`` is the decoded ``av.VideoFrame`` in its own pixel format when the source has more
    than 8 bits a sample (and no rotation), so a writer can keep those samples; None otherwise.
    """

    image: np.ndarray
    pts: int
    original: Any = None


@dataclass
class VideoInfo:
    """What a writer needs to reproduce the source's timing and audio.

    ``frame_count`` is exact (counted from the container's packets when its header does not say), or
    None for a live stream (``kind="stream"``), whose length is known only at its end.
    ``pix_fmt`` and ``bit_depth`` are the decoded video's (``"yuv420p10le"``, 10); ``other_streams``
    counts subtitle and data streams, copied by writers like audio.
    """

    path: Path
    width: int
    height: int
    frame_count: int | None
    fps: Fraction
    time_base: Fraction
    audio_streams: int = 0
    kind: str = "video"
    extra: dict = field(default_factory=dict)
    pix_fmt: str = "rgb24"
    bit_depth: int = 8
    other_streams: int = 0


class VideoSource:
    """Base class of readers: ``info`` plus iteration over :class:`Frame`."""

    info: VideoInfo

    def __iter__(self) -> Iterator[Frame]:
        raise NotImplementedError

    def images(self) -> Iterator[np.ndarray]:
        """Iterate the ``(H,W,3)`` uint8 RGB images alone."""
        for frame in self:
            yield frame.image

    def read_all(self) -> np.ndarray:
        """Decode everything into ``(T,H,W,3)`` uint8 (short clips only)."""
        return np.stack(list(self.images()))


READERS: Registry[type[VideoSource]] = Registry("reader")


def natural_key(path: Path) -> list:
    """Sort key for ``frame2.png`` before ``frame10.png``."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", path.name)]


def list_images(folder: Path) -> list[Path]:
    """Image files of ``folder`` in natural order (hidden files skipped)."""
    return sorted(
        (p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS and not p.name.startswith(".")),
        key=natural_key,
    )


@READERS.register("folder")
class FolderSource(VideoSource):
    """A folder of images (png, jpg, tif, bmp, webp), one a frame, in natural sort order."""

    def __init__(self, path: str | Path, *, fps: float | Fraction | None = None) -> None:
        self.path = Path(path)
        self.files = list_images(self.path)
        if not self.files:
            raise UnreadableInputError(f"{self.path} holds no images ({', '.join(sorted(IMAGE_EXTENSIONS))})")
        first = read_image(self.files[0])
        rate = Fraction(fps).limit_denominator(1001000) if fps else DEFAULT_FOLDER_FPS
        if rate <= 0:
            raise InvalidOptionError(f"fps must be positive, got {fps}")
        self.info = VideoInfo(self.path, first.shape[1], first.shape[0], len(self.files), rate, 1 / rate, kind="folder")

    def __iter__(self) -> Iterator[Frame]:
        h, w = self.info.height, self.info.width
        for index, file in enumerate(self.files):
            image = read_image(file)
            if image.shape[:2] != (h, w):
                raise UnreadableInputError(
                    f"{file.name} is {image.shape[1]}x{image.shape[0]}, the first frame is {w}x{h}; "
                    "all frames of a folder must have one size"
                )
            yield Frame(image, index)


@READERS.register("video")
class PyAVSource(VideoSource):
    """Any container and codec FFmpeg decodes (mp4, mov, mkv, avi, webm...), through PyAV."""

    def __init__(self, path: str | Path) -> None:
        import av

        self.path = Path(path)
        try:
            with av.open(str(self.path)) as container:
                if not container.streams.video:
                    raise UnreadableInputError(f"{self.path} has no video stream")
                stream = container.streams.video[0]
                count = stream.frames or 0
                time_base = stream.time_base or Fraction(1, 90000)
                if stream.duration:
                    self._duration = float(stream.duration * time_base) + float((stream.start_time or 0) * time_base)
                else:
                    self._duration = container.duration / 1e6 if container.duration else None
                fps = stream.average_rate or stream.guessed_rate or stream.base_rate or Fraction(25)
                audio = len(container.streams.audio)
                others = len(container.streams.subtitles) + len(container.streams.data)
                first = next(container.decode(stream), None)
                if first is None:
                    raise UnreadableInputError(f"{self.path} has a video stream with no frames")
                log.debug("%s: first frame decoded", self.path)  # the speed benchmark times start-up to here
                rotation = int(getattr(first, "rotation", 0) or 0)
                width, height = first.width, first.height
                pix_fmt = first.format.name
                bit_depth = max((component.bits for component in first.format.components), default=8)
        except av.FFmpegError as error:
            raise UnreadableInputError(f"cannot read {self.path} as a video: {_reason(error)}") from None
        if rotation % 180:
            width, height = height, width
        if count <= 0:
            count = self._count_frames()
        self.rotation = rotation
        self.info = VideoInfo(self.path, width, height, count, Fraction(fps), Fraction(time_base), audio,
                              pix_fmt=pix_fmt, bit_depth=bit_depth, other_streams=others)
        # a writer keeps deep samples only for planar formats it can composite, upright
        self._keep_original = bit_depth > 8 and rotation % 360 == 0 and _is_planar_16(first.format)

    def _count_frames(self) -> int:
        import av

        with av.open(str(self.path)) as container:
            stream = container.streams.video[0]
            return sum(1 for packet in container.demux(stream) if packet.size)

    def _ends_early(self, last_pts: int | None, gap: int) -> bool:
        """The last decoded frame lies more than two frame intervals (the last seen) before the stream's end."""
        if self._duration is None or last_pts is None:
            return True
        interval = max(float(gap * self.info.time_base), 1 / float(self.info.fps or 25))
        return float(last_pts * self.info.time_base) + 2 * interval < self._duration

    def __iter__(self) -> Iterator[Frame]:
        import av

        decoded = 0
        last_pts, gap = None, 0
        try:
            with av.open(str(self.path)) as container:
                stream = container.streams.video[0]
                stream.thread_type = "AUTO"
                for index, frame in enumerate(container.decode(stream)):
                    image = frame.to_ndarray(format="rgb24")
                    image = _apply_rotation(image, self.rotation)
                    pts = frame.pts if frame.pts is not None else (index if last_pts is None else last_pts + 1)
                    if last_pts is not None and pts <= last_pts:
                        pts = last_pts + 1  # broken timestamps: keep them strictly increasing
                    gap = pts - last_pts if last_pts is not None else 0
                    last_pts = pts
                    decoded += 1
                    yield Frame(image, pts, frame if self._keep_original else None)
        except av.FFmpegError as error:
            raise UnreadableInputError(
                f"decoding {self.path} failed at frame {decoded} of {self.info.frame_count}: {error}"
            ) from None
        if decoded < self.info.frame_count and self._ends_early(last_pts, gap):
            # the header promises frames the file does not hold (AVI's header counts time slots, not
            # frames, so the decoded frames must also end before the stream's duration)
            raise UnreadableInputError(
                f"{self.path}: decoding stopped at frame {decoded} of {self.info.frame_count} "
                "(the file is truncated or damaged); repair it or cut it to the frames that decode"
            )


#: what a stream input needs to start: a small probe, so the first frame is not held back by probing
_STREAM_INPUT_OPTIONS = {"probesize": "32768", "analyzeduration": "100000", "fpsprobesize": "0"}


def is_stream(path: str | Path) -> bool:
    """``-`` (standard input or output) or an FFmpeg URL (``rtsp://``, ``udp://``, ``pipe:0``...), not a file.

    A name with a scheme but no such file (``rtmp://host/app``) is a URL; an existing file is a file.
    """
    text = str(path)
    if text == "-":
        return True
    return re.match(r"[A-Za-z][A-Za-z0-9+.-]+:", text) is not None and not Path(text).exists()


@READERS.register("stream")
class StreamSource(VideoSource):
    """A live stream FFmpeg reads: standard input (``-``), a URL, or a device with ``format`` (``v4l2``).

    It is read once, as it comes: ``info.frame_count`` is None (unknown), iterating a second time
    raises, and no audio is kept (a stream cannot be read again to copy it).  Probing is kept short
    and the decoder is not frame-threaded, so the first frame is not held back.

    Args:
        url: ``-``, an FFmpeg URL, or a device path.
        format: FFmpeg's input format (``nut``, ``mpegts``, ``v4l2``...); None lets FFmpeg guess.
    """

    def __init__(self, url: str | Path, *, format: str | None = None) -> None:
        import av

        self.url = "pipe:0" if str(url) == "-" else str(url)
        try:
            self.container = av.open(self.url, format=format, options=dict(_STREAM_INPUT_OPTIONS))
        except av.FFmpegError as error:
            where = "standard input" if self.url == "pipe:0" else self.url
            raise UnreadableInputError(f"cannot read {where} as a video stream: {_reason(error)}; pipe a streamable "
                                       "container (ffmpeg ... -f nut -) or name its format (--input-format)") from None
        if not self.container.streams.video:
            self.container.close()
            raise UnreadableInputError(f"{url} has no video stream")
        stream = self.container.streams.video[0]
        stream.thread_type = "SLICE"  # frame threads would hold frames back
        context = stream.codec_context
        if not context.width or not context.height:
            self.container.close()
            raise UnreadableInputError(f"{url}: the stream does not say its frame size; name its format (--input-format)")
        fps = stream.average_rate or stream.guessed_rate or stream.base_rate or Fraction(25)
        time_base = stream.time_base or Fraction(1, 90000)
        self.info = VideoInfo(Path(str(url)), context.width, context.height, None, Fraction(fps), Fraction(time_base),
                              kind="stream")
        self._read = False

    def __iter__(self) -> Iterator[Frame]:
        import av

        if self._read:
            raise UnreadableInputError(f"{self.url} is a stream: it can be read only once")
        self._read = True
        decoded, last_pts = 0, None
        try:
            stream = self.container.streams.video[0]
            for frame in self.container.decode(stream):
                image = frame.to_ndarray(format="rgb24")
                if image.shape[:2] != (self.info.height, self.info.width):
                    raise UnreadableInputError(f"{self.url}: frame {decoded} is {image.shape[1]}x{image.shape[0]}, the "
                                               f"stream began at {self.info.width}x{self.info.height}; vinpaint needs "
                                               "one size (scale it upstream: ffmpeg -vf scale=W:H)")
                pts = frame.pts if frame.pts is not None else (decoded if last_pts is None else last_pts + 1)
                if last_pts is not None and pts <= last_pts:
                    pts = last_pts + 1
                last_pts = pts
                decoded += 1
                yield Frame(image, pts)
        except av.FFmpegError as error:
            where = "standard input" if self.url == "pipe:0" else self.url
            reason = _reason(error)
            hint = ("; a container whose index comes last (.mp4, .mov) cannot be read from a pipe: pipe a "
                    "streamable one (ffmpeg ... -f nut - or -f mpegts -)") if decoded == 0 else ""
            raise UnreadableInputError(f"decoding {where} failed at frame {decoded}: {reason}{hint}") from None
        finally:
            self.container.close()


def _is_planar_16(video_format) -> bool:
    """Every component in its own plane, stored in 16-bit words (``yuv420p10le``, ``gbrp12le``...)."""
    planes = [component.plane for component in video_format.components]
    deep = all(component.bits > 8 for component in video_format.components)
    return deep and len(set(planes)) == len(planes) and video_format.name.endswith("le")


def _apply_rotation(image: np.ndarray, rotation: int) -> np.ndarray:
    """Turn a decoded image upright; ``rotation`` is the display matrix angle (degrees, counter-clockwise)."""
    turns = (rotation // 90) % 4
    return np.ascontiguousarray(np.rot90(image, k=turns)) if turns else image


def open_video(path: str | Path, *, fps: float | None = None, format: str | None = None) -> VideoSource:
    """Open a video file, a folder of frames or a live stream for streaming.

    Args:
        path: a container FFmpeg reads, a folder of images, or a stream (:func:`is_stream`: ``-`` for
            standard input, an FFmpeg URL) read once by :class:`StreamSource`.
        fps: frame rate for a folder of frames (default 25); ignored for containers, whose own
            timestamps are kept.
        format: FFmpeg's input format; given, ``path`` is read as a stream (a device: ``v4l2``).

    Raises:
        InputNotFoundError: ``path`` does not exist.
        UnreadableInputError: not a video, no video stream, or no frames.
    """
    if format is not None or is_stream(path):
        return READERS.get("stream")(path, format=format)
    path = Path(path)
    if not path.exists():
        raise InputNotFoundError(f"input not found: {path}")
    # looked up by name, so a reader registered under the same name replaces the built-in one
    if path.is_dir():
        return READERS.get("folder")(path, fps=fps)
    return READERS.get("video")(path)


def _reason(error: Exception) -> str:
    """FFmpeg's words for ``error``, without its error number and path ("Invalid data found when processing
    input")."""
    return getattr(error, "strerror", None) or str(error)
