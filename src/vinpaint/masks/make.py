"""From keyframe masks to a mask for every frame of a range: track them, or repeat one.

The studio's "make masks" step and ``vinpaint mask track`` both go through :func:`make_masks`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from ..arrays import check_frames
from ..errors import InvalidArrayError, InvalidOptionError, MaskMismatchError
from .track import track_masks

#: ``track``: follow the keyframe masks through the range (:func:`vinpaint.masks.track.track_masks`);
#: ``static``: one keyframe's mask on every frame of the range (a logo, a fixed overlay)
MAKE_METHODS = ("track", "static")


def make_masks(
    frames: np.ndarray,
    keyframes: Mapping[int, np.ndarray],
    *,
    method: str = "track",
    first: int = 0,
    last: int | None = None,
    static_frame: int | None = None,
    progress: Callable[[int, int | None], None] | None = None,
    **track_options,
) -> np.ndarray:
    """A mask for every frame of ``frames``, made from keyframe masks; frames outside ``first..last`` stay empty.

    Shape:
        frames: ``(T,H,W,3)`` uint8 RGB, the whole clip or any part holding ``first..last`` (indices
        are positions in ``frames``).  ``static`` reads only its shape (a broadcast view will do).
        keyframes: ``{frame index: (H,W) mask}``, bool or integer labels (non-zero = the object);
        keyframes outside ``first..last`` are ignored.
        returns: ``(T,H,W)`` bool, True = fill.

    Args:
        method: one of :data:`MAKE_METHODS`.
        first, last: the inclusive range to mask (default: every frame).
        static_frame: the keyframe ``static`` repeats (default: the first keyframe in the range).
        progress: ``progress(done, total)`` while tracking.
        track_options: keywords of :func:`vinpaint.masks.track.track_masks` (``flow``, ``band``, ``ids``...).

    Raises:
        InvalidOptionError: unknown ``method``, a range outside the frames, no keyframe in the range,
            ``static_frame`` not a keyframe, or track options given to ``static``.
        MaskMismatchError: a keyframe mask of another size than the frames.
    """
    if np.ndim(frames) != 4:
        raise InvalidArrayError(f"frames must have shape (T, H, W, 3), got {np.shape(frames)}")
    count, height, width = np.shape(frames)[:3]
    if method not in MAKE_METHODS:
        raise InvalidOptionError(f"unknown mask method {method!r}; choose one of: {', '.join(MAKE_METHODS)}")
    last = count - 1 if last is None else last
    if not 0 <= first <= last < count:
        raise InvalidOptionError(f"frame range {first}-{last} is outside the clip's frames 0-{count - 1}")
    for index, mask in keyframes.items():
        if np.shape(mask) != (height, width):
            raise MaskMismatchError(f"the keyframe mask of frame {index} is {np.shape(mask)}, the frames are "
                                    f"{height}x{width} (rows x columns); draw it on a frame of the clip")
    keys = sorted(index for index in keyframes if first <= index <= last)
    masks = np.zeros((count, height, width), bool)
    if method == "static":
        if track_options:
            raise InvalidOptionError(f"method 'static' takes no tracking options, got {', '.join(track_options)}")
        frame = keys[0] if static_frame is None and keys else static_frame
        if frame is None or frame not in keyframes:
            raise InvalidOptionError("draw a mask on a keyframe first, then repeat it on every frame")
        masks[first : last + 1] = np.asarray(keyframes[frame]) != 0
        return masks
    if not keys:
        raise InvalidOptionError(f"draw a mask on at least one keyframe in frames {first}-{last} first")
    init = {index - first: keyframes[index] for index in keys}
    masks[first : last + 1] = track_masks(check_frames(frames)[first : last + 1], init, progress=progress, **track_options)
    return masks
