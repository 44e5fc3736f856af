"""Video inpainting engines: ``engine(frames, holes, **options) -> frames``.

Shape:
    frames: ``(T,H,W,3)`` uint8 RGB.  holes: ``(T,H,W)`` bool, True = fill (already dilated).
    returns: ``(T,H,W,3)`` uint8.  Pixels outside ``holes`` may be anything: the caller composites,
    which is what guarantees they stay the input's.

Engines see one temporal window at a time (see :mod:`vinpaint.pipeline`); frames whose hole is empty
are context: already-final pixels the engine may copy from.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..registry import Registry

Engine = Callable[..., np.ndarray]
ENGINES: Registry[Engine] = Registry("engine")

from . import perframe, propagate  # noqa: E402,F401  (register the built-in engines)

__all__ = ["ENGINES", "Engine"]
