"""Disc dilation and erosion of ``(H,W)`` bool masks, as the tracker uses them."""

from __future__ import annotations

import cv2
import numpy as np

from ...arrays import dilate_in_box, disc


def dilate(mask: np.ndarray, pixels: int) -> np.ndarray:
    """``(H,W)`` bool ``mask`` grown by a disc of radius ``pixels`` (worked in the box the result can reach)."""
    return dilate_in_box(mask, disc(pixels))


def erode(mask: np.ndarray, pixels: int, *, frame_edge: bool = False) -> np.ndarray:
    """``(H,W)`` bool ``mask`` eroded by a disc; ``frame_edge``: the mask goes on beyond the array's
    edge (no erosion from it)."""
    kernel = disc(pixels)
    if frame_edge:
        return cv2.erode(mask.astype(np.uint8), kernel, borderType=cv2.BORDER_REPLICATE) > 0
    return cv2.erode(mask.astype(np.uint8), kernel, borderType=cv2.BORDER_CONSTANT, borderValue=0) > 0
