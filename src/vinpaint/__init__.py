"""vinpaint: remove or replace a masked region of a video, temporally coherent, on a CPU.

Array convention (see :mod:`vinpaint.arrays`): frames ``(T,H,W,3)`` uint8 RGB; masks ``(T,H,W)``
bool, True = fill; flow ``(H,W,2)`` float32 ``(dx,dy)`` in pixels, ``flow[t]`` maps frame t to t+1.

Quick start::

    import vinpaint
    clean = vinpaint.remove(frames, masks)                       # arrays in, array out
    vinpaint.remove_file("in.mp4", "masks/", "out.mp4")          # files in, file out
"""

from __future__ import annotations

import logging

from .engines import ENGINES
from .errors import (
    InputNotFoundError,
    InvalidArrayError,
    InvalidOptionError,
    MaskMismatchError,
    MissingDependencyError,
    OutputError,
    UnknownPluginError,
    UnreadableInputError,
    VinpaintError,
)
from .flow import FLOW_ESTIMATORS, complete_flow, estimate_flow
from .io import EncodeOptions, open_masks, open_video, open_writer
from .pipeline import PRESETS, RemoveOptions, options_from_preset, remove, remove_file, remove_stream
from .fill import SPATIAL_FILLERS, fill_spatial

logging.getLogger(__name__).addHandler(logging.NullHandler())

__version__ = "0.1.0"

__all__ = [
    "ENGINES", "FLOW_ESTIMATORS", "SPATIAL_FILLERS", "EncodeOptions", "InputNotFoundError", "InvalidArrayError",
    "InvalidOptionError", "MaskMismatchError", "MissingDependencyError", "OutputError", "PRESETS", "RemoveOptions",
    "UnknownPluginError", "UnreadableInputError", "VinpaintError", "complete_flow", "estimate_flow", "fill_spatial",
    "open_masks", "open_video", "open_writer", "options_from_preset", "remove", "remove_file", "remove_stream",
]
