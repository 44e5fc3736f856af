"""Disc dilation and erosion of ``(H,W)`` bool masks, as the tracker uses them."""

from __future__ import annotations

import cv2
import numpy as np


def dilate(mask: np.ndarray, pixels: int) -> np.ndarray:
    """``(H,W)`` bool ``mask`` grown by a disc of radius ``pixels``."""
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * pixels + 1, 2 * pixels + 1))
    return cv2.dilate(mask.astype(np.uint8), kernel) > 0


def erode(mask: np.ndarray, pixels: int, *, frame_edge: bool = False) -> np.ndarray:
    """``(H,W)`` bool ``mask`` eroded by a disc; ``frame_edge``: the mask goes on beyond the array's
    edge (no erosion from it)."""
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * pixels + 1, 2 * pixels + 1))
    if frame_edge:
        return cv2.erode(mask.astype(np.uint8), kernel, borderType=cv2.BORDER_REPLICATE) > 0
    return cv2.erode(mask.astype(np.uint8), kernel, borderType=cv2.BORDER_CONSTANT, borderValue=0) > 0


def dilate_in_box(mask: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """``cv2.dilate(mask, kernel) > 0`` for a ``(H,W)`` bool ``mask``, computed only in the box around its
    pixels grown by the kernel's reach (nothing outside it can be reached); ``(H,W)`` bool."""
    out = np.zeros(mask.shape, bool)
    rows, cols = np.nonzero(mask.any(1))[0], np.nonzero(mask.any(0))[0]
    if not len(rows):
        return out
    h, w = mask.shape
    ry, rx = kernel.shape[0] // 2, kernel.shape[1] // 2
    box = (slice(max(0, rows[0] - ry), min(h, rows[-1] + 1 + ry)), slice(max(0, cols[0] - rx), min(w, cols[-1] + 1 + rx)))
    out[box] = cv2.dilate(mask[box].view(np.uint8), kernel) > 0
    return out


def disc(pixels: int) -> np.ndarray:
    """The ``(2p+1, 2p+1)`` uint8 ellipse kernel :func:`dilate` and :func:`erode` use."""
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * pixels + 1, 2 * pixels + 1))
