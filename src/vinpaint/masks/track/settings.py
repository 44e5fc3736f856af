"""The tracker's tunables, in one frozen dataclass.

Figures quoted are mean IoU on ``benchmarks/mask_tracking.py`` (bmx-trees, tennis, schoolgirls).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TrackerSettings:
    """Tunables of :func:`vinpaint.masks.track.track_masks` that are not user options."""

    #: sigma in pixels of the object-weighted smoothing of the flow that carries the mask
    object_flow_sigma: float = 3.0
    #: the object counts as in view while its mask keeps this share of its remembered shape's area
    in_view: float = 0.5
    #: the remembered shape is replaced by the tracked mask once that is at least this share of it
    #: (0.8-1.1 measured 0.43-0.48 mean IoU; 0.95 is between the best)
    memory_keep: float = 0.95
    #: pixels: a pixel (or the object's centre) whose motion is this close to the background's
    #: moves with the background
    background_tolerance: float = 1.0
    #: at most this many object pixels are sampled for each RANSAC similarity fit
    fit_samples: int = 400
    #: frames tracked ahead and back again to choose the object's motion model (``motion="auto"``)
    select_frames: int = 20
    #: the similarity model must beat the flow's round-trip IoU by this much to be chosen
    select_margin: float = 0.05
    #: where the two models' masks at the far frame overlap more than this (IoU), the flow is kept
    select_agree: float = 0.9
    #: side in pixels of the median that removes specks from each tracked mask (0: off)
    speck_median: int = 3
    #: the deepest margin, in pixels, looked for inside an init mask
    margin_limit: int = 8
    #: colour histogram bins per channel (16 and 8 measured worse)
    colour_bins: int = 32
    #: sigma of the colour model's shape-prior blur, in units of ``band``
    prior_blur: float = 0.75
    #: the colour model's background ring reaches ``colour_ring * band + 4`` pixels beyond the mask
    colour_ring: int = 4
    #: share of the anchor frame's ring in the background histogram (0.5: tennis better, others worse)
    anchor_share: float = 0.3
    #: pixels around the object (beyond its largest motion) in which each step's flow is looked at
    box_pad: int = 16


#: the settings every track uses
TRACKER_SETTINGS = TrackerSettings()
