"""Post-processing shared by every mask source: frame range, temporal smoothing, dilation, writing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy.ndimage import uniform_filter1d

from ..composite import dilate_mask
from ..errors import InvalidOptionError, OutputError
from ..io import write_png


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
        if first < 0 or last < first or first >= len(out):
            raise InvalidOptionError(f"frame range {first}-{last} is outside the clip's {len(out)} frames (0-{len(out) - 1})")
        out[:first] = False
        out[last + 1 :] = False
    return out


def prepare_mask_folder(folder: str | Path, *, overwrite: bool = False) -> Path:
    """Create ``folder`` for mask PNGs, emptied of old ones; refuse a non-empty one unless ``overwrite``."""
    folder = Path(folder)
    if folder.exists() and any(folder.iterdir()) and not overwrite:
        raise OutputError(f"{folder} exists and is not empty; pass --overwrite to replace its masks")
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    return folder


def write_mask_folder(masks: np.ndarray, folder: str | Path, *, overwrite: bool = False) -> Path:
    """Write ``(T,H,W)`` bool masks as ``folder/00000.png...`` (255 = fill, 0 = keep)."""
    folder = prepare_mask_folder(folder, overwrite=overwrite)
    for index, mask in enumerate(masks):
        write_png(folder / f"{index:05d}.png", mask)
    return folder
