"""The one way every mask source is called, and the frame stream the detectors read.

Every entry of :data:`vinpaint.masks.MASK_SOURCES` is called as::

    source(frames, *, progress=None, **hints_and_settings) -> (T,H,W) bool

``frames`` is ``(T,H,W,3)`` uint8 RGB (detectors also take any iterable of ``(H,W,3)`` frames, read
one at a time); what the user gave is passed by keyword: ``keyframes=`` (``box``), ``points=``
(``click``), ``init=`` (``track``); detectors need none.  ``progress(done, total)`` is called as
the source advances (at least once, at the end).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from typing import Protocol

import numpy as np

from ..arrays import check_frames

Progress = Callable[[int, int | None], None]


class MaskSource(Protocol):
    """``(frames (T,H,W,3) uint8, *, progress, **hints_and_settings) -> (T,H,W) bool``."""

    def __call__(self, frames: np.ndarray, *, progress: Progress | None = None, **kwargs) -> np.ndarray: ...


def frame_stream(frames: np.ndarray | Iterable[np.ndarray]) -> tuple[tuple[int, int], Iterator[np.ndarray] | np.ndarray]:
    """``((H, W), frames)``: an array is checked and returned whole, an iterable is peeked for its size.

    Raises:
        InvalidArrayError: an array that is not ``(T,H,W,3)`` uint8.
        InvalidArrayError: an empty stream.
    """
    if isinstance(frames, np.ndarray):
        frames = check_frames(frames)
        return frames.shape[1:3], frames
    iterator = iter(frames)
    first = next(iterator, None)
    if first is None:
        from ..errors import InvalidArrayError

        raise InvalidArrayError("frames is empty (0 frames)")
    return np.shape(first)[:2], itertools.chain([first], iterator)
