"""Optical flow: estimation, completion inside holes, consistency and warping.

Convention: a flow field is ``(H,W,2)`` float32 ``(dx, dy)`` in pixels; ``flow`` from frame a to
frame b says pixel ``(x, y)`` of a is seen at ``(x + dx, y + dy)`` in b.  See :mod:`vinpaint.arrays`.

Estimators are plug-ins in :data:`FLOW_ESTIMATORS`; each factory takes keyword options and returns a
callable ``(gray_a, gray_b) -> flow`` on ``(H,W)`` uint8 images.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import cv2
import numpy as np

from .arrays import to_gray
from .errors import InvalidArrayError, InvalidOptionError, MissingDependencyError
from .poisson import solve_poisson
from .registry import Registry

log = logging.getLogger(__name__)

FlowFn = Callable[[np.ndarray, np.ndarray], np.ndarray]
FLOW_ESTIMATORS: Registry[Callable[..., FlowFn]] = Registry("flow estimator")


def _dis(preset: int) -> Callable[..., FlowFn]:
    def factory() -> FlowFn:
        dis = cv2.DISOpticalFlow_create(preset)

        def estimate(a: np.ndarray, b: np.ndarray) -> np.ndarray:
            return dis.calc(a, b, None)

        return estimate

    return factory


FLOW_ESTIMATORS.register(
    "dis", description="DIS, medium preset (Kroeger et al. ECCV 2016): accurate and fast, the default"
)(_dis(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM))
FLOW_ESTIMATORS.register("dis-fast", description="DIS, fast preset: about 3x faster, rougher")(
    _dis(cv2.DISOPTICAL_FLOW_PRESET_FAST)
)


@FLOW_ESTIMATORS.register("farneback")
def _farneback() -> FlowFn:
    """Farnebäck polynomial expansion (SCIA 2003): dense, smooth, slower than DIS."""

    def estimate(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return cv2.calcOpticalFlowFarneback(a, b, None, 0.5, 4, 21, 3, 5, 1.1, 0)

    return estimate


@FLOW_ESTIMATORS.register("tvl1")
def _tvl1() -> FlowFn:
    """TV-L1 (Zach et al. 2007, opencv-contrib): the most accurate here, about 50x slower than DIS."""
    if not hasattr(cv2, "optflow"):
        raise MissingDependencyError("TV-L1 flow needs opencv-contrib: pip install 'opencv-contrib-python-headless<5'")
    tvl1 = cv2.optflow.DualTVL1OpticalFlow_create()

    def estimate(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return tvl1.calc(a, b, None)

    return estimate


def make_flow_estimator(method: str = "dis") -> FlowFn:
    """The estimator ``method`` from :data:`FLOW_ESTIMATORS`, ready to call on gray frames."""
    return FLOW_ESTIMATORS.get(method)()


def resize_flow(flow: np.ndarray, hw: tuple[int, int]) -> np.ndarray:
    """Resample a flow field ``(H,W,2)`` (or several stacked, ``(H,W,2k)``) to ``hw = (H, W)``,
    scaling the vectors with the image."""
    h, w = hw
    if flow.shape[:2] == (h, w):
        return flow
    sy, sx = h / flow.shape[0], w / flow.shape[1]
    out = cv2.resize(flow, (w, h), interpolation=cv2.INTER_LINEAR).reshape(h, w, -1)
    out[..., 0::2] *= sx
    out[..., 1::2] *= sy
    return out


def estimate_flow(
    frames: np.ndarray, *, method: str = "dis", scale: float = 1.0, estimator: FlowFn | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Forward and backward flow between neighbouring frames.

    Shape:
        frames: ``(T,H,W,3)`` uint8 RGB, ``T >= 2``.
        returns: ``(forward, backward)``, each ``(T-1,H,W,2)`` float32; ``forward[t]`` maps frame t
        to t+1, ``backward[t]`` maps frame t+1 to t.

    Args:
        method: a name in :data:`FLOW_ESTIMATORS`.
        scale: compute at this fraction of the size (0 < scale <= 1), then upsample; flow is smooth,
            so 0.5 loses little and saves three quarters of the time.
    """
    if not 0 < scale <= 1:
        raise InvalidOptionError(f"flow scale must be in (0, 1], got {scale}")
    estimator = estimator or make_flow_estimator(method)
    t, h, w = frames.shape[:3]
    small = (max(8, round(w * scale)), max(8, round(h * scale)))
    grays = [to_gray(f) if scale == 1 else cv2.resize(to_gray(f), small, interpolation=cv2.INTER_AREA) for f in frames]
    forward = np.empty((max(t - 1, 0), h, w, 2), np.float32)
    backward = np.empty_like(forward)
    for i in range(t - 1):
        forward[i] = resize_flow(estimator(grays[i], grays[i + 1]), (h, w))
        backward[i] = resize_flow(estimator(grays[i + 1], grays[i]), (h, w))
    return forward, backward


def complete_flow(flow: np.ndarray, hole: np.ndarray, *, scale: float = 0.5) -> np.ndarray:
    """Replace the flow inside ``hole`` by the harmonic interpolation of the flow around it.

    The flow estimated inside a hole belongs to the object being removed, not to the background
    behind it; the background's motion there is best guessed as the smoothest field that agrees with
    the flow on the hole's boundary (the Laplace equation, as FGVC's smooth flow completion, Gao et
    al. ECCV 2020).  Solved at ``scale`` of the resolution (flow is smooth, the solve is the cost).

    Shape:
        flow: ``(H,W,2)`` float32, or several flows stacked ``(H,W,2k)`` sharing one hole (one
        factorisation serves them all).  hole: ``(H,W)`` bool.  returns: like ``flow``.
    """
    flow = np.ascontiguousarray(flow, dtype=np.float32)
    if flow.ndim != 3 or flow.shape[2] % 2:
        raise InvalidArrayError(f"flow must have shape (H, W, 2) or (H, W, 2k), got {flow.shape}")
    if not hole.any():
        return flow
    if hole.all():
        return np.zeros_like(flow)
    h, w = hole.shape
    if scale < 1:
        sw, sh = max(8, round(w * scale)), max(8, round(h * scale))
        small_hole = cv2.resize(hole.astype(np.uint8), (sw, sh), interpolation=cv2.INTER_AREA) > 0
        small_flow = resize_flow(flow, (sh, sw))
        filled = resize_flow(solve_poisson(small_flow, small_hole).astype(np.float32), (h, w))
    else:
        filled = solve_poisson(flow, hole).astype(np.float32)
    out = flow.copy()
    out[hole] = filled[hole]
    return out


def warp(image: np.ndarray, flow: np.ndarray, *, interpolation: int = cv2.INTER_LINEAR) -> np.ndarray:
    """Backward-warp: ``out[y, x] = image[y + dy, x + dx]`` (bilinear, border replicated).

    With ``flow`` the flow from frame a to frame b and ``image`` frame b, ``out`` is b aligned to a.

    Shape:
        image: ``(H,W)`` or ``(H,W,C)``.  flow: ``(H,W,2)`` float32.  returns: like ``image``.
    """
    h, w = flow.shape[:2]
    grid_x, grid_y = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return cv2.remap(image, grid_x + flow[..., 0], grid_y + flow[..., 1], interpolation, borderMode=cv2.BORDER_REPLICATE)


def consistency(forward: np.ndarray, backward: np.ndarray, *, alpha: float = 0.01, beta: float = 0.5) -> np.ndarray:
    """Forward-backward consistency of a flow pair (Sundaram et al. ECCV 2010).

    A pixel is consistent when following ``forward`` then ``backward`` returns near the start:
    ``|f + b(x + f)|² < alpha (|f|² + |b(x + f)|²) + beta``.

    Shape:
        forward: ``(H,W,2)`` a->b.  backward: ``(H,W,2)`` b->a.  returns: ``(H,W)`` bool, on a's grid.
    """
    back_at_target = warp(backward, forward)
    sum_x = forward[..., 0] + back_at_target[..., 0]
    sum_y = forward[..., 1] + back_at_target[..., 1]
    lhs = sum_x * sum_x + sum_y * sum_y
    forward_sq = forward[..., 0] ** 2 + forward[..., 1] ** 2
    back_sq = back_at_target[..., 0] ** 2 + back_at_target[..., 1] ** 2
    return (lhs < alpha * (forward_sq + back_sq) + beta) & _lands_inside(forward)


def motion_boundaries(flow: np.ndarray, *, alpha: float = 0.01, beta: float = 0.002) -> np.ndarray:
    """Motion boundaries of a flow (Sundaram et al. 2010): ``|∇u|² + |∇v|² > alpha |w|² + beta``.

    Shape: flow ``(H,W,2)``; returns ``(H,W)`` bool.
    """
    du_y, du_x = np.gradient(flow[..., 0])
    dv_y, dv_x = np.gradient(flow[..., 1])
    grad = du_x**2 + du_y**2 + dv_x**2 + dv_y**2
    return grad > alpha * (flow**2).sum(-1) + beta


def _lands_inside(flow: np.ndarray) -> np.ndarray:
    h, w = flow.shape[:2]
    tx = flow[..., 0] + np.arange(w, dtype=np.float32)[None, :]
    ty = flow[..., 1] + np.arange(h, dtype=np.float32)[:, None]
    return (tx >= 0) & (tx <= w - 1) & (ty >= 0) & (ty <= h - 1)
