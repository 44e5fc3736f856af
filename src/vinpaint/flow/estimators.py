"""Optical flow estimators: the :data:`FLOW_ESTIMATORS` registry and :func:`estimate_flow`.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from ..arrays import to_gray
from ..errors import InvalidOptionError, MissingDependencyError
from ..registry import Registry


FlowFn = Callable[[np.ndarray, np.ndarray], np.ndarray]

FLOW_ESTIMATORS: Registry[Callable[..., FlowFn]] = Registry("flow estimator")
# ``onnx:PATH``: a user's two-frame flow model, built by the optional models layer when first asked for
FLOW_ESTIMATORS.register_prefix("onnx", "vinpaint.models.flow:onnx_flow_estimator")


def _dis(preset: int, *, refinement_iterations: int | None = None, patch_stride: int | None = None) -> Callable[..., FlowFn]:
    def factory() -> FlowFn:
        dis = cv2.DISOpticalFlow_create(preset)
        if refinement_iterations is not None:
            dis.setVariationalRefinementIterations(refinement_iterations)
        if patch_stride is not None:
            dis.setPatchStride(patch_stride)

        def estimate(a: np.ndarray, b: np.ndarray) -> np.ndarray:
            return dis.calc(a, b, None)

        return estimate

    return factory


FLOW_ESTIMATORS.register(
    "dis", description="DIS, medium preset (Kroeger et al. ECCV 2016): accurate and fast; the quality preset's"
)(_dis(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM))

# the engine's default: the medium preset's two costliest settings lowered (5 -> 3 variational refinement
# iterations, patch stride 3 -> 4): 30 % less time a call at 854x480, 0.04 px mean difference from "dis"
FLOW_ESTIMATORS.register(
    "dis-lean", description="DIS, medium preset with 3 refinement iterations and patch stride 4: about 1.4x faster"
)(_dis(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM, refinement_iterations=3, patch_stride=4))

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
    frames: np.ndarray,
    *,
    method: str = "dis",
    scale: float = 1.0,
    estimator: FlowFn | None = None,
    progress: Callable[[int, int], None] | None = None,
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
        progress: called as ``progress(pairs_done, pairs)`` after each neighbouring pair.
    """
    _check_scale(scale)
    estimator = estimator or make_flow_estimator(method)
    t, h, w = frames.shape[:3]
    grays = [gray_for_flow(f, scale) for f in frames]
    forward = np.empty((max(t - 1, 0), h, w, 2), np.float32)
    backward = np.empty_like(forward)
    for i in range(t - 1):
        forward[i] = resize_flow(estimator(grays[i], grays[i + 1]), (h, w))
        backward[i] = resize_flow(estimator(grays[i + 1], grays[i]), (h, w))
        if progress is not None:
            progress(i + 1, t - 1)
    return forward, backward


def estimate_pair_flow(
    first: np.ndarray, second: np.ndarray, *, method: str = "dis", scale: float = 1.0, estimator: FlowFn | None = None
) -> np.ndarray:
    """Flow from ``first`` to ``second``, computed at ``scale`` of the size as :func:`estimate_flow` does.

    Shape: first, second ``(H,W,3)`` uint8 RGB; returns ``(H,W,2)`` float32.
    """
    _check_scale(scale)
    estimator = estimator or make_flow_estimator(method)
    return resize_flow(estimator(gray_for_flow(first, scale), gray_for_flow(second, scale)), first.shape[:2])


def gray_for_flow(frame: np.ndarray, scale: float = 1.0) -> np.ndarray:
    """Luma of ``(H,W,3)`` uint8 RGB at ``scale`` of the size (area-averaged, at least 8x8): uint8."""
    gray = to_gray(frame)
    if scale == 1:
        return gray
    h, w = frame.shape[:2]
    return cv2.resize(gray, (max(8, round(w * scale)), max(8, round(h * scale))), interpolation=cv2.INTER_AREA)


def _check_scale(scale: float) -> None:
    if not 0 < scale <= 1:
        raise InvalidOptionError(f"flow scale must be in (0, 1], got {scale}")
