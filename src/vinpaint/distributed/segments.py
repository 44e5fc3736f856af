"""What a worker does with one chunk, and how the segments become one file.

A worker reads its own frames (:func:`read_range`: a container is sought to the keyframe before the
first frame wanted and decoded forward; a frame folder reads its files), reads its masks, fills the
range through :func:`vinpaint.pipeline.remove_stream` and encodes the frames it owns into a segment
file with their source timestamps.  Every segment starts with a keyframe (an encoder's first frame).
Given ``threads`` (workers sharing a machine, :func:`vinpaint.distributed.run.worker_threads`), the
chunk's OpenCV calls, decoder and encoder use that many threads (FFmpeg's own default is one a core).

:func:`join_segments` then remuxes the segments' packets, unchanged, into the output (the concat
demuxer's approach, without re-encoding), rebasing each segment's timestamps onto the source's, and
copies the source's audio, subtitle and data streams once, interleaved by time.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from fractions import Fraction
from itertools import islice
from pathlib import Path

import numpy as np

from ..errors import OutputError, UnreadableInputError
from ..io import EncodeOptions, Frame, open_masks, open_video, open_writer
from ..io.readers import FolderSource, PyAVSource, _apply_rotation
from ..io.writers import _StreamCopier, _temporary_path, open_output_container
from ..pipeline import RemoveOptions, remove_stream
from .plan import Chunk

log = logging.getLogger(__name__)


def frame_timestamps(path: str | Path, *, fps: float | None = None) -> list[int]:
    """The presentation timestamp of every frame, in display order (read from packets, nothing decoded).

    A frame folder's timestamps are the frame indices.
    """
    source = open_video(path, fps=fps)
    if not isinstance(source, PyAVSource):
        return list(range(source.info.frame_count))
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stamps = sorted(packet.pts for packet in container.demux(stream) if packet.size and packet.pts is not None)
    if len(stamps) != source.info.frame_count:
        # timestamps the packets do not give (raw streams): the reader's own numbering, decoded once
        stamps = [frame.pts for frame in source]
    return stamps


def read_range(path: str | Path, first: int, last: int, stamps: list[int], *,
               fps: float | None = None, threads: int | None = None) -> Iterator[Frame]:
    """Yield frames ``first``..``last`` (inclusive) as :class:`~vinpaint.io.Frame`, decoding as little as possible.

    ``stamps`` are the frames' timestamps (:func:`frame_timestamps`) for ``first``..``last``.  A
    container is sought to the keyframe at or before ``first`` and decoded forward; frames are
    matched by timestamp, so a seek that lands late falls back to decoding from the start.
    ``threads``: the decoder's threads (None: FFmpeg's choice, one a core and one more).
    """
    source = open_video(path, fps=fps)
    if isinstance(source, FolderSource):
        for index, frame in enumerate(islice(source, first, last + 1), start=first):
            yield frame
        return
    import av

    wanted = stamps[0]
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        if threads:
            stream.codec_context.thread_count = threads  # decoders give the same frames on any count
        container.seek(wanted, stream=stream, backward=True, any_frame=False)
        decoded = container.decode(stream)
        first_frame = next(decoded, None)
        if first_frame is None or first_frame.pts is None or first_frame.pts > wanted:
            log.debug("seeking to timestamp %s landed after it: decoding from the start", wanted)
            container.seek(0, stream=stream, backward=True, any_frame=False) if first_frame is not None else None
            decoded = container.decode(stream)
            first_frame = None
        produced = 0
        frames = decoded if first_frame is None else _chain_one(first_frame, decoded)
        for frame in frames:
            if frame.pts is None or frame.pts < wanted:
                continue
            image = _apply_rotation(frame.to_ndarray(format="rgb24"), source.rotation)
            yield Frame(image, stamps[produced], frame if source._keep_original else None)
            produced += 1
            if produced == last - first + 1:
                return
    raise UnreadableInputError(f"{path}: decoding stopped at frame {first + produced}, before frame {last}")


def _chain_one(head, rest):
    yield head
    yield from rest


def fill_chunk(input_path: str, mask_path: str, segment: str, chunk: dict, stamps: list[int], cuts: list[int],
               options: dict, encode: dict, *, mask_ids: list[int] | None = None, fps: float | None = None,
               threads: int | None = None) -> str:
    """Fill one chunk and write its segment (run on a worker; every argument is small and plain).

    Args:
        chunk: a :class:`~vinpaint.distributed.plan.Chunk` as a dict.
        stamps: timestamps of the chunk's read frames, ``read_first``..``read_last``.
        cuts: the clip's shot cuts (a chunk lies in one shot, so only its read range matters).
        options: :class:`~vinpaint.pipeline.RemoveOptions` fields (``frame_range`` counts from the clip's start).
        threads: threads for OpenCV, the decoder and the encoder while the chunk runs (OpenCV's count
            is the process's: it is set for the task and restored after it, so a worker must run one
            task at a time); None leaves them at their defaults.  The fill's own threads are
            ``options["engine_options"]["threads"]``.

    Returns: the segment's path.
    """
    with opencv_threads(threads):
        return _fill_chunk(input_path, mask_path, segment, chunk, stamps, cuts, options, encode, mask_ids=mask_ids,
                           fps=fps, threads=threads)


@contextmanager
def opencv_threads(threads: int | None) -> Iterator[None]:
    """OpenCV's thread count set to ``threads`` inside the block and restored after it (None: unchanged)."""
    if not threads:
        yield
        return
    import cv2

    before = cv2.getNumThreads()
    cv2.setNumThreads(threads)
    try:
        yield
    finally:
        cv2.setNumThreads(before)


def _fill_chunk(input_path: str, mask_path: str, segment: str, chunk: dict, stamps: list[int], cuts: list[int],
                options: dict, encode: dict, *, mask_ids: list[int] | None = None, fps: float | None = None,
                threads: int | None = None) -> str:
    chunk = Chunk(**chunk)
    remove_options = RemoveOptions(**{**options, "frame_range": None,
                                      "engine_options": dict(options.get("engine_options", {}))})
    frame_range = options.get("frame_range")
    source = open_video(input_path, fps=fps)
    info = source.info
    masks = open_masks(mask_path, info.frame_count, info.height, info.width, ids=mask_ids).frames(
        chunk.read_first, chunk.read_last)

    def in_range(index: int, mask: np.ndarray) -> np.ndarray:
        if frame_range and not frame_range[0] <= index <= frame_range[1]:
            return np.zeros_like(mask, dtype=bool)
        return mask

    masks = (in_range(index, mask) for index, mask in enumerate(masks, start=chunk.read_first))
    decoded: list[Frame] = []

    def images() -> Iterator[np.ndarray]:
        for frame in read_range(input_path, chunk.read_first, chunk.read_last, stamps, fps=fps, threads=threads):
            decoded.append(frame)
            yield frame.image

    local_cuts = [cut - chunk.read_first for cut in cuts if chunk.read_first < cut <= chunk.read_last]
    outputs = remove_stream(images(), masks, remove_options, total=chunk.read_last - chunk.read_first + 1,
                            cuts=local_cuts)
    segment_path = Path(segment)
    counter = progress_path(segment_path)
    reported = time.monotonic()
    with open_writer(segment_path, info, options=EncodeOptions(**encode), audio_source=None) as writer:
        if threads and hasattr(writer, "stream"):  # a container's encoder, not yet opened: it takes a thread count
            writer.stream.codec_context.thread_count = threads
        for index, image in enumerate(outputs, start=chunk.read_first):
            original = decoded.pop(0)
            if index < chunk.first:
                continue
            writer.write(image, original.pts, source=original)
            if time.monotonic() - reported >= PROGRESS_INTERVAL:
                counter.write_text(str(index - chunk.first + 1))
                reported = time.monotonic()
            if index == chunk.last:
                break
    log.info("chunk %d (frames %d-%d) written to %s", chunk.index, chunk.first, chunk.last, segment_path)
    return str(segment_path)


#: seconds between two writes of a chunk's frame count (:func:`progress_path`)
PROGRESS_INTERVAL = 0.5


def progress_path(segment: Path) -> Path:
    """Where a chunk's worker writes how many of its frames are done (``00003.mkv`` -> ``00003.progress``):
    the client reads it to move one progress count across workers while chunks run."""
    return segment.with_suffix(".progress")


def frames_done(segment: Path) -> int:
    """The frame count a chunk's worker last wrote beside its segment (0 if none yet or half written)."""
    try:
        return int(progress_path(segment).read_text())
    except (OSError, ValueError):
        return 0


def join_segments(segments: list[Path], first_stamps: list[int], source_path: Path, time_base: Fraction,
                  output: Path, *, copy_streams: bool) -> Path:
    """Remux ``segments`` (same codec and settings) into ``output`` without re-encoding.

    ``first_stamps[i]`` is the source timestamp (in ``time_base``) of segment ``i``'s first frame:
    each segment's timestamps are shifted so its first frame lands there.  With ``copy_streams``, the
    audio, subtitle and data streams of ``source_path`` are copied once.  Written to a temporary
    file and renamed, so a failed or killed join leaves no partial output.
    """
    import av

    suffix = output.suffix.lower()
    temporary = _temporary_path(output)
    try:
        with av.open(str(segments[0])) as first:
            template = first.streams.video[0]
            container = open_output_container(temporary, suffix)
            out_stream = container.add_stream_from_template(template)
            out_stream.time_base = time_base
        copier = _StreamCopier(container, source_path, suffix) if copy_streams else None
        last_dts = None
        for segment, stamp in zip(segments, first_stamps):
            with av.open(str(segment)) as reader:
                stream = reader.streams.video[0]
                packets = [packet for packet in reader.demux(stream) if packet.size]
                if not packets:
                    raise OutputError(f"segment {segment} holds no video; remove the job folder and run again")
                segment_base = packet_base = stream.time_base
                start = min(packet.pts for packet in packets)
                offset = round(stamp * time_base / segment_base) - start
                for packet in packets:
                    packet.pts += offset
                    packet.dts = packet.pts if packet.dts is None else packet.dts + offset
                    if last_dts is not None:
                        rebased = packet.dts * packet_base
                        if rebased <= last_dts:  # reordered frames at a junction: keep dts strictly rising
                            packet.dts = min(packet.pts, int(last_dts / packet_base) + 1)
                    last_dts = packet.dts * packet_base
                    if copier:
                        copier.mux_until(float(packet.pts * packet_base))
                    packet.stream = out_stream
                    container.mux(packet)
        if copier:
            copier.mux_until(float("inf"))
            copier.close()
        container.close()
        os.replace(temporary, output)
    except (OSError, av.FFmpegError) as error:
        temporary.unlink(missing_ok=True)
        raise OutputError(f"cannot write {output}: {error}; choose an output in a writable folder") from None
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return output
