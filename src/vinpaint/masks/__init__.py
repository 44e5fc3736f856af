"""Mask sources: ways to get ``(T,H,W)`` bool masks (True = fill) without drawing every frame.

Each source is a function on arrays in the package convention, registered in :data:`MASK_SOURCES`
and called one way (:class:`~vinpaint.masks.source.MaskSource`)::

    MASK_SOURCES.get(name)(frames, progress=None, **hints_and_settings) -> (T,H,W) bool

with the hints by keyword: ``keyframes=`` (box), ``points=`` (click), ``init=`` (track).  The
``vinpaint mask ...`` commands are thin wrappers that read a video, call one by name, post-process
the result (:mod:`vinpaint.masks.postprocess`) and write a mask folder (``00000.png``..., 255 = fill).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..registry import Registry
from .source import MaskSource

MaskSourceFn = Callable[..., np.ndarray]
MASK_SOURCES: Registry[MaskSource] = Registry("mask source")

__all__ = ["MAKE_METHODS", "MASK_SOURCES", "MaskSource", "MaskSourceFn", "make_masks"]

# Sources register themselves when imported.
from . import keyframes, click, track  # noqa: E402,F401

# Detectors register themselves in MASK_SOURCES when imported.
from .detectors import damage, faces, text, watermark  # noqa: E402,F401

from .make import MAKE_METHODS, make_masks  # noqa: E402
