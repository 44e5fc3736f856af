"""Recipes: one call that builds a mask and fills (or hides) it, file in, file out.

* :func:`remove_watermark` -- find a static overlay (:mod:`vinpaint.masks.detectors.watermark`) and remove it.
* :func:`anonymize` -- faces, licence plates and text (:mod:`vinpaint.masks.detectors`) inpainted, blurred or pixelated; blur and pixelation change only the
  masked pixels, every other pixel is the input's, bit for bit.
* :func:`restore` -- dust, scratches and drop-outs (:mod:`vinpaint.masks.detectors.damage`) filled.
* :func:`replace_background` -- keep a subject (a mask) and put an image, a video, a colour or a
  clean plate of the clip itself behind it.

Every job streams: detection keeps boxes or one mask, not frames (damage detection reads a few frames
ahead of the fill); the fill goes through :func:`vinpaint.pipeline.remove_stream`.  The output keeps
the input's frame count, timestamps and audio, and nothing is written unless the whole run succeeds.
Arrays follow :mod:`vinpaint.arrays` (frames ``(H,W,3)`` uint8 RGB, masks ``(H,W)`` bool True = fill).
"""

from __future__ import annotations

from .background import clean_plate, parse_colour, replace_background
from .common import JobResult, Progress
from .privacy import ANONYMIZE_METHODS, anonymize, blur_inside, pixelate_inside
from .replace import replace, replace_file, replace_with_details
from .restoration import restore
from .watermark import remove_watermark

__all__ = ["ANONYMIZE_METHODS", "JobResult", "Progress", "anonymize", "blur_inside", "clean_plate", "parse_colour",
           "pixelate_inside", "remove_watermark", "replace", "replace_background", "replace_file", "replace_with_details", "restore"]
