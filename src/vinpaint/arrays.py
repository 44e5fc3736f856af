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

from .errors import InvalidArrayError, MaskMismatchError
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
