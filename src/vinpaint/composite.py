"""Mask preparation and compositing: the guarantee that only the hole changes.

:func:`composite` is where the product's promise is kept: outside the (dilated) mask every output
pixel *is* the input pixel.  Feathering and gradient-domain blending act only inside the mask.
"""

from __future__ import annotations

import cv2
import numpy as np

from .arrays import bounding_box, dilate_mask, mix, to_uint8
from .fill.poisson import seam_membrane

__all__ = ["BLEND_MODES", "composite", "dilate_mask", "feather_alpha", "poisson_blend"]


def feather_alpha(hole: np.ndarray, pixels: float) -> np.ndarray:
    """Blend weight of the fill: 1 deep inside the hole, ramping to 0 at its edge over ``pixels``.

    The ramp lies inside the hole, so pixels outside it keep weight 0 (bit-identical to the input).

    Shape: hole ``(H,W)`` bool; returns ``(H,W)`` float32 in [0, 1].
    """
    if pixels <= 0:
        return hole.astype(np.float32)
    inside = cv2.distanceTransform(hole.astype(np.uint8), cv2.DIST_L2, 5)
    return np.clip(inside / float(pixels), 0, 1).astype(np.float32)


def composite(original: np.ndarray, filled: np.ndarray, hole: np.ndarray, *, feather: float = 0) -> np.ndarray:
    """Put ``filled`` into ``original`` inside ``hole``; every other pixel is ``original``'s, bit for bit.

    Shape: original, filled ``(H,W,3)`` uint8; hole ``(H,W)`` bool; returns ``(H,W,3)`` uint8.
    """
    if feather <= 0:
        return np.where(hole[..., None], filled, original)
    out = mix(original, filled, feather_alpha(hole, feather)[..., None])
    return np.where(hole[..., None], out, original)


def poisson_blend(original: np.ndarray, filled: np.ndarray, hole: np.ndarray, *, margin: int = 8) -> np.ndarray:
    """Gradient-domain blending (Pérez et al. 2003): keep the fill's gradients, match the frame at the seam.

    Solved on the hole's bounding box only; the boundary values come from ``original`` just outside
    the hole, so illumination differences between the fill and its surroundings are spread smoothly
    over the hole instead of showing as a seam.  The correction is
    :func:`vinpaint.fill.poisson.seam_membrane`: exact for small holes, two-scale for large ones.

    Shape: original, filled ``(H,W,3)`` uint8; hole ``(H,W)`` bool; returns ``(H,W,3)`` uint8.
    """
    if not hole.any():
        return original.copy()
    box = bounding_box(hole, margin)
    region = hole[box]
    guidance = filled[box].astype(np.float32)
    blended = guidance[region] + seam_membrane(original[box].astype(np.float32), region, guidance)[region]
    out = original.copy()
    out[box][region] = to_uint8(blended)
    return out


BLEND_MODES = ("none", "poisson")
