"""Boxes over time: linking per-frame detections into tracks and drawing them as masks.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np

from ..errors import InvalidOptionError


log = logging.getLogger(__name__)

BOX_SHAPES = ("ellipse", "rect")


@dataclass
class _Track:
    frames: list[int] = field(default_factory=list)
    boxes: list[np.ndarray] = field(default_factory=list)
    best: float = 0.0

    @property
    def last(self) -> np.ndarray:
        return self.boxes[-1]


def box_iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two ``(x, y, w, h)`` boxes."""
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    inter = max(0.0, x1 - x0) * max(0.0, y1 - y0)
    union = a[2] * a[3] + b[2] * b[3] - inter
    return float(inter / union) if union > 0 else 0.0


def _matches(a: np.ndarray, b: np.ndarray, min_iou: float) -> float:
    """Association score of two boxes: IoU, or for fast motion a centre within half a box size."""
    iou = box_iou(a, b)
    if iou >= min_iou:
        return 1.0 + iou
    centre_a = a[:2] + a[2:4] / 2
    centre_b = b[:2] + b[2:4] / 2
    size = max(a[2], a[3], b[2], b[3])
    distance = float(np.hypot(*(centre_a - centre_b)))
    similar = 0.5 < (b[2] * b[3]) / max(a[2] * a[3], 1e-6) < 2.0
    return 1.0 - distance / size if similar and distance < 0.5 * size else 0.0


def track_boxes(
    detections: Sequence[np.ndarray],
    *,
    start: float = 0.5,
    keep: float = 0.3,
    max_gap: int = 8,
    hold: int = 3,
    min_iou: float = 0.2,
    frame_size: tuple[int, int] | None = None,
) -> list[np.ndarray]:
    """Link per-frame detections into tracks and return the boxes to cover in every frame.

    Shape: ``detections[t]`` ``(N,5)`` rows ``(x, y, w, h, score)``; returns a list of ``T`` arrays ``(M,4)``.

    Args:
        start: a track must have at least one detection this confident to be kept.
        keep: detections below this score are ignored (they may neither start nor extend a track).
        max_gap: frames without a detection a track survives; its box is interpolated across them.
        hold: frames a track is extended before its first and after its last detection.
        min_iou: least IoU that links a detection to a track (a nearby centre also links).
        frame_size: ``(H, W)``: held boxes are clipped to it.
    """
    if not 0 <= keep <= start <= 1:
        raise InvalidOptionError(f"need 0 <= keep <= start <= 1 for the score hysteresis, got keep={keep}, start={start}")
    if max_gap < 0 or hold < 0:
        raise InvalidOptionError(f"max_gap and hold must be >= 0 frames, got {max_gap} and {hold}")
    count = len(detections)
    active: list[_Track] = []
    finished: list[_Track] = []
    for t, found in enumerate(detections):
        found = np.asarray(found, np.float32).reshape(-1, 5)
        found = found[found[:, 4] >= keep]
        still = []
        for track in active:
            (finished if t - track.frames[-1] > max_gap + 1 else still).append(track)
        active = still
        pairs = sorted(((_matches(track.last, box, min_iou), i, j) for i, track in enumerate(active)
                        for j, box in enumerate(found)), reverse=True)
        used_tracks, used_boxes = set(), set()
        for score, i, j in pairs:
            if score <= 0 or i in used_tracks or j in used_boxes:
                continue
            used_tracks.add(i)
            used_boxes.add(j)
            active[i].frames.append(t)
            active[i].boxes.append(found[j, :4])
            active[i].best = max(active[i].best, float(found[j, 4]))
        for j in range(len(found)):
            if j not in used_boxes:
                active.append(_Track([t], [found[j, :4]], float(found[j, 4])))
    finished.extend(active)
    out: list[list[np.ndarray]] = [[] for _ in range(count)]
    for track in finished:
        if track.best < start:
            continue
        for t, box in _track_boxes_per_frame(track, count, hold, frame_size):
            out[t].append(box)
    kept = sum(1 for track in finished if track.best >= start)
    log.debug("faces: %d tracks, %d kept (best score >= %.2f)", len(finished), kept, start)
    return [np.asarray(boxes, np.float32).reshape(-1, 4) for boxes in out]


def _track_boxes_per_frame(track: _Track, count: int, hold: int, frame_size) -> Iterator[tuple[int, np.ndarray]]:
    frames = np.asarray(track.frames)
    boxes = np.stack(track.boxes)
    for t in range(frames[0], frames[-1] + 1):
        yield t, np.array([np.interp(t, frames, boxes[:, k]) for k in range(4)], np.float32)
    first_velocity = (boxes[1] - boxes[0]) / (frames[1] - frames[0]) if len(frames) > 1 else np.zeros(4, np.float32)
    last_velocity = (boxes[-1] - boxes[-2]) / (frames[-1] - frames[-2]) if len(frames) > 1 else np.zeros(4, np.float32)
    for step in range(1, hold + 1):
        for t, base, velocity in ((frames[0] - step, boxes[0], -first_velocity), (frames[-1] + step, boxes[-1], last_velocity)):
            if 0 <= t < count:
                box = base + step * velocity
                box[2:] = np.maximum(box[2:], base[2:])  # never shrink a held box
                if frame_size is not None:
                    h, w = frame_size
                    box[0] = np.clip(box[0], -box[2] / 2, w - box[2] / 2)
                    box[1] = np.clip(box[1], -box[3] / 2, h - box[3] / 2)
                yield int(t), box.astype(np.float32)


def render_boxes(boxes: np.ndarray, frame_size: tuple[int, int], *, margin: float = 0.25, shape: str = "ellipse") -> np.ndarray:
    """Rasterise ``(N,4)`` boxes grown by ``margin`` of their size on each side into a ``(H,W)`` bool mask."""
    if shape not in BOX_SHAPES:
        raise InvalidOptionError(f"unknown box shape {shape!r}; choose one of: {', '.join(BOX_SHAPES)}")
    if margin < 0:
        raise InvalidOptionError(f"box margin must be >= 0, got {margin}")
    h, w = frame_size
    mask = np.zeros((h, w), np.uint8)
    for x, y, bw, bh in np.asarray(boxes, np.float32).reshape(-1, 4):
        gx, gy = bw * (1 + 2 * margin), bh * (1 + 2 * margin)
        cx, cy = x + bw / 2, y + bh / 2
        if shape == "ellipse":
            # Fixed-point drawing (shift=4) keeps sub-pixel centres and axes; +1 px rounds outwards.
            centre = (int(round(cx * 16)), int(round(cy * 16)))
            axes = (int(np.ceil((gx / 2 + 1) * 16)), int(np.ceil((gy / 2 + 1) * 16)))
            cv2.ellipse(mask, centre, axes, 0, 0, 360, 1, thickness=-1, lineType=cv2.LINE_8, shift=4)
        else:
            x0, y0 = int(np.floor(cx - gx / 2)), int(np.floor(cy - gy / 2))
            x1, y1 = int(np.ceil(cx + gx / 2)), int(np.ceil(cy + gy / 2))
            mask[max(y0, 0) : max(y1, 0), max(x0, 0) : max(x1, 0)] = 1
    return mask > 0


def iter_box_masks(boxes_per_frame: Iterable[np.ndarray], frame_size: tuple[int, int], *, margin: float = 0.25,
                   shape: str = "ellipse") -> Iterator[np.ndarray]:
    """Stream :func:`render_boxes` over the boxes of each frame; yields ``(H,W)`` bool."""
    for boxes in boxes_per_frame:
        yield render_boxes(boxes, frame_size, margin=margin, shape=shape)
