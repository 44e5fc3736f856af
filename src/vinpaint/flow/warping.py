"""Warping frames along a flow field, forward-backward consistency and motion boundaries.
"""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np


def warp(image: np.ndarray, flow: np.ndarray, *, interpolation: int = cv2.INTER_LINEAR,
         box: tuple[slice, slice] | None = None) -> np.ndarray:
    """Backward-warp: ``out[y, x] = image[y + dy, x + dx]`` (bilinear, border replicated).

    With ``flow`` the flow from frame a to frame b and ``image`` frame b, ``out`` is b aligned to a.
    With ``box`` (row and column slices), only that part of ``out`` is computed and returned.

    Shape:
        image: ``(H,W)`` or ``(H,W,C)``.  flow: ``(H,W,2)`` float32.  returns: like ``image`` (or its box).
    """
    grid_x, grid_y = pixel_grid(*flow.shape[:2])
    if box is not None:
        grid_x, grid_y, flow = grid_x[box], grid_y[box], flow[box]
    return cv2.remap(image, grid_x + flow[..., 0], grid_y + flow[..., 1], interpolation, borderMode=cv2.BORDER_REPLICATE)


@lru_cache(maxsize=4)
def pixel_grid(height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """The pixels' x and y coordinates, each ``(H,W)`` float32 (read-only: cached per size)."""
    grid_x, grid_y = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
    grid_x.flags.writeable = grid_y.flags.writeable = False
    return grid_x, grid_y


def consistency(forward: np.ndarray, backward: np.ndarray, *, alpha: float = 0.01, beta: float = 0.5,
                box: tuple[slice, slice] | None = None) -> np.ndarray:
    """Forward-backward consistency of a flow pair (Sundaram et al. ECCV 2010).

    A pixel is consistent when following ``forward`` then ``backward`` returns near the start:
    ``|f + b(x + f)|² < alpha (|f|² + |b(x + f)|²) + beta``.  With ``box`` (row and column slices
    holding every non-zero flow vector of both), only the box is computed: outside it both flows
    are zero, which is consistent.

    Shape:
        forward: ``(H,W,2)`` a->b.  backward: ``(H,W,2)`` b->a.  returns: ``(H,W)`` bool, on a's grid.
    """
    whole = box is None
    box = (slice(0, forward.shape[0]), slice(0, forward.shape[1])) if whole else box
    back_at_target = warp(backward, forward, box=box)
    forward = forward[box]
    sum_x = forward[..., 0] + back_at_target[..., 0]
    sum_y = forward[..., 1] + back_at_target[..., 1]
    lhs = sum_x * sum_x + sum_y * sum_y
    forward_sq = forward[..., 0] ** 2 + forward[..., 1] ** 2
    back_sq = back_at_target[..., 0] ** 2 + back_at_target[..., 1] ** 2
    ok = (lhs < alpha * (forward_sq + back_sq) + beta) & _lands_inside(forward, backward.shape[:2], box)
    if whole:
        return ok
    out = np.ones(backward.shape[:2], bool)
    out[box] = ok
    return out


def motion_boundaries(flow: np.ndarray, *, alpha: float = 0.01, beta: float = 0.002) -> np.ndarray:
    """Motion boundaries of a flow (Sundaram et al. 2010): ``|∇u|² + |∇v|² > alpha |w|² + beta``.

    Shape: flow ``(H,W,2)``; returns ``(H,W)`` bool.
    """
    du_y, du_x = np.gradient(flow[..., 0])
    dv_y, dv_x = np.gradient(flow[..., 1])
    grad = du_x**2 + du_y**2 + dv_x**2 + dv_y**2
    return grad > alpha * (flow**2).sum(-1) + beta


def _lands_inside(flow: np.ndarray, shape: tuple[int, int], box: tuple[slice, slice]) -> np.ndarray:
    """Whether ``x + flow`` lies in the ``shape`` frame, for the pixels of ``box`` (``flow`` is the box's)."""
    h, w = shape
    tx = flow[..., 0] + np.arange(box[1].start, box[1].stop, dtype=np.float32)[None, :]
    ty = flow[..., 1] + np.arange(box[0].start, box[0].stop, dtype=np.float32)[:, None]
    return (tx >= 0) & (tx <= w - 1) & (ty >= 0) & (ty <= h - 1)
