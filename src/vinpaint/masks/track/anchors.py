"""Anchors: the keyframe masks a track starts from, split by object, and the margin they were drawn with.

Object ids are the non-zero values of the init masks (a bool mask is object 1); the same id at
several frames is one object re-anchored there.
"""

from __future__ import annotations

from collections.abc import Mapping

import cv2
import numpy as np

from ...errors import InvalidArrayError, InvalidOptionError, MaskMismatchError
from .morphology import erode
from .settings import TRACKER_SETTINGS


def split_anchors(init: Mapping[int, np.ndarray], t: int, h: int, w: int,
                  ids: list[int] | None) -> dict[int, dict[int, np.ndarray]]:
    """``{object id: {frame: (H,W) bool}}`` from the init masks, validated.

    Raises:
        InvalidOptionError: empty ``init``, a keyframe outside the ``t`` frames, an unknown id.
        InvalidArrayError: an init mask that is not 2-D.
        MaskMismatchError: an init mask of another size than ``(h, w)``.
    """
    if not init:
        raise InvalidOptionError("tracking needs at least one init mask (FRAME -> mask)")
    anchors: dict[int, dict[int, np.ndarray]] = {}
    for frame, mask in sorted(init.items()):
        frame = int(frame)
        if not 0 <= frame < t:
            raise InvalidOptionError(f"init frame {frame} is outside the clip's {t} frames (0-{t - 1})")
        mask = np.asarray(mask)
        if mask.ndim != 2:
            raise InvalidArrayError(f"the init mask of frame {frame} must have shape (H, W), got {mask.shape}")
        if mask.shape != (h, w):
            raise MaskMismatchError(f"the init mask of frame {frame} is {mask.shape[1]}x{mask.shape[0]}, the video is {w}x{h}")
        if mask.dtype == bool:
            mask = mask.astype(np.int32)
        for object_id in np.unique(mask):
            if object_id != 0:
                anchors.setdefault(int(object_id), {})[frame] = mask == object_id
    if ids is not None:
        unknown = sorted(set(ids) - set(anchors))
        if unknown:
            raise InvalidOptionError(f"object id(s) {unknown} are in no init mask; the init masks hold ids {sorted(anchors)}")
        anchors = {i: anchors[i] for i in anchors if i in ids}
    if not anchors:
        raise InvalidOptionError("the init masks are empty: mark the object with non-zero pixels")
    return anchors


def estimate_mask_margin(frame: np.ndarray, mask: np.ndarray, *, limit: int = TRACKER_SETTINGS.margin_limit) -> int:
    """How far, in pixels, ``mask`` reaches beyond the edges of the object it marks.

    A mask traced on its object's outline has the image's edges on its own contour; one drawn with
    a margin (a user's generous outline) has flat background there, and the edges ``margin`` pixels
    inside.  The mean colour gradient (Sobel, CIE Lab) is measured along the contour of the mask
    eroded by 0, 1, ... ``limit`` pixels; the first depth at which it reaches half its peak (the
    half-maximum rule of edge localisation) is the first contour that sees the object's edge, one
    pixel outside it, so the margin is that depth plus one (a margin of 1 pixel reads as 0: the
    3x3 operator cannot tell it from a tight mask).  On a synthetic square, masks dilated by 0-6
    pixels read 0, 0, 2, 3, 4, 5, 6.

    Shape: frame ``(H,W,3)`` uint8 RGB; mask ``(H,W)`` bool.  Returns an int in ``[0, limit + 1]``.
    """
    if not mask.any():
        return 0
    ys, xs = np.nonzero(mask)
    h, w = mask.shape
    y0, y1, x0, x1 = max(0, ys.min() - 2), min(h, ys.max() + 3), max(0, xs.min() - 2), min(w, xs.max() + 3)
    lab = cv2.cvtColor(np.ascontiguousarray(frame[y0:y1, x0:x1]), cv2.COLOR_RGB2Lab).astype(np.float32)
    gradient = np.sqrt((cv2.Sobel(lab, cv2.CV_32F, 1, 0) ** 2 + cv2.Sobel(lab, cv2.CV_32F, 0, 1) ** 2).sum(-1))
    inner = mask[y0:y1, x0:x1]
    profile = []
    for _ in range(limit + 1):
        eroded = erode(inner, 1, frame_edge=True)  # the frame's edge is not the mask's contour
        contour = inner & ~eroded
        if not contour.any():
            break
        profile.append(float(gradient[contour].mean()))
        inner = eroded
    peak = max(profile)
    depth = next(depth for depth, value in enumerate(profile) if value >= 0.5 * peak)
    # the 3x3 Sobel reaches one pixel beyond an edge: the first contour that sees the object's edge
    # lies just outside it (at depth 0 a tight contour and one a pixel outside cannot be told apart)
    return depth + 1 if depth else 0
