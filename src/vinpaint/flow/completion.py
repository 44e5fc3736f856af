"""Flow completion: the background's motion inside a hole, from the flow around it.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..arrays import bounding_box
from ..errors import InvalidArrayError
from ..fill.poisson import solve_poisson
from .estimators import resize_flow


def complete_flow(flow: np.ndarray, hole: np.ndarray, *, scale: float = 0.5, in_place: bool = False) -> np.ndarray:
    """Replace the flow inside ``hole`` by the harmonic interpolation of the flow around it.

    The flow estimated inside a hole belongs to the object being removed, not to the background
    behind it; the background's motion there is best guessed as the smoothest field that agrees with
    the flow on the hole's boundary (the Laplace equation, as FGVC's smooth flow completion, Gao et
    al. ECCV 2020).  Solved at ``scale`` of the resolution (flow is smooth, the solve is the cost).

    Shape:
        flow: ``(H,W,2)`` float32, or several flows stacked ``(H,W,2k)`` sharing one hole (one
        factorisation serves them all).  hole: ``(H,W)`` bool.  returns: like ``flow``; with
        ``in_place`` (``flow`` C-contiguous float32), ``flow`` itself, its hole overwritten.
    """
    if in_place and not (flow.dtype == np.float32 and flow.flags.c_contiguous):
        raise InvalidArrayError(f"in_place needs a C-contiguous float32 flow, got {flow.dtype}")
    flow = np.ascontiguousarray(flow, dtype=np.float32)
    if flow.ndim != 3 or flow.shape[2] % 2:
        raise InvalidArrayError(f"flow must have shape (H, W, 2) or (H, W, 2k), got {flow.shape}")
    if not hole.any():
        return flow
    if hole.all():
        if in_place:
            flow[...] = 0
            return flow
        return np.zeros_like(flow)
    h, w = hole.shape
    if scale < 1:
        sw, sh = max(8, round(w * scale)), max(8, round(h * scale))
        small_hole = cv2.resize(hole.astype(np.uint8), (sw, sh), interpolation=cv2.INTER_AREA) > 0
        small_flow = resize_flow(flow, (sh, sw))
        filled = resize_flow(solve_poisson(small_flow, small_hole).astype(np.float32), (h, w))
    else:
        filled = solve_poisson(flow, hole).astype(np.float32)
    out = flow if in_place else flow.copy()
    box = bounding_box(hole)
    np.copyto(out[box], filled[box], where=hole[box][..., None])  # as out[hole] = filled[hole], faster
    return out
