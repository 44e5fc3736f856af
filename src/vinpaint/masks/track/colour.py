"""The colour model that refines a warped mask against its frame.

In the spirit of GrabCut's colour model (Rother et al., SIGGRAPH 2004) and of the colour-plus-shape
classifiers of Video SnapCut (Bai et al., SIGGRAPH 2009): the object's colour histogram, learnt once
on the anchor frame (so it cannot drift), against the background's, learnt in a ring around the
warped mask in the current frame (so it follows a panning camera) mixed with a share of the anchor
frame's own ring (so a colour found both in the object and around it, such as the clay under a band
drawn along a court line, is not taken for the object).  The log-odds of the colour likelihood ratio
are added to those of the warped mask blurred by the flow's uncertainty, and to the background
plates' evidence (:mod:`.plates`); only pixels within ``band`` of the warped edge may change.
"""

from __future__ import annotations

import cv2
import numpy as np

from .morphology import dilate, erode
from .plates import PlateHistory
from .settings import TRACKER_SETTINGS, TrackerSettings


def colour_index(frame: np.ndarray, bins: int) -> np.ndarray:
    """``(H,W)`` int32 index of each pixel's colour in a ``bins**3`` RGB histogram."""
    q = (frame // (256 // bins)).astype(np.int32)
    return (q[..., 0] * bins + q[..., 1]) * bins + q[..., 2]


def colour_histogram(index: np.ndarray, region: np.ndarray, bins: int) -> np.ndarray:
    """Normalised, slightly smoothed ``(bins**3,)`` float32 histogram of ``index`` over ``region``."""
    from scipy.ndimage import gaussian_filter

    counts = np.bincount(index[region], minlength=bins**3).astype(np.float32).reshape(bins, bins, bins)
    counts = gaussian_filter(counts, 0.7, mode="constant")
    return (counts / max(1.0, float(counts.sum()))).ravel()


def logit(p: np.ndarray) -> np.ndarray:
    """Log-odds of probabilities ``p``, clipped to [1e-3, 1 - 1e-3] first."""
    p = np.clip(p, 1e-3, 1 - 1e-3)
    return np.log(p / (1 - p))


class ColourModel:
    """Refines a warped mask with the object's colours, learnt once on its anchor frame.

    The object's colour histogram comes from the anchor (fixed, so it cannot drift); the
    background's from a ring around the warped mask in the frame being refined (it follows a
    panning camera).  A pixel is object where the log-odds of the warped mask, blurred by the flow's
    uncertainty, plus ``weight`` times the log-odds of the colour likelihood ratio, is positive; only
    pixels within ``band`` of the warped edge may change.

    Shape: frame ``(H,W,3)`` uint8; mask ``(H,W)`` bool.
    """

    def __init__(self, frame: np.ndarray, mask: np.ndarray, band: int, *, weight: float = 1.0,
                 settings: TrackerSettings = TRACKER_SETTINGS) -> None:
        self.band = band
        self.weight = weight
        self.bins = settings.colour_bins
        self.prior_blur = settings.prior_blur
        self.ring = settings.colour_ring
        self.anchor_share = settings.anchor_share
        self.object_hist = colour_histogram(colour_index(frame, self.bins), mask, self.bins)
        # the anchor's own surroundings, mixed into every frame's background: a colour common
        # both in the object and around it is no longer taken for the object
        self.anchor_background = colour_histogram(colour_index(frame, self.bins), self._ring(mask), self.bins)

    def _ring(self, mask: np.ndarray) -> np.ndarray:
        return dilate(mask, self.ring * self.band + 4) & ~dilate(mask, 2)

    @staticmethod
    def _likelihood(index: np.ndarray, object_hist: np.ndarray, background_hist: np.ndarray) -> np.ndarray:
        fg, bg = object_hist[index], background_hist[index]
        return (fg + 1e-5) / (fg + bg + 2e-5)

    def refine(self, frame: np.ndarray, warped: np.ndarray, unreliable: np.ndarray | None = None,
               plate: PlateHistory | None = None) -> np.ndarray:
        """``(H,W)`` bool refined mask of ``frame`` from the ``(H,W)`` bool ``warped`` mask.

        ``unreliable`` ``(H,W)`` bool marks warped pixels whose flow failed the consistency check:
        there the shape prior is dropped and the colours alone decide.  Where ``warped`` is empty
        (the object wholly hidden), the colours decide on the ``unreliable`` pixels alone, so an
        object can come back from behind an occluder that hid all of it.  ``plate``: the track's
        background plates (:mod:`vinpaint.masks.track.plates`), whose evidence is added to the colours'.
        """
        seed = warped if warped.any() or unreliable is None else unreliable
        if not seed.any():
            return warped
        h, w = warped.shape
        ys, xs = np.nonzero(seed)
        margin = self.ring * self.band + 8
        y0, y1 = max(0, ys.min() - margin), min(h, ys.max() + margin + 1)
        x0, x1 = max(0, xs.min() - margin), min(w, xs.max() + margin + 1)
        roi_mask = warped[y0:y1, x0:x1]
        roi_frame = frame[y0:y1, x0:x1]
        odds = logit(cv2.GaussianBlur(roi_mask.astype(np.float32), (0, 0), self.band * self.prior_blur))
        if unreliable is not None:
            roi_unreliable = unreliable[y0:y1, x0:x1]
            odds[roi_unreliable] = 0.0  # no shape prior there: the colours decide
        if self.weight > 0:
            index = colour_index(roi_frame, self.bins)
            background = colour_histogram(index, self._ring(roi_mask if roi_mask.any() else roi_unreliable), self.bins)
            background = (1 - self.anchor_share) * background + self.anchor_share * self.anchor_background
            odds = odds + self.weight * logit(self._likelihood(index, self.object_hist, background))
        # only pixels near the warped edge may change: the plates are needed there alone
        near = dilate(roi_mask, self.band) & ~erode(roi_mask, self.band)
        if unreliable is not None:
            near |= roi_unreliable
        evidence = plate.evidence((slice(y0, y1), slice(x0, x1)), near) if plate is not None else None
        if evidence is not None:
            odds = odds + evidence
        out = warped.copy()
        out[y0:y1, x0:x1] = np.where(near, odds > 0, roi_mask)
        return out
