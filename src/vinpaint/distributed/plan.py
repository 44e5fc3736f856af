"""Chunk planning: a long video cut into pieces that workers fill alone, never across a shot cut.

Each chunk produces frames ``first``..``last`` (inclusive) of the output and reads more: a lead-in of
``lead`` frames before ``first`` (filled and dropped, so the fill is already running when ``first``
comes) and the pipeline's ``context`` frames of look-ahead after ``last``; both stop at the shot's
edges.  Chunk boundaries fall on cuts, and within a shot on multiples of the pipeline's ``window``
counted from the shot's start, so a chunk's windows are the windows a single-process run uses.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ..errors import InvalidOptionError
from ..io.shots import shot_spans


@dataclass(frozen=True)
class Chunk:
    """Frames ``first``..``last`` produced from frames ``read_first``..``read_last`` read (inclusive, 0-based)."""

    index: int
    first: int
    last: int
    read_first: int
    read_last: int

    def to_dict(self) -> dict:
        return asdict(self)


def plan_chunks(frame_count: int, cuts: list[int], *, chunk_frames: int, window: int, context: int,
                lead: int | None = None) -> list[Chunk]:
    """Split ``frame_count`` frames into chunks of about ``chunk_frames``, each within one shot.

    Args:
        cuts: shot cuts (first frame of each new shot); a chunk never spans one, nor reads across one.
        chunk_frames: frames a chunk produces at most (rounded down to whole ``window``\\ s, at least one).
        window, context: the pipeline's (:class:`vinpaint.pipeline.RemoveOptions`).
        lead: frames read and filled before a chunk's first frame (rounded up to whole windows);
            None: one window.

    Raises:
        InvalidOptionError: a count below 1 (``lead`` below 0).
    """
    if frame_count < 1 or chunk_frames < 1 or window < 1 or context < 0 or (lead is not None and lead < 0):
        raise InvalidOptionError(f"chunk planning needs frame_count, chunk_frames and window >= 1, context and lead >= 0; "
                                 f"got {frame_count}, {chunk_frames}, {window}, {context}, {lead}")
    size = max(window, chunk_frames // window * window)
    lead = window if lead is None else -(-lead // window) * window
    chunks = []
    for start, stop in shot_spans(cuts, frame_count):
        for first in range(start, stop, size):
            last = min(stop, first + size) - 1
            chunks.append(Chunk(len(chunks), first, last, max(start, first - lead), min(stop - 1, last + context)))
    return chunks
