"""Boxes and polygons at keyframes, interpolated linearly in between: the quickest mask there is.

A *keyframe* puts one shape of one object on one frame: a box ``(x, y, w, h)`` (pixels, ``x`` =
column of the left edge, the box covers columns ``x .. x+w-1``) or a polygon ``[(x, y), ...]``.
Between two keyframes of the same object every coordinate moves linearly (a box becomes its four
corners when it meets a polygon; two polygons must have the same number of vertices).  Outside the
keyed span, ``span="hold"`` (the default) keeps the first shape before the first keyframe and the last
after the last, so one keyframe marks a static logo on every frame; ``span="keyed"`` leaves those
frames empty.  Several objects are independent tracks whose masks are unioned.

Text forms (the CLI's ``--box`` and JSON files) are parsed by :func:`parse_box` and
:func:`load_keyframes`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..errors import InputNotFoundError, InvalidOptionError, UnreadableInputError
from . import MASK_SOURCES

SPANS = ("hold", "keyed")


@dataclass(frozen=True)
class Keyframe:
    """One shape of one object on one frame.

    Attributes:
        frame: 0-based frame index.
        points: ``(N,2)`` float ``(x, y)`` polygon vertices at pixel centres (boundary pixels are
            included); a box is its 4 corner pixels.
        object_id: which object (keyframes of one id are interpolated together).
        is_box: the shape was given as a box (kept for messages).
    """

    frame: int
    points: np.ndarray
    object_id: int = 1
    is_box: bool = False

    @staticmethod
    def box(frame: int, x: float, y: float, w: float, h: float, *, object_id: int = 1) -> Keyframe:
        """A box covering columns ``x..x+w-1`` and rows ``y..y+h-1``."""
        if w <= 0 or h <= 0:
            raise InvalidOptionError(f"box at frame {frame} has width {w} and height {h}; both must be positive")
        corners = np.array([[x, y], [x + w - 1, y], [x + w - 1, y + h - 1], [x, y + h - 1]], np.float64)
        return Keyframe(int(frame), corners, int(object_id), True)

    @staticmethod
    def polygon(frame: int, points: Sequence[Sequence[float]], *, object_id: int = 1) -> Keyframe:
        array = np.asarray(points, np.float64)
        if array.ndim != 2 or array.shape[1] != 2 or len(array) < 3:
            raise InvalidOptionError(f"polygon at frame {frame} needs at least 3 (x, y) points, got {array.tolist()}")
        return Keyframe(int(frame), array, int(object_id), False)


def masks_from_boxes(
    frame_count: int,
    height: int,
    width: int,
    keyframes: Iterable[Keyframe],
    *,
    span: str = "hold",
) -> np.ndarray:
    """Rasterise keyframed boxes and polygons, linearly interpolated, into masks.

    Shape:
        returns ``(frame_count, height, width)`` bool, True = fill.

    Args:
        keyframes: :class:`Keyframe` objects (any order, several objects allowed).
        span: ``"hold"`` keeps an object's first/last shape before/after its keyed span;
            ``"keyed"`` marks it only from its first to its last keyframe.

    Raises:
        InvalidOptionError: no keyframes, a keyframe outside the clip, two keyframes of one object on
            one frame, a shape wholly outside the frame, polygons with different vertex counts,
            an unknown ``span``.
    """
    if span not in SPANS:
        raise InvalidOptionError(f"span must be one of {', '.join(SPANS)}, got {span!r}")
    if frame_count <= 0 or height <= 0 or width <= 0:
        raise InvalidOptionError(f"clip size must be positive, got {frame_count} frames of {width}x{height}")
    objects: dict[int, dict[int, Keyframe]] = {}
    for key in keyframes:
        _check_keyframe(key, frame_count, height, width)
        track = objects.setdefault(key.object_id, {})
        if key.frame in track:
            raise InvalidOptionError(f"object {key.object_id} has two keyframes on frame {key.frame}")
        track[key.frame] = key
    if not objects:
        raise InvalidOptionError("no keyframes: give at least one box or polygon")
    masks = np.zeros((frame_count, height, width), bool)
    for track in objects.values():
        frames = sorted(track)
        first, last = (0, frame_count - 1) if span == "hold" else (frames[0], frames[-1])
        for frame in range(first, last + 1):
            points = _shape_at(track, frames, frame)
            masks[frame] |= _rasterise(points, height, width)
    return masks


def _check_keyframe(key: Keyframe, frame_count: int, height: int, width: int) -> None:
    if not 0 <= key.frame < frame_count:
        raise InvalidOptionError(f"keyframe {key.frame} is beyond the clip's {frame_count} frames (0-{frame_count - 1})")
    xs, ys = key.points[:, 0], key.points[:, 1]
    if xs.max() < 0 or ys.max() < 0 or xs.min() > width - 1 or ys.min() > height - 1:
        shape = "box" if key.is_box else "polygon"
        raise InvalidOptionError(
            f"the {shape} at frame {key.frame} (x {xs.min():g}-{xs.max():g}, y {ys.min():g}-{ys.max():g}) is outside "
            f"the {width}x{height} frame; coordinates are pixels from the top-left corner"
        )


def _shape_at(track: Mapping[int, Keyframe], frames: list[int], frame: int) -> np.ndarray:
    if frame <= frames[0]:
        return track[frames[0]].points
    if frame >= frames[-1]:
        return track[frames[-1]].points
    after = next(f for f in frames if f >= frame)
    before = max(f for f in frames if f <= frame)
    if before == after:
        return track[before].points
    a, b = track[before], track[after]
    if len(a.points) != len(b.points):
        raise InvalidOptionError(
            f"object {a.object_id}: the shapes at frames {before} and {after} have {len(a.points)} and {len(b.points)} "
            "vertices; polygons interpolated together need the same number (a box counts as 4)"
        )
    alpha = (frame - before) / (after - before)
    return (1 - alpha) * a.points + alpha * b.points


def _rasterise(points: np.ndarray, height: int, width: int) -> np.ndarray:
    """Fill a polygon given by pixel-centre coordinates (its boundary pixels included)."""
    shift = 4
    fixed = np.round(points * (1 << shift)).astype(np.int32)
    canvas = np.zeros((height, width), np.uint8)
    cv2.fillPoly(canvas, [fixed.reshape(-1, 1, 2)], 1, lineType=cv2.LINE_8, shift=shift)
    return canvas > 0


def parse_box(text: str) -> Keyframe:
    """``"FRAME:x,y,w,h"`` or ``"FRAME:x,y,w,h:ID"`` -> :class:`Keyframe` (numbers may be decimals)."""
    parts = text.strip().split(":")
    try:
        if len(parts) not in (2, 3):
            raise ValueError
        frame = int(parts[0])
        values = [float(v) for v in parts[1].split(",")]
        object_id = int(parts[2]) if len(parts) == 3 else 1
        if len(values) != 4 or frame < 0 or object_id <= 0:
            raise ValueError
    except ValueError:
        raise InvalidOptionError(
            f"{text!r} is not a box like FRAME:x,y,w,h or FRAME:x,y,w,h:ID (e.g. 0:40,30,120,60 or 40:52,30,120,60:2)"
        ) from None
    return Keyframe.box(frame, *values, object_id=object_id)


def load_keyframes(path: str | Path) -> list[Keyframe]:
    """Keyframes from a JSON file: a list of ``{"frame": 0, "box": [x, y, w, h], "id": 1}`` or
    ``{"frame": 0, "polygon": [[x, y], ...], "id": 1}`` (``id`` optional, default 1)."""
    path = Path(path)
    if not path.is_file():
        raise InputNotFoundError(f"keyframe file not found: {path}")
    try:
        items = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise UnreadableInputError(f"{path} is not valid JSON: {error}") from None
    if isinstance(items, dict):
        items = items.get("keyframes", [])
    if not isinstance(items, list) or not items:
        raise UnreadableInputError(f"{path} must hold a non-empty list of keyframes like "
                                   '[{"frame": 0, "box": [x, y, w, h]}]')
    keyframes = []
    for number, item in enumerate(items):
        try:
            frame = int(item["frame"])
            object_id = int(item.get("id", 1))
            if "box" in item:
                x, y, w, h = (float(v) for v in item["box"])
                keyframes.append(Keyframe.box(frame, x, y, w, h, object_id=object_id))
            else:
                keyframes.append(Keyframe.polygon(frame, item["polygon"], object_id=object_id))
        except (KeyError, TypeError, ValueError):
            raise UnreadableInputError(
                f"{path}: keyframe {number} ({item!r}) needs \"frame\" and a \"box\" [x, y, w, h] or a \"polygon\" [[x, y], ...]"
            ) from None
    return keyframes


@MASK_SOURCES.register("box", description="boxes or polygons at keyframes, interpolated linearly")
def box_masks(frames: np.ndarray, *, keyframes: Iterable[Keyframe], span: str = "hold",
              progress: Callable[[int, int | None], None] | None = None) -> np.ndarray:
    """:func:`masks_from_boxes` as a mask source: the clip's size is read from ``frames``, not its pixels.

    Shape: frames ``(T,H,W,3)`` (any array of that shape); returns ``(T,H,W)`` bool.
    """
    frame_count, height, width = np.shape(frames)[:3]
    masks = masks_from_boxes(frame_count, height, width, keyframes, span=span)
    if progress:
        progress(frame_count, frame_count)
    return masks
