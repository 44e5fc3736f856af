"""Post-processing shared by every mask source: frame range, temporal smoothing, dilation, small parts.

Writing a mask folder lives in :mod:`vinpaint.io.masks` (re-exported here for callers of this module).
"""

from __future__ import annotations

import cv2
import numpy as np
from scipy.ndimage import uniform_filter1d

from ..arrays import dilate_mask
from ..errors import InvalidOptionError
from ..io.masks import prepare_mask_folder, write_mask_folder
from ..options import check_frame_range


def smooth_masks_temporally(masks: np.ndarray, radius: int) -> np.ndarray:
    """Majority vote over ``2 * radius + 1`` frames: removes one-frame flickers of a mask's edge.

    Shape: masks ``(T,H,W)`` bool; returns ``(T,H,W)`` bool.
    """
    if radius < 0:
        raise InvalidOptionError(f"temporal smoothing radius must be >= 0, got {radius}")
    if radius == 0 or len(masks) < 2:
        return masks.copy()
    votes = uniform_filter1d(masks.astype(np.float32), size=2 * radius + 1, axis=0, mode="nearest")
    return votes >= 0.5


def postprocess_masks(
    masks: np.ndarray,
    *,
    dilate: int = 0,
    smooth: int = 0,
    frame_range: tuple[int, int] | None = None,
) -> np.ndarray:
    """Smooth in time, then dilate, then keep only ``frame_range`` (inclusive); others become empty.

    Shape: masks ``(T,H,W)`` bool; returns ``(T,H,W)`` bool.
    """
    out = smooth_masks_temporally(np.asarray(masks, bool), smooth)
    out = dilate_mask(out, dilate)
    if frame_range is not None:
        first, last = frame_range
        if first < 0 or last < first:
            raise InvalidOptionError(f"frame range must be FIRST-LAST with 0 <= FIRST <= LAST, got {first}-{last}")
        check_frame_range(frame_range, len(out))
        out[:first] = False
        out[last + 1 :] = False
    return out


__all__ = ["postprocess_masks", "prepare_mask_folder", "remove_small_components", "smooth_masks_temporally",
           "write_mask_folder"]


def remove_small_components(mask: np.ndarray, min_area: int) -> np.ndarray:
    """Drop the 8-connected parts of a ``(H,W)`` bool mask smaller than ``min_area`` pixels.

    Returns ``(H,W)`` bool (``mask`` itself when nothing can be removed: ``min_area <= 1`` or empty).
    """
    if min_area <= 1 or not mask.any():
        return mask
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    keep = stats[:, cv2.CC_STAT_AREA] >= min_area
    keep[0] = False
    return keep[labels]
