"""Licence plates: OpenCV's boosted Haar cascades trained on plates.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from ...arrays import to_gray
from ...errors import InvalidOptionError, MissingDependencyError


PLATE_CASCADES = ("haarcascade_russian_plate_number.xml", "haarcascade_license_plate_rus_16stages.xml")


@lru_cache(maxsize=4)
def _cascade(name: str) -> cv2.CascadeClassifier:
    folder = getattr(getattr(cv2, "data", None), "haarcascades", None)
    path = Path(folder or "") / name
    if not folder or not path.is_file():
        raise MissingDependencyError(
            f"OpenCV's Haar cascade {name} is missing; plates need an OpenCV 4.x wheel: "
            "pip install 'opencv-contrib-python-headless<5'"
        )
    cascade = cv2.CascadeClassifier(str(path))
    if cascade.empty():
        raise MissingDependencyError(f"cannot load OpenCV's Haar cascade {path}")
    return cascade


def detect_plates(frame: np.ndarray, *, min_neighbors: int = 4, min_width: int = 30, both_cascades: bool = False) -> np.ndarray:
    """Licence plates in one frame.

    Shape: frame ``(H,W,3)`` uint8 RGB; returns ``(N,4)`` float32 ``(x, y, w, h)``.

    Args:
        min_neighbors: overlapping detections needed to accept one (higher = fewer false alarms).
        min_width: smallest plate width searched (pixels).
        both_cascades: also run the 16-stage cascade and keep the union (more recall, more false alarms).
    """
    if min_neighbors < 1 or min_width < 8:
        raise InvalidOptionError(f"need min_neighbors >= 1 and min_width >= 8, got {min_neighbors} and {min_width}")
    gray = cv2.equalizeHist(to_gray(frame))
    names = PLATE_CASCADES if both_cascades else PLATE_CASCADES[:1]
    found = []
    for name in names:
        boxes = _cascade(name).detectMultiScale(gray, scaleFactor=1.1, minNeighbors=min_neighbors,
                                                minSize=(min_width, max(8, min_width // 4)))
        if len(boxes):
            found.append(np.asarray(boxes, np.float32).reshape(-1, 4))
    return np.concatenate(found) if found else np.zeros((0, 4), np.float32)
