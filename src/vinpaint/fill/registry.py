"""The :data:`SPATIAL_FILLERS` registry and :func:`fill_spatial`, which checks input and dispatches.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from ..errors import InvalidArrayError
from ..registry import Registry


Filler = Callable[..., np.ndarray]

SPATIAL_FILLERS: Registry[Filler] = Registry("spatial filler")
# ``onnx:PATH``: a user's image inpainting model, built by the optional models layer when first asked for
SPATIAL_FILLERS.register_prefix("onnx", "vinpaint.models.fill:onnx_filler")


def fill_spatial(frame: np.ndarray, hole: np.ndarray, *, method: str = "telea", max_width: int = 0,
                 **options) -> np.ndarray:
    """Fill ``hole`` in one frame with the filler ``method`` from :data:`SPATIAL_FILLERS`.

    ``max_width`` > 0: a frame wider than that is filled at that width (area-downscaled, the hole
    grown to every pixel it touches) and the fill is upsampled into the hole; the rest of the frame
    is kept at full size.  Texture synthesis costs in proportion to the pixels it fills.

    Shape: frame ``(H,W,3)`` uint8, hole ``(H,W)`` bool; returns ``(H,W,3)`` uint8.
    """
    filler = SPATIAL_FILLERS.get(method)
    if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
        raise InvalidArrayError(f"frame must be (H, W, 3) uint8, got {frame.shape} {frame.dtype}")
    if hole.shape != frame.shape[:2]:
        raise InvalidArrayError(f"hole is {hole.shape}, frame is {frame.shape[:2]}")
    if not hole.any():
        return frame.copy()
    if hole.all():
        return np.full_like(frame, 128)  # nothing to copy from: mid-grey is the least wrong guess
    height, width = hole.shape
    if 0 < max_width < width:
        size = (max_width, max(1, round(height * max_width / width)))
        small_hole = cv2.resize(hole.astype(np.float32), size, interpolation=cv2.INTER_AREA) > 0
        small = fill_spatial(cv2.resize(frame, size, interpolation=cv2.INTER_AREA), small_hole, method=method,
                             **options)
        out = frame.copy()
        out[hole] = cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)[hole]
        return out
    return filler(frame, hole, **options)
