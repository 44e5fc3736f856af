"""Spatial (single-image) hole filling: the plug-ins that invent content no frame shows.

Each filler is registered in :data:`SPATIAL_FILLERS` as ``fill(frame, hole, **options) -> frame``:

Shape:
    frame: ``(H,W,3)`` uint8 RGB.  hole: ``(H,W)`` bool, True = fill.
    returns: ``(H,W,3)`` uint8, equal to ``frame`` outside ``hole``.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from .errors import InvalidArrayError
from .registry import Registry

Filler = Callable[..., np.ndarray]
SPATIAL_FILLERS: Registry[Filler] = Registry("spatial filler")


@SPATIAL_FILLERS.register("telea")
def fill_telea(frame: np.ndarray, hole: np.ndarray, *, radius: int = 5) -> np.ndarray:
    """Fast marching (Telea, J. Graphics Tools 2004): smooth, fast, blurs large holes."""
    return cv2.inpaint(frame, hole.astype(np.uint8), radius, cv2.INPAINT_TELEA)


@SPATIAL_FILLERS.register("ns")
def fill_navier_stokes(frame: np.ndarray, hole: np.ndarray, *, radius: int = 5) -> np.ndarray:
    """Navier-Stokes isophote transport (Bertalmio et al. CVPR 2001): continues edges, smooth."""
    return cv2.inpaint(frame, hole.astype(np.uint8), radius, cv2.INPAINT_NS)


@SPATIAL_FILLERS.register("fsr")
def fill_fsr(frame: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """Frequency selective reconstruction (Seiler et al. 2015, opencv-contrib xphoto, fast mode)."""
    valid = (~hole).astype(np.uint8)
    bgr = cv2.cvtColor(frame, cv2.COLOR_RGB2BGR)
    out = np.empty_like(bgr)
    cv2.xphoto.inpaint(bgr, valid, out, cv2.xphoto.INPAINT_FSR_FAST)
    out = cv2.cvtColor(out, cv2.COLOR_BGR2RGB)
    return np.where(hole[..., None], out, frame)


def fill_spatial(frame: np.ndarray, hole: np.ndarray, *, method: str = "telea", **options) -> np.ndarray:
    """Fill ``hole`` in one frame with the filler ``method`` from :data:`SPATIAL_FILLERS`.

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
    return filler(frame, hole, **options)


from . import patchmatch  # noqa: F401, E402  (registers the filler)
