"""Spatial (single-image) hole filling: the plug-ins that invent content no frame shows.

Each filler is registered in :data:`SPATIAL_FILLERS` as ``fill(frame, hole, **options) -> frame``:

Shape:
    frame: ``(H,W,3)`` uint8 RGB.  hole: ``(H,W)`` bool, True = fill.
    returns: ``(H,W,3)`` uint8, equal to ``frame`` outside ``hole``.
"""

from __future__ import annotations

from . import opencv, patchmatch  # noqa: F401  (importing registers the fillers)
from .opencv import fill_fsr, fill_navier_stokes, fill_telea
from .registry import SPATIAL_FILLERS, Filler, fill_spatial

__all__ = ["SPATIAL_FILLERS", "Filler", "fill_fsr", "fill_navier_stokes", "fill_spatial", "fill_telea"]
