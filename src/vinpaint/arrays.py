"""vinpaint's array convention, written once, and the checks that enforce it.

Convention (everything inside the library; readers and writers convert at the edge):

========  ===================  =========  ==================================================
what      shape                dtype      meaning
========  ===================  =========  ==================================================
frames    ``(T, H, W, 3)``     uint8      RGB, 0-255, row 0 at the top (display orientation)
frame     ``(H, W, 3)``        uint8      one of the above
masks     ``(T, H, W)``        bool       True = fill this pixel (the "hole")
hole      ``(H, W)``           bool       one of the above
flow      ``(H, W, 2)``        float32    ``(dx, dy)`` in pixels: pixel ``(x, y)`` of frame t
                                          moves to ``(x + dx, y + dy)`` in the target frame
flows     ``(T-1, H, W, 2)``   float32    ``flows[t]`` maps frame t to frame t+1 (forward) or
                                          frame t+1 to frame t (backward), as named
========  ===================  =========  ==================================================

Coordinates are ``x`` = column, ``y`` = row, pixel centres at integers.
"""

from __future__ import annotations

import numpy as np

from .errors import InvalidArrayError, InvalidOptionError, MaskMismatchError
from .wording import count_of


def check_frames(frames: np.ndarray, *, name: str = "frames") -> np.ndarray:
    """Validate a clip ``(T,H,W,3)`` uint8 and return it as a C-contiguous array."""
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3:
        raise InvalidArrayError(f"{name} must have shape (T, H, W, 3), got {frames.shape}")
    if frames.dtype != np.uint8:
        raise InvalidArrayError(
            f"{name} must be uint8 RGB in 0-255, got dtype {frames.dtype}; "
            "convert with (x * 255).round().astype(np.uint8) if your values are in [0, 1]"
        )
    if frames.shape[0] == 0:
        raise InvalidArrayError(f"{name} is empty (0 frames)")
    return np.ascontiguousarray(frames)


def check_masks(masks: np.ndarray, frames_shape: tuple[int, ...], *, name: str = "masks") -> np.ndarray:
    """Validate masks against a clip shape ``(T,H,W,3)``; return ``(T,H,W)`` bool.

    Accepts bool or any integer/float array where non-zero means fill; a single ``(H,W)`` mask is
    repeated for every frame (a static logo).
    """
    masks = np.asarray(masks)
    t, h, w = frames_shape[:3]
    if masks.ndim == 2:
        masks = np.broadcast_to(masks, (t, *masks.shape))
    if masks.ndim != 3:
        raise InvalidArrayError(f"{name} must have shape (T, H, W) or (H, W), got {masks.shape}")
    if masks.shape[0] != t:
        raise MaskMismatchError(f"{name} has {count_of(masks.shape[0], 'frame')}, the video has {count_of(t, 'frame')}")
    if masks.shape[1:] != (h, w):
        raise MaskMismatchError(
            f"{name} are {masks.shape[2]}x{masks.shape[1]}, the video is {w}x{h}; "
            "resize them or pass them through vinpaint.io.masks.fit_mask"
        )
    return np.ascontiguousarray(masks != 0)


def check_flow(flow: np.ndarray, hw: tuple[int, int] | None = None, *, name: str = "flow") -> np.ndarray:
    """Validate a flow field ``(H,W,2)`` (or a stack ``(N,H,W,2)``) and return it as float32."""
    flow = np.asarray(flow)
    if flow.ndim not in (3, 4) or flow.shape[-1] != 2:
        raise InvalidArrayError(f"{name} must have shape (H, W, 2), got {flow.shape}")
    if hw is not None and flow.shape[-3:-1] != tuple(hw):
        raise InvalidArrayError(f"{name} is {flow.shape[-2]}x{flow.shape[-3]}, expected {hw[1]}x{hw[0]}")
    return np.ascontiguousarray(flow, dtype=np.float32)


def to_gray(frame: np.ndarray) -> np.ndarray:
    """``(H,W,3)`` uint8 RGB -> ``(H,W)`` uint8 luma (BT.601, as OpenCV)."""
    import cv2

    return cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)


def to_uint8(values: np.ndarray) -> np.ndarray:
    """Round float colour values to the nearest level and clip them to 0-255: any shape, uint8 out.

    Rounding (not truncation) keeps a mix unbiased; every float-to-frame conversion in vinpaint goes
    through here, so outputs agree bit for bit wherever the same values are computed.
    """
    return np.clip(np.rint(values), 0, 255).astype(np.uint8)


def mix(first: np.ndarray, second: np.ndarray, weight: float | np.ndarray) -> np.ndarray:
    """``(1 - weight) * first + weight * second`` in float32, rounded to uint8 by :func:`to_uint8`.

    Shape: first ``(..., 3)`` uint8 (or float32); second the same shape, or anything that
    broadcasts (a colour ``(3,)``); weight a number in [0, 1] or an array that broadcasts
    (``(N, 1)`` for ``N`` pixels, ``(H, W, 1)`` for a frame).
    """
    return to_uint8((1 - weight) * first.astype(np.float32) + weight * np.asarray(second, np.float32))


def occupied_box(mask: np.ndarray) -> tuple[slice, slice] | None:
    """Row and column slices of the smallest box holding every True pixel of ``mask`` ``(H,W)``, or
    None if it has none (one pass over the mask, then its rows' span only)."""
    rows = np.nonzero(mask.any(1))[0]
    if not len(rows):
        return None
    band = slice(rows[0], rows[-1] + 1)
    cols = np.nonzero(mask[band].any(0))[0]
    return band, slice(cols[0], cols[-1] + 1)


def bounding_box(mask: np.ndarray, margin: int = 0) -> tuple[slice, slice]:
    """:func:`occupied_box` grown by ``margin`` pixels and clipped to the image; the whole image if
    ``mask`` is empty."""
    h, w = mask.shape
    box = occupied_box(mask)
    if box is None:
        return slice(0, h), slice(0, w)
    rows, cols = box
    return (slice(max(rows.start - margin, 0), min(rows.stop + margin, h)),
            slice(max(cols.start - margin, 0), min(cols.stop + margin, w)))


def mask_pixels(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.nonzero(mask)`` of a ``(H,W)`` bool mask, same order, searched only in its bounding box."""
    box = occupied_box(mask)
    if box is None:
        return np.nonzero(np.zeros((0, 0), bool))
    ys, xs = np.nonzero(mask[box])
    return ys + box[0].start, xs + box[1].start


def vector_words(flow: np.ndarray) -> np.ndarray:
    """A ``(..., 2k)`` float32 flow (last axis contiguous) viewed as ``(..., k)`` int64, one word a
    ``(dx, dy)`` vector: copying or testing vectors through it moves one 8-byte word instead of two
    floats with a stride (4x faster copies, 20x faster than ``flow.any(-1)`` on a 1080p frame)."""
    return flow.view(np.int64)


def disc(radius: int) -> np.ndarray:
    """Disc structuring element of ``radius`` pixels: ``(2r+1, 2r+1)`` uint8, OpenCV's ellipse."""
    import cv2

    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))


def dilate_mask(mask: np.ndarray, pixels: int) -> np.ndarray:
    """Grow a ``(H,W)`` or ``(T,H,W)`` bool mask by ``pixels`` (disc structuring element)."""
    if pixels < 0:
        raise InvalidOptionError(f"dilation must be >= 0 pixels, got {pixels}")
    if pixels == 0 or not mask.any():
        return mask.copy()
    kernel = disc(pixels)
    if mask.ndim == 2:
        return dilate_in_box(mask, kernel)
    return np.stack([dilate_in_box(m, kernel) if m.any() else m for m in mask])


def dilate_in_box(mask: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """``cv2.dilate(mask, kernel) > 0`` for a ``(H,W)`` bool ``mask``, computed only in the box around its
    pixels grown by the kernel's reach: nothing outside it can change, so dilating that crop gives the
    same pixels as the whole frame at a fraction of the cost for a small mask; ``(H,W)`` bool."""
    import cv2

    out = np.zeros(mask.shape, bool)
    box = occupied_box(mask)
    if box is None:
        return out
    h, w = mask.shape
    ry, rx = kernel.shape[0] // 2, kernel.shape[1] // 2
    box = (slice(max(0, box[0].start - ry), min(h, box[0].stop + ry)),
           slice(max(0, box[1].start - rx), min(w, box[1].stop + rx)))
    out[box] = cv2.dilate(mask[box].view(np.uint8), kernel) > 0
    return out


def erode_mask(mask: np.ndarray, pixels: int, *, beyond_edge: bool = True) -> np.ndarray:
    """Shrink a ``(H,W)`` bool mask by ``pixels`` (disc structuring element); returns ``(H,W)`` bool.

    ``beyond_edge``: whether the mask goes on past the array's edge.  True (a hole cut by the frame
    edge): the edge erodes nothing.  False (a shape drawn on the frame): the edge erodes like
    background, so a mask touching it gets a contour there too.
    """
    import cv2

    if pixels < 0:
        raise InvalidOptionError(f"erosion must be >= 0 pixels, got {pixels}")
    eroded = cv2.erode(mask.astype(np.uint8), disc(pixels), borderType=cv2.BORDER_CONSTANT,
                       borderValue=1 if beyond_edge else 0)
    return eroded > 0


def resize_clip(frames: np.ndarray, masks: np.ndarray, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """Frames ``(T,H,W,3)`` uint8 and masks ``(T,H,W)`` bool at ``scale`` (<= 1) of the size, at least 16x16:
    area-averaged frames; a pixel of the reduced mask is True where any of the pixels it covers is
    (a quick preview at reduced size loses no part of the hole)."""
    if scale >= 1:
        return frames, masks
    import cv2

    h, w = frames.shape[1:3]
    size = (max(16, round(w * scale)), max(16, round(h * scale)))
    small = np.stack([cv2.resize(frame, size, interpolation=cv2.INTER_AREA) for frame in frames])
    small_masks = np.stack([cv2.resize(mask.astype(np.uint8) * 255, size, interpolation=cv2.INTER_AREA) > 0
                            for mask in masks])
    return small, small_masks
