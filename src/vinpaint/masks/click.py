"""Click to select: positive and negative points on one frame give an object segment, then tracked.

The segment comes from GrabCut (Rother et al., SIGGRAPH 2004) seeded by the points: a small disc
around each positive point is sure object, around each negative point sure background; pixels within
``radius`` of a positive point are probably object, pixels up to twice that far probably background,
and everything further is background.  GrabCut's colour models and graph cut then find the object's
edges; only the connected parts that hold a positive point are kept.  One to three positive clicks
spread over the object usually suffice; a negative click removes a wrongly included region.

The segment is then tracked through the clip with :func:`vinpaint.masks.track.track_masks`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import InvalidOptionError
from ..options import CLICK_RADIUS_FRACTION
from . import MASK_SOURCES
from .track import track_masks

log = logging.getLogger(__name__)

#: default reach of the object from a positive point, as a fraction of the frame's smaller side
RADIUS_FRACTION = CLICK_RADIUS_FRACTION
#: the frames whose motion against the clicked frame tells what moves with the click
NEIGHBOUR_OFFSETS = (-3, 3)


@dataclass(frozen=True)
class Point:
    """A click: pixel ``(x, y)`` (x = column) on ``frame``; ``positive`` False marks background."""

    x: float
    y: float
    positive: bool = True
    frame: int = 0


def parse_point(text: str) -> Point:
    """``"FRAME:x,y"`` (positive) or ``"FRAME:x,y,neg"`` -> :class:`Point`."""
    frame_text, sep, rest = text.strip().partition(":")
    parts = [p.strip() for p in rest.split(",")]
    try:
        if not sep or len(parts) not in (2, 3):
            raise ValueError
        positive = True
        if len(parts) == 3:
            if parts[2].lower() not in ("neg", "pos", "-", "+"):
                raise ValueError
            positive = parts[2].lower() in ("pos", "+")
        point = Point(float(parts[0]), float(parts[1]), positive, int(frame_text))
        if point.frame < 0:
            raise ValueError
    except ValueError:
        raise InvalidOptionError(
            f"{text!r} is not a point like FRAME:x,y or FRAME:x,y,neg (e.g. 12:200,140 or 12:90,40,neg)"
        ) from None
    return point


def segment_from_points(
    frame: np.ndarray,
    points: Sequence[Point | tuple],
    *,
    radius: float | None = None,
    iterations: int = 5,
    neighbours: np.ndarray | None = None,
    box: Sequence[float] | None = None,
) -> np.ndarray:
    """The object under the positive points (or in ``box``) of one frame.

    Shape:
        frame: ``(H,W,3)`` uint8 RGB.
        points: :class:`Point` or ``(x, y)`` / ``(x, y, positive)`` tuples, pixel coordinates.
        neighbours: ``(N,H,W,3)`` uint8 frames near this one for the motion cue (optional; see
            :func:`vinpaint.masks.segment.segment_object`, which also returns a confidence).
        box: ``(x, y, w, h)`` around the object (optional).
        returns: ``(H,W)`` bool, True = object.

    Args:
        radius: without motion, how far from a positive point the object may reach, in pixels
            (default: 12 % of the frame's smaller side).
        iterations: GrabCut iterations.

    Raises:
        InvalidOptionError: no positive point (and no box), or a point outside the frame.

    Speed: about 0.1-0.3 s at 432x240 from one frame, 1-3 s with 2 neighbours (flow).
    """
    from .segment import segment_object

    return segment_object(frame, points, box=box, neighbours=neighbours, radius=radius, iterations=iterations).mask


def neighbouring_frames(frames: np.ndarray, index: int, *, offsets: Sequence[int] = NEIGHBOUR_OFFSETS) -> np.ndarray | None:
    """The frames at ``index + offset`` that exist in ``frames`` (``(N,H,W,3)``), or None when there are none."""
    picks = sorted({index + o for o in offsets if 0 <= index + o < len(frames)} - {index})
    return np.asarray(frames)[picks] if picks else None


def _as_point(p) -> Point:
    if isinstance(p, Point):
        return p
    values = tuple(p)
    if len(values) == 2:
        return Point(float(values[0]), float(values[1]))
    if len(values) == 3:
        return Point(float(values[0]), float(values[1]), bool(values[2]))
    raise InvalidOptionError(f"a point is (x, y) or (x, y, positive), got {values!r}")


def click_track(frames: np.ndarray, points: Sequence[Point], *, box: tuple | None = None, **track_options) -> np.ndarray:
    """Segment the object under ``points`` (or in ``box``) on their frame, then track it through ``frames``.

    Points may sit on several frames: each frame with points gives one init mask of the same object.
    ``box`` is ``(frame, x, y, w, h)``.  The frames 3 before and after each clicked frame give the
    motion cue (:func:`vinpaint.masks.segment.segment_object`).

    Shape: frames ``(T,H,W,3)`` uint8; returns ``(T,H,W)`` bool.
    """
    frames = np.asarray(frames)
    points = list(points or [])
    if not points and box is None:
        raise InvalidOptionError("give at least one positive point (FRAME:x,y) or a box (FRAME:x,y,w,h)")
    by_frame: dict[int, list[Point]] = {}
    for p in points:
        if not 0 <= p.frame < len(frames):
            raise InvalidOptionError(f"point on frame {p.frame} is beyond the clip's {len(frames)} frames (0-{len(frames) - 1})")
        by_frame.setdefault(p.frame, []).append(p)
    boxed = None
    if box is not None:
        boxed = int(box[0])
        if not 0 <= boxed < len(frames):
            raise InvalidOptionError(f"box on frame {boxed} is beyond the clip's {len(frames)} frames (0-{len(frames) - 1})")
        by_frame.setdefault(boxed, [])
    radius = track_options.pop("radius", None)
    init = {}
    for frame, group in by_frame.items():
        if frame != boxed and not any(p.positive for p in group):
            raise InvalidOptionError(f"frame {frame} has only negative points; add a positive one on the object")
        init[frame] = segment_from_points(frames[frame], group, radius=radius, box=box[1:] if frame == boxed else None,
                                          neighbours=neighbouring_frames(frames, frame))
    return track_masks(frames, init, **track_options)


def parse_click_box(text: str, *, frame: int = 0) -> tuple[int, float, float, float, float]:
    """``"x,y,w,h"`` or ``"FRAME:x,y,w,h"`` -> ``(frame, x, y, w, h)`` (``frame`` when none is given)."""
    head, sep, rest = text.strip().rpartition(":")
    try:
        values = [float(v) for v in rest.split(",")]
        if len(values) != 4 or values[2] <= 0 or values[3] <= 0:
            raise ValueError
        index = int(head) if sep else frame
        if index < 0:
            raise ValueError
    except ValueError:
        raise InvalidOptionError(f"{text!r} is not a box like x,y,w,h or FRAME:x,y,w,h (e.g. 12:180,60,100,130)") from None
    return (index, *values)


MASK_SOURCES.register("click", description="positive/negative clicks or a box on a frame -> motion + GrabCut segment, then tracked")(click_track)
