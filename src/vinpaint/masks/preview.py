"""The video with its mask drawn over it, to check a mask before spending time on a fill."""

from __future__ import annotations

import numpy as np

from ..arrays import check_frames, check_masks, erode_mask, mix


def overlay_masks(
    frames: np.ndarray,
    masks: np.ndarray,
    *,
    colour: tuple[int, int, int] = (255, 32, 96),
    opacity: float = 0.45,
    outline: int = 1,
    fringe: int = 0,
    fringe_colour: tuple[int, int, int] = (32, 224, 255),
) -> np.ndarray:
    """Tint the masked pixels and draw their outline.

    Shape:
        frames: ``(T,H,W,3)`` uint8 RGB.  masks: ``(T,H,W)`` or ``(H,W)`` (non-zero = fill).
        returns: ``(T,H,W,3)`` uint8 RGB; pixels away from the mask are unchanged.

    Args:
        colour: RGB tint and outline colour.
        opacity: tint strength inside the mask, 0 (none) to 1 (solid).
        outline: outline width in pixels, drawn just inside the mask's edge (0 = none).
        fringe: also show, tinted with ``fringe_colour``, the pixels ``vinpaint remove --fringe PX``
            adds to the mask (:func:`vinpaint.masks.fringe.grow_fringe`; 0 = none).
    """
    frames = check_frames(frames)
    masks = check_masks(masks, frames.shape)
    if not 0 <= opacity <= 1:
        from ..errors import InvalidOptionError

        raise InvalidOptionError(f"opacity must be in [0, 1], got {opacity}")
    tint = np.asarray(colour, np.float32)
    out = frames.copy()
    for t in range(len(frames)):
        mask = masks[t]
        if not mask.any():
            continue
        if fringe:
            from .fringe import grow_fringe

            added = grow_fringe(frames[t], mask, reach=fringe) & ~mask
            out[t][added] = mix(frames[t][added], np.asarray(fringe_colour, np.float32), max(opacity, 0.6))
        out[t][mask] = mix(frames[t][mask], tint, opacity)
        if outline:
            inner = erode_mask(mask, outline, beyond_edge=False)
            out[t][mask & ~inner] = np.asarray(colour, np.uint8)
    return out


def mark_frames(
    frames: np.ndarray,
    flags: np.ndarray,
    *,
    label: str = "unsure",
    colour: tuple[int, int, int] = (255, 0, 0),
    border: int = 4,
) -> np.ndarray:
    """Draw a ``border``-pixel frame in ``colour`` and ``label`` (top left, outlined in black) on the flagged frames.

    What ``vinpaint mask preview`` does to the frames a mask folder's report calls unsure
    (:func:`vinpaint.masks.report.unsure_frames`), so that they stand out while scrubbing.

    Shape:
        frames: ``(T,H,W,3)`` uint8 RGB.  flags: ``(T,)`` bool.
        returns: ``(T,H,W,3)`` uint8 RGB, a copy; unflagged frames unchanged.

    Raises:
        InvalidArrayError: ``flags`` not one per frame.
        InvalidOptionError: ``border`` below 1.
    """
    import cv2

    from ..errors import InvalidArrayError, InvalidOptionError

    frames = check_frames(frames)
    flags = np.asarray(flags, bool)
    if flags.shape != (len(frames),):
        raise InvalidArrayError(f"flags must hold one value per frame, shape ({len(frames)},), got {flags.shape}")
    if border < 1:
        raise InvalidOptionError(f"border must be at least 1 pixel, got {border}")
    out = frames.copy()
    h, w = frames.shape[1:3]
    b = min(border, max(1, min(h, w) // 4))
    scale = max(0.4, min(h, w) / 480)
    thickness = max(1, round(2 * scale))
    (_, text_h), _ = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)
    for t in np.nonzero(flags)[0]:
        image = out[t]
        image[:b], image[-b:], image[:, :b], image[:, -b:] = colour, colour, colour, colour
        origin = (b + 4, b + 4 + text_h)
        # a dark outline under the word keeps it legible on a background of its own colour
        cv2.putText(image, label, origin, cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), thickness + 2, cv2.LINE_AA)
        cv2.putText(image, label, origin, cv2.FONT_HERSHEY_SIMPLEX, scale, colour, thickness, cv2.LINE_AA)
    return out
