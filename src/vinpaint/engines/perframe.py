"""The baseline engine: each frame inpainted on its own (the "per-frame trap"), optionally smoothed.

With ``temporal_smoothing > 0`` the fill of frame t is mixed with the previous output warped by the
flow from t to t-1 (an exponential moving average along the motion).
"""

from __future__ import annotations

import numpy as np

from ..arrays import mix
from ..errors import InvalidOptionError
from ..flow import estimate_flow, make_flow_estimator, warp
from ..fill import SPATIAL_FILLERS, fill_spatial
from . import ENGINES


@ENGINES.register("perframe")
def inpaint_perframe(
    frames: np.ndarray,
    holes: np.ndarray,
    *,
    fill: str = "telea",
    temporal_smoothing: float = 0.0,
    flow: str = "dis",
) -> np.ndarray:
    """Per-frame spatial inpainting, the baseline every other engine must beat.

    Args:
        fill: spatial filler (:data:`vinpaint.fill.SPATIAL_FILLERS`).
        temporal_smoothing: weight in [0, 1) of the flow-aligned previous output (0 = off).

    Shape: frames ``(T,H,W,3)`` uint8, holes ``(T,H,W)`` bool; returns ``(T,H,W,3)`` uint8.
    """
    SPATIAL_FILLERS.get(fill)
    if not 0 <= temporal_smoothing < 1:
        raise InvalidOptionError(f"temporal_smoothing must be in [0, 1), got {temporal_smoothing}")
    out = np.stack([fill_spatial(frame, hole, method=fill) for frame, hole in zip(frames, holes)])
    if temporal_smoothing == 0 or len(frames) < 2:
        return out
    _, backward = estimate_flow(frames, estimator=make_flow_estimator(flow))
    for t in range(1, len(frames)):
        hole = holes[t]
        if not hole.any():
            continue
        previous = warp(out[t - 1], backward[t - 1])
        out[t][hole] = mix(out[t][hole], previous[hole], temporal_smoothing)
    return out
