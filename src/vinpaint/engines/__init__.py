"""Video inpainting engines: ``engine(frames, holes, **options) -> frames``.

Shape:
    frames: ``(T,H,W,3)`` uint8 RGB.  holes: ``(T,H,W)`` bool, True = fill (already dilated).
    returns: ``(T,H,W,3)`` uint8.  Pixels outside ``holes`` may be anything: the caller composites,
    which is what guarantees they stay the input's.

Engines see one temporal window at a time (see :mod:`vinpaint.pipeline`); frames whose hole is empty
are context: already-final pixels the engine may copy from.  An engine may also take a
``progress(fraction)`` keyword, and a ``background`` keyword (reference frames of the whole clip,
:mod:`vinpaint.engines.background`), which the pipeline passes (they are not user options).
An engine that copies from other frames sets ``engine.temporal_sources = True`` (``--shadows`` then
makes a plate of the lit ground with it); a causal one sets ``engine.causal`` (:mod:`vinpaint.engines.live`).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

import numpy as np

from ..registry import Registry

Engine = Callable[..., np.ndarray]
ENGINES: Registry[Engine] = Registry("engine")

#: Keywords the pipeline passes to an engine itself; they are not options a user sets.
RUNTIME_KEYWORDS = frozenset({"progress", "background"})


def engine_parameters(name: str) -> dict[str, inspect.Parameter]:
    """The user-settable keyword options of engine ``name``, by name, in signature order."""
    return {key: parameter for key, parameter in inspect.signature(ENGINES.get(name)).parameters.items()
            if parameter.kind == parameter.KEYWORD_ONLY and key not in RUNTIME_KEYWORDS}


from . import perframe, propagate  # noqa: E402,F401  (register the built-in engines)
from . import live  # noqa: E402,F401  (the causal engine, last: listed after the batch engines)

__all__ = ["ENGINES", "RUNTIME_KEYWORDS", "Engine", "engine_parameters"]
