"""Faces: a detector whose weights ship inside its wheel, plus tracking so no frame leaks a face.

Detection is YuNet (Wu et al., "YuNet: A Tiny Millisecond-level Face Detector", Machine Intelligence
Research 2023) through the ``yuface`` wheel (BSD-3, weights compiled in: nothing is downloaded).

A per-frame detector misses faces now and then (motion blur, a turned head, a frame of occlusion).
For privacy one missed frame is a leak, so detections are linked into tracks and the tracks are
trusted more than single frames (:func:`track_boxes`):

* **hysteresis on the score** (as Canny's on edges): detections down to ``keep`` confidence extend a
  track, but a track needs one detection of at least ``start`` to exist at all;
* **gaps** of up to ``max_gap`` frames between two detections of a track are filled by linear
  interpolation of the box;
* **hold**: a track is extended ``hold`` frames before its first and after its last detection,
  moving with the box's last known velocity (a face entering, leaving, or lost for good).

Boxes become masks as ellipses (or rectangles) grown by ``margin`` of the box size on each side; with
``margin >= 0.21`` the ellipse contains the whole detection box.

Convention: boxes are ``(N,4)`` float32 ``(x, y, w, h)`` in pixels (x = column of the left edge),
scores in [0, 1]; frames ``(T,H,W,3)`` uint8 RGB; masks ``(T,H,W)`` bool (see :mod:`vinpaint.arrays`).
"""

from __future__ import annotations

from collections.abc import Iterable

import cv2
import numpy as np


from ...errors import InvalidOptionError, MissingDependencyError
from .. import MASK_SOURCES
from ..source import Progress, frame_stream
from ..boxes import iter_box_masks, render_boxes, track_boxes


def detect_faces(frame: np.ndarray, *, confidence: float = 0.5, scale: float = 1.0) -> np.ndarray:
    """Faces in one frame.

    Shape: frame ``(H,W,3)`` uint8 RGB; returns ``(N,5)`` float32 rows ``(x, y, w, h, score)``, score in [0, 1].

    Args:
        confidence: least detector score kept.
        scale: run the detector on the frame resized by this factor (0 < scale <= 2); 0.5 is about
            3x faster and still finds faces taller than about 20 pixels at full size.
    """
    try:
        import yuface
    except ImportError:  # pragma: no cover - a core dependency
        raise MissingDependencyError("face detection needs yuface: pip install yuface") from None
    if not 0 <= confidence <= 1:
        raise InvalidOptionError(f"face confidence must be in [0, 1], got {confidence}")
    if not 0 < scale <= 2:
        raise InvalidOptionError(f"face detection scale must be in (0, 2], got {scale}")
    image = cv2.cvtColor(np.ascontiguousarray(frame), cv2.COLOR_RGB2BGR)
    if scale != 1:
        image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    scores, boxes, _ = yuface.detect(image, conf=confidence)
    if len(boxes) == 0:
        return np.zeros((0, 5), np.float32)
    out = np.empty((len(boxes), 5), np.float32)
    out[:, :4] = np.asarray(boxes, np.float32).reshape(-1, 4) / scale
    out[:, 4] = np.asarray(scores, np.float32).reshape(-1) / 100.0
    return out


def face_boxes(frames: Iterable[np.ndarray], *, confidence: float = 0.5, keep: float = 0.3, scale: float = 1.0,
               max_gap: int = 8, hold: int = 3) -> list[np.ndarray]:
    """Detect and track faces over a stream of frames; returns the ``(M,4)`` boxes to cover in each frame.

    Only boxes are kept in memory, so a long video costs one frame at a time.
    """
    if keep > confidence:
        raise InvalidOptionError(f"keep ({keep}) must not exceed confidence ({confidence})")
    size = None
    detections = []
    for frame in frames:
        size = frame.shape[:2]
        detections.append(detect_faces(frame, confidence=keep, scale=scale))
    return track_faces(detections, size, confidence=confidence, keep=keep, max_gap=max_gap, hold=hold)


def track_faces(detections: list[np.ndarray], frame_size: tuple[int, int] | None, *, confidence: float = 0.5,
                keep: float = 0.3, max_gap: int = 8, hold: int = 3) -> list[np.ndarray]:
    """The tracking half of :func:`face_boxes`: ``(N,5)`` detections per frame -> ``(M,4)`` boxes per frame.

    A track starts at a score of ``confidence`` and goes on while its score is at least ``keep``.
    """
    return track_boxes(detections, start=confidence, keep=keep, max_gap=max_gap, hold=hold, frame_size=frame_size)


@MASK_SOURCES.register("faces")
def face_masks(
    frames: np.ndarray,
    *,
    confidence: float = 0.5,
    keep: float = 0.3,
    scale: float = 1.0,
    max_gap: int = 8,
    hold: int = 3,
    margin: float = 0.25,
    shape: str = "ellipse",
    progress: Progress | None = None,
) -> np.ndarray:
    """Faces (YuNet via yuface) tracked with score hysteresis, gap filling and hold; ellipses or boxes.

    Shape: frames ``(T,H,W,3)`` uint8 RGB, or an iterable of ``(H,W,3)`` frames read one at a time;
    returns ``(T,H,W)`` bool.
    """
    size, frames = frame_stream(frames)
    render_boxes(np.zeros((0, 4)), (1, 1), margin=margin, shape=shape)  # validate before the slow part
    boxes = face_boxes(frames, confidence=confidence, keep=keep, scale=scale, max_gap=max_gap, hold=hold)
    masks = np.stack(list(iter_box_masks(boxes, size, margin=margin, shape=shape)))
    if progress:
        progress(len(masks), len(masks))
    return masks
