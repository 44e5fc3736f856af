"""Mask sources: ways to get ``(T,H,W)`` bool masks (True = fill) without drawing every frame.

Each source is a function on arrays in the package convention, registered in :data:`MASK_SOURCES`;
the ``vinpaint mask ...`` commands are thin wrappers that read a video, call one, post-process the
result (:mod:`vinpaint.masks.postprocess`) and write a mask folder (``00000.png``..., 255 = fill).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..registry import Registry

MaskSourceFn = Callable[..., np.ndarray]
MASK_SOURCES: Registry[MaskSourceFn] = Registry("mask source")

__all__ = ["MASK_SOURCES", "MaskSourceFn"]

# Sources register themselves when imported.
from . import keyframes, click, track  # noqa: E402,F401

# Detectors register themselves in MASK_SOURCES when imported.
from .detectors import damage, faces, text, watermark  # noqa: E402,F401
