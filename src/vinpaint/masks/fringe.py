"""Grow a mask over the object's fringe: the pixels past its edge that still hold the object's colour.

Real masks never cover an object exactly: hair, fur, motion blur and anti-aliased edges leave a few
pixels outside the binary mask that are a mix of the object and the background.  Left out of the hole,
the propagation carries them into it as if they were background (a ghost of the object's outline).

Each pixel of a ring ``reach`` pixels wide outside the mask is seen as a mix of two local colours
(the compositing equation ``c = a * o + (1 - a) * b`` of Porter and Duff 1984, the model behind
Bayesian matting, Chuang et al. CVPR 2001): ``o``, the object's colour just inside the mask, and
``b``, the background's colour further out, both averaged over a neighbourhood (normalised
convolution).  The pixel's alpha is the projection of ``c - b`` on ``o - b``; the mask grows over
the pixels whose alpha is at least ``min_alpha``, ring by ring outwards (a pixel joins only next to
one that did), where object and background differ enough (``min_contrast``) for alpha to mean anything.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..arrays import check_frames, check_masks
from ..errors import InvalidOptionError

#: defaults: ring width (px), alpha threshold, least object/background contrast (mean |RGB| levels)
FRINGE_REACH = 6
FRINGE_MIN_ALPHA = 0.3
FRINGE_MIN_CONTRAST = 24.0


def _local_mean(frame: np.ndarray, region: np.ndarray, sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian-weighted mean colour of ``region``'s pixels around each pixel, and the weight found."""
    weight = cv2.GaussianBlur(region.astype(np.float32), (0, 0), sigma)
    total = cv2.GaussianBlur(frame.astype(np.float32) * region[..., None], (0, 0), sigma)
    return total / np.maximum(weight, 1e-6)[..., None], weight


def fringe_alpha(frame: np.ndarray, mask: np.ndarray, *, reach: int = FRINGE_REACH,
                 min_contrast: float = FRINGE_MIN_CONTRAST) -> np.ndarray:
    """Estimated object opacity of each pixel in the ring ``reach`` px outside ``mask``; 0 elsewhere.

    Shape: frame ``(H,W,3)`` uint8, mask ``(H,W)`` bool; returns ``(H,W)`` float32 in [0, 1].
    """
    mask = mask.astype(bool)
    alpha = np.zeros(mask.shape, np.float32)
    if not mask.any() or mask.all():
        return alpha
    outside = cv2.distanceTransform((~mask).astype(np.uint8), cv2.DIST_L2, 3)
    inside = cv2.distanceTransform(mask.astype(np.uint8), cv2.DIST_L2, 3)
    ring = (outside > 0) & (outside <= reach)
    # object colour from a band just inside the edge (its very edge is often mixed already),
    # background colour from a band past the ring
    object_band = (inside >= 2) & (inside <= 2 + 2 * reach)
    if not object_band.any():
        object_band = mask
    background_band = (outside > reach + 2) & (outside <= 3 * reach + 4)
    sigma = 1.5 * reach
    obj, obj_weight = _local_mean(frame, object_band, sigma)
    bg, bg_weight = _local_mean(frame, background_band, sigma)
    c = frame.astype(np.float32)
    direction = obj - bg
    norm = (direction**2).sum(-1)
    contrast = np.abs(direction).mean(-1)
    valid = ring & (obj_weight > 1e-3) & (bg_weight > 1e-3) & (contrast >= min_contrast)
    projected = ((c - bg) * direction).sum(-1) / np.maximum(norm, 1e-6)
    alpha[valid] = np.clip(projected[valid], 0, 1)
    return alpha


def grow_fringe(frame: np.ndarray, mask: np.ndarray, *, reach: int = FRINGE_REACH, min_alpha: float = FRINGE_MIN_ALPHA,
                min_contrast: float = FRINGE_MIN_CONTRAST) -> np.ndarray:
    """``mask`` grown over the adjacent pixels that hold the object's colour (see the module docstring).

    Shape: frame ``(H,W,3)`` uint8, mask ``(H,W)`` bool; returns ``(H,W)`` bool, a superset of ``mask``
    that reaches at most ``reach`` pixels past it.
    """
    if reach < 1 or not 0 < min_alpha <= 1 or min_contrast < 0:
        raise InvalidOptionError(f"fringe needs reach >= 1, min_alpha in (0, 1] and min_contrast >= 0; got {reach}, "
                                 f"{min_alpha} and {min_contrast}")
    mask = mask.astype(bool)
    candidates = fringe_alpha(frame, mask, reach=reach, min_contrast=min_contrast) >= min_alpha
    grown = mask.copy()
    cross = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))
    for _ in range(reach):
        step = (cv2.dilate(grown.astype(np.uint8), cross) > 0) & candidates & ~grown
        if not step.any():
            break
        grown |= step
    return grown


def grow_fringes(frames: np.ndarray, masks: np.ndarray, **settings) -> np.ndarray:
    """:func:`grow_fringe` on every frame of a clip.

    Shape: frames ``(T,H,W,3)`` uint8, masks ``(T,H,W)`` bool; returns ``(T,H,W)`` bool.
    """
    frames = check_frames(frames)
    masks = check_masks(masks, frames.shape)
    return np.stack([grow_fringe(frame, mask, **settings) for frame, mask in zip(frames, masks)])
