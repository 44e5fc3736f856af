"""Optical flow: estimation, completion inside holes, consistency and warping.

Convention: a flow field is ``(H,W,2)`` float32 ``(dx, dy)`` in pixels; ``flow`` from frame a to
frame b says pixel ``(x, y)`` of a is seen at ``(x + dx, y + dy)`` in b.  See :mod:`vinpaint.arrays`.

Estimators are plug-ins in :data:`FLOW_ESTIMATORS`; each factory takes keyword options and returns a
callable ``(gray_a, gray_b) -> flow`` on ``(H,W)`` uint8 images.
"""

from __future__ import annotations

from .completion import complete_flow
from .estimators import (
           FLOW_ESTIMATORS,
           FlowFn,
           estimate_flow,
           estimate_pair_flow,
           gray_for_flow,
           make_flow_estimator,
           resize_flow,
)
from .warping import consistency, motion_boundaries, warp

__all__ = ["FLOW_ESTIMATORS", "FlowFn", "complete_flow", "consistency", "estimate_flow", "estimate_pair_flow",
           "gray_for_flow", "make_flow_estimator",
           "motion_boundaries", "resize_flow", "warp"]
