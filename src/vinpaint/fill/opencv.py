"""Spatial fillers from OpenCV (registered in :data:`SPATIAL_FILLERS`): Telea, Navier-Stokes, FSR.
"""

from __future__ import annotations

import cv2
import numpy as np
from .registry import SPATIAL_FILLERS


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
