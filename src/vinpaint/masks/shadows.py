"""Cast shadows: find the darker region touching the object that keeps the ground's colour, and lift it.

A cast shadow scales the light falling on the ground: the shadowed pixel is the lit one times a
ratio below 1 that is about the same in R, G and B (the chromaticity is kept; the shadow model of
Finlayson et al., ECCV 2002, and of most shadow detectors since).  A pixel within ``reach`` of the
object is shadow where its ratio to the lit ground is at least ``min_ratio`` in every channel, at
most ``max_ratio`` (on the mean of the channels against a plate, in every channel without one), with
a spread of at most ``max_spread`` between channels; the shadow is the part of those pixels
connected to the object.  The lit ground comes from one of two references:

* a *plate*: the frame with a band around the object (:func:`shadow_band`) filled from other frames,
  which show that ground out of the shadow as the object moves (``vinpaint remove --shadows`` fills
  the band with its own engine).  Both the frame and the plate are averaged locally over the band, so
  the ratio follows the light and not the fill's texture, and :func:`lift_shadow` divides the frame by
  it: the ground keeps its own texture, lit again.
* the frame's own surroundings (no plate; :func:`shadow_mask` for a single image), estimated by
  normalised convolution at a scale larger than the shadow, in two rounds so the shadow does not
  darken its own reference.  It also takes dark texture beside the object (rock crevices), which a
  plate shows dark too.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..arrays import bounding_box, to_uint8
from ..errors import InvalidOptionError

#: reach past the object, as a fraction of the frame height: the band a plate fills.  A wider band is
#: filled from fewer frames (on the bench's shadow case 0.1 gained 2.4 dB; 0.067 2.9 and 0.133 2.0 in a
#: prototype); 0.067 would barely hold that case's own shadow, which reaches 6 % of the height and more
SHADOW_REACH = 0.1
#: reach without a plate: the frame's surroundings must reach past the shadow
SPATIAL_SHADOW_REACH = 0.15
#: light ratio range and channel spread (as a fraction of three times the mean ratio); without a plate
#: the upper bound is lower, since the surroundings' own texture varies more than a plate's match
SHADOW_MIN_RATIO = 0.25
SHADOW_MAX_RATIO = 0.9
SPATIAL_SHADOW_MAX_RATIO = 0.82
SHADOW_MAX_SPREAD = 0.12
#: scale of the local averages against a plate, as a fraction of the frame height (a shadow's light
#: varies slowly; the plate's texture, filled from other frames, does not match the frame's pixel by pixel)
SHADOW_SMOOTHING = 0.025


def _local_mean(frame: np.ndarray, known: np.ndarray, sigma: float) -> np.ndarray:
    """Normalised convolution: the Gaussian-weighted mean of ``frame`` over the ``known`` pixels, float32 (H,W,3).

    A wide Gaussian is applied at a reduced size (a step of a third of sigma, area-averaged, then
    interpolated back): the mean varies slowly at that scale, and the blur costs a step squared less.
    """
    h, w = known.shape
    step = max(int(sigma / 3), 1)
    weight, total = known.astype(np.float32), frame.astype(np.float32) * known[..., None]
    if step > 1:
        small = (max(w // step, 1), max(h // step, 1))
        weight = cv2.resize(weight, small, interpolation=cv2.INTER_AREA)
        total = cv2.resize(total, small, interpolation=cv2.INTER_AREA)
    weight = cv2.GaussianBlur(weight, (0, 0), sigma / step)
    total = cv2.GaussianBlur(total, (0, 0), sigma / step)
    mean = total / np.maximum(weight, 1e-6)[..., None]
    return cv2.resize(mean, (w, h), interpolation=cv2.INTER_LINEAR) if step > 1 else mean


def _touching(candidate: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The connected parts of ``candidate`` that touch ``mask`` (8-connected, through a 1 px gap)."""
    if not candidate.any():
        return candidate
    count, labels = cv2.connectedComponents(candidate.astype(np.uint8), connectivity=8)
    touching = np.unique(labels[(cv2.dilate(mask.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0) & candidate])
    keep = np.zeros(count, bool)
    keep[touching[touching > 0]] = True
    return keep[labels]


def shadow_band(mask: np.ndarray, *, reach: float = SHADOW_REACH) -> np.ndarray:
    """``mask`` grown by ``reach`` times its height: where the object's shadow may lie.

    The pixels within that distance of the mask (a distance transform: a disc this wide would make
    a dilation cost its area per pixel).  Shape: ``(H,W)`` or ``(T,H,W)``, non-zero = object; returns bool.
    """
    if not 0 < reach <= 1:
        raise InvalidOptionError(f"the shadow's reach must be in (0, 1] of the frame height, got {reach}")
    mask = np.asarray(mask, bool)
    if mask.ndim == 3:
        return np.stack([shadow_band(frame_mask, reach=reach) for frame_mask in mask])
    if not mask.any():
        return mask.copy()
    pixels = max(int(round(reach * mask.shape[0])), 2)
    return cv2.distanceTransform((~mask).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE) <= pixels


def _check(reach: float, min_ratio: float, max_ratio: float, max_spread: float) -> None:
    if not 0 < reach <= 1 or not 0 < min_ratio < max_ratio < 1 or max_spread < 0:
        raise InvalidOptionError(f"shadows need 0 < reach <= 1, 0 < min_ratio < max_ratio < 1 and max_spread >= 0; "
                                 f"got {reach}, {min_ratio}, {max_ratio}, {max_spread}")


def _shadow(ratio: np.ndarray, near: np.ndarray, mask: np.ndarray, min_ratio: float, max_ratio: float,
            max_spread: float, *, every_channel: bool) -> np.ndarray:
    """The pixels of ``near`` whose light ratio ``(H,W,3)`` reads as shadow, connected to ``mask``: every
    channel at least ``min_ratio``, the spread within ``max_spread``, and the mean (or, with
    ``every_channel``, every channel) at most ``max_ratio``."""
    red, green, blue = ratio[..., 0], ratio[..., 1], ratio[..., 2]  # channel by channel: a reduction over
    least = np.minimum(np.minimum(red, green), blue)                 # the last axis of three is much slower
    most = np.maximum(np.maximum(red, green), blue)
    mean = (red + green + blue) / 3
    candidate = near & (least >= min_ratio) & ((most if every_channel else mean) <= max_ratio) & (
        most - least <= max_spread * np.maximum(mean, 1e-3) * 3)
    return _touching(candidate, mask)


def shadow_mask(frame: np.ndarray, mask: np.ndarray, *, plate: np.ndarray | None = None, reach: float | None = None,
                min_ratio: float = SHADOW_MIN_RATIO, max_ratio: float | None = None,
                max_spread: float = SHADOW_MAX_SPREAD) -> np.ndarray:
    """The object's cast shadow in one frame (not including ``mask`` itself).

    ``reach`` and ``max_ratio`` default to :data:`SHADOW_REACH` and :data:`SHADOW_MAX_RATIO` against a
    plate, :data:`SPATIAL_SHADOW_REACH` and :data:`SPATIAL_SHADOW_MAX_RATIO` without one.

    Shape: frame ``(H,W,3)`` uint8, mask ``(H,W)`` bool, plate (the lit ground, see the module) None or
    ``(H,W,3)`` uint8; returns ``(H,W)`` bool.
    """
    spatial = plate is None
    if reach is None:
        reach = SPATIAL_SHADOW_REACH if spatial else SHADOW_REACH
    if max_ratio is None:
        max_ratio = SPATIAL_SHADOW_MAX_RATIO if spatial else SHADOW_MAX_RATIO
    return _shadow_and_ratio(frame, mask, plate, reach, min_ratio, max_ratio, max_spread)[0]


def _shadow_and_ratio(frame: np.ndarray, mask: np.ndarray, plate: np.ndarray | None, reach: float, min_ratio: float,
                      max_ratio: float, max_spread: float) -> tuple[np.ndarray, np.ndarray]:
    """The shadow ``(H,W)`` bool and the light ratio ``(H,W,3)`` float32 (1 away from the object) of
    :func:`shadow_mask`, computed on the box of the object's reach and three sigmas of the averages."""
    _check(reach, min_ratio, max_ratio, max_spread)
    mask = mask.astype(bool)
    shadow, ratio = np.zeros_like(mask), np.ones(mask.shape + (3,), np.float32)
    if not mask.any() or mask.all():
        return shadow, ratio
    near = shadow_band(mask, reach=reach) & ~mask
    sigma = max(SHADOW_SMOOTHING * mask.shape[0], 1.0) if plate is not None else max(reach * mask.shape[0], 2) / 2
    box = bounding_box(near, int(np.ceil(3 * sigma)))
    shadow[box], ratio[box] = _shadow_and_ratio_in_box(frame[box], mask[box], near[box],
                                                       None if plate is None else plate[box], sigma,
                                                       min_ratio, max_ratio, max_spread)
    return shadow, ratio


def _shadow_and_ratio_in_box(frame: np.ndarray, mask: np.ndarray, near: np.ndarray, plate: np.ndarray | None,
                             sigma: float, min_ratio: float, max_ratio: float,
                             max_spread: float) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_shadow_and_ratio` on a box: against the plate's local mean (the mean ratio bounded), or the
    frame's own surroundings (every channel bounded).  ``near``: the reach, the object left out."""
    image = frame.astype(np.float32) + 1
    if plate is not None:
        lit = _local_mean(plate.astype(np.float32) + 1, near, sigma)
        ratio = _local_mean(image, near, sigma) / np.maximum(lit, 1e-3)
        return _shadow(ratio, near, mask, min_ratio, max_ratio, max_spread, every_channel=False), ratio
    # two rounds: the first background still holds the shadow's darkness; leaving the first
    # estimate's shadow out, the second sees the lit ground around it
    shadow = np.zeros_like(mask)
    for _ in range(2):
        ratio = image / (_local_mean(image, ~mask & ~shadow, sigma) + 1e-3)
        shadow = _shadow(ratio, near, mask, min_ratio, max_ratio, max_spread, every_channel=True)
    return shadow, ratio


def lift_shadow(frame: np.ndarray, plate: np.ndarray, mask: np.ndarray, *, reach: float = SHADOW_REACH,
                min_ratio: float = SHADOW_MIN_RATIO, max_ratio: float = SHADOW_MAX_RATIO,
                max_spread: float = SHADOW_MAX_SPREAD) -> tuple[np.ndarray, np.ndarray]:
    """``frame`` with the object's cast shadow lit again, and that shadow.

    The shadow is :func:`shadow_mask` against ``plate``; each of its pixels is divided by the local
    light ratio, so the ground keeps its texture.  Pixels outside the shadow are unchanged.

    Shape: frame and plate ``(H,W,3)`` uint8, mask ``(H,W)`` bool; returns ``(H,W,3)`` uint8 and ``(H,W)`` bool.
    """
    shadow, ratio = _shadow_and_ratio(frame, mask, plate, reach, min_ratio, max_ratio, max_spread)
    lifted = frame.copy()
    if shadow.any():
        lit = (frame[shadow].astype(np.float32) + 1) / np.clip(ratio[shadow], min_ratio, 1.0) - 1
        lifted[shadow] = to_uint8(lit)
    return lifted, shadow
