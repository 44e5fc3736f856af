"""Mask tracking through a clip, one module per mechanism.

* :mod:`.tracker`: :func:`track_masks` / :func:`track_objects`, anchors blended, smoothed in time.
* :mod:`.anchors`: init masks split by object; the margin a mask was drawn with.
* :mod:`.propagate`: one object's track from one anchor; round trips choosing the motion model.
* :mod:`.motion`: flow averaged over the object, RANSAC similarity fits, the tracking flow.
* :mod:`.colour`: the colour model that refines each warped mask.
* :mod:`.plates`: background plates, evidence of what the background looks like.
* :mod:`.confidence`: :class:`TrackConfidence`, how sure the tracker was of each frame.
* :mod:`.settings`: :class:`TrackerSettings`, the tunables of all of them.
"""

from __future__ import annotations

from .anchors import estimate_mask_margin
from .confidence import TrackConfidence
from .motion import MOTION_MODELS, tracking_flow_estimator
from .settings import TRACKER_SETTINGS, TrackerSettings
from .tracker import Progress, track_masks, track_objects

__all__ = [
           "MOTION_MODELS",
           "TRACKER_SETTINGS",
           "Progress",
           "TrackConfidence",
           "TrackerSettings",
           "estimate_mask_margin",
           "track_masks",
           "track_objects",
           "tracking_flow_estimator",
]
