"""Mask tracking through a clip: flow warping, object motion models, a colour model competing with
background plates (:mod:`.plates`), and anchors that re-find the object.
"""

from __future__ import annotations

from .tracker import (
    MOTION_MODELS,
    Progress,
    estimate_mask_margin,
    track_masks,
    track_objects,
    tracking_flow_estimator,
)

__all__ = ["MOTION_MODELS", "Progress", "estimate_mask_margin", "track_masks", "track_objects", "tracking_flow_estimator"]
