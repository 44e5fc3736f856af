"""Grow a mask over the object's cast shadow: a darker region touching it with the ground's own colour.

A cast shadow scales the light falling on the ground: the shadowed pixel is the lit one times a
ratio below 1 that is about the same in R, G and B (the chromaticity is kept; the shadow model of
Finlayson et al., ECCV 2002, and of most shadow detectors since).  Each frame's background (the
frame with the object and the candidate shadow left out) is estimated by normalised convolution at
a scale larger than the shadow; a pixel within ``reach`` of the object is shadow where its ratio to
that background lies in ``[min_ratio, max_ratio]`` in every channel with a spread of at most
``max_spread`` between channels.  The shadow is the part of those pixels connected to the object.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..arrays import check_frames, check_masks
from ..errors import InvalidOptionError

#: reach past the object, as a fraction of the frame height; light ratio range; channel spread
SHADOW_REACH = 0.15
SHADOW_MIN_RATIO = 0.25
SHADOW_MAX_RATIO = 0.82
SHADOW_MAX_SPREAD = 0.12


def _background(frame: np.ndarray, known: np.ndarray, sigma: float) -> np.ndarray:
    weight = cv2.GaussianBlur(known.astype(np.float32), (0, 0), sigma)
    total = cv2.GaussianBlur(frame.astype(np.float32) * known[..., None], (0, 0), sigma)
    return total / np.maximum(weight, 1e-6)[..., None]


def shadow_mask(frame: np.ndarray, mask: np.ndarray, *, reach: float = SHADOW_REACH, min_ratio: float = SHADOW_MIN_RATIO,
                max_ratio: float = SHADOW_MAX_RATIO, max_spread: float = SHADOW_MAX_SPREAD) -> np.ndarray:
    """The object's cast shadow in one frame (not including ``mask`` itself).

    Shape: frame ``(H,W,3)`` uint8, mask ``(H,W)`` bool; returns ``(H,W)`` bool.
    """
    if not 0 < reach <= 1 or not 0 < min_ratio < max_ratio < 1 or max_spread < 0:
        raise InvalidOptionError(f"shadows need 0 < reach <= 1, 0 < min_ratio < max_ratio < 1 and max_spread >= 0; "
                                 f"got {reach}, {min_ratio}, {max_ratio}, {max_spread}")
    mask = mask.astype(bool)
    h, w = mask.shape
    if not mask.any() or mask.all():
        return np.zeros_like(mask)
    pixels = max(int(round(reach * h)), 2)
    near = cv2.distanceTransform((~mask).astype(np.uint8), cv2.DIST_L2, 3) <= pixels
    image = frame.astype(np.float32) + 1
    sigma = pixels / 2
    # two rounds: the first background still holds the shadow's darkness; leaving the first
    # estimate's shadow out, the second sees the lit ground around it
    shadow = np.zeros_like(mask)
    for _ in range(2):
        ratio = image / (_background(image, ~mask & ~shadow, sigma) + 1e-3)
        mean = ratio.mean(-1)
        candidate = near & ~mask & (ratio.min(-1) >= min_ratio) & (ratio.max(-1) <= max_ratio) & (
            (ratio.max(-1) - ratio.min(-1)) <= max_spread * np.maximum(mean, 1e-3) * 3)
        shadow = _touching(candidate, mask)
    return shadow


def _touching(candidate: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The connected parts of ``candidate`` that touch ``mask`` (8-connected, through a 1 px gap)."""
    if not candidate.any():
        return candidate
    count, labels = cv2.connectedComponents(candidate.astype(np.uint8), connectivity=8)
    touching = np.unique(labels[(cv2.dilate(mask.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0) & candidate])
    keep = np.zeros(count, bool)
    keep[touching[touching > 0]] = True
    return keep[labels]


def add_shadows(frames: np.ndarray, masks: np.ndarray, **settings) -> np.ndarray:
    """``masks`` grown over each frame's cast shadow (:func:`shadow_mask`).

    Shape: frames ``(T,H,W,3)`` uint8, masks ``(T,H,W)`` bool; returns ``(T,H,W)`` bool.
    """
    frames = check_frames(frames)
    masks = check_masks(masks, frames.shape)
    return np.stack([mask | shadow_mask(frame, mask, **settings) for frame, mask in zip(frames, masks)])
