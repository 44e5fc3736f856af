"""Recipe: dust, scratches and drop-outs (:mod:`vinpaint.masks.detectors.damage`) filled.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ..io import EncodeOptions, check_output, open_video
from ..pipeline import RemoveOptions
from .common import JobResult, Progress, _check_saved_masks, _MaskStats, _inpaint_transform, _rewrite, _saving


# --------------------------------------------------------------------------------------------------
# restore
def restore(
    input_path: str | Path,
    output_path: str | Path,
    options: RemoveOptions | None = None,
    *,
    radius: int = 2,
    detect_options: dict | None = None,
    save_masks: str | Path | None = None,
    encode: EncodeOptions | None = None,
    fps: float | None = None,
    overwrite: bool = False,
    progress: Progress | None = None,
) -> JobResult:
    """Find film damage (dust, scratches, drop-outs) as temporal outliers and fill it.

    Args:
        options: how to fill (default: the ``propagate`` engine with a 2-pixel dilation).
        radius: neighbours on each side each frame is compared with.
        detect_options: options of :func:`vinpaint.masks.detectors.damage.detect_damage`.
        save_masks: keep the damage masks in this folder.
    """
    from ..masks.detectors.damage import iter_damage_masks

    output = check_output(output_path, inputs=(input_path,), overwrite=overwrite)
    _check_saved_masks(save_masks, output, input_path, overwrite)
    options = options or RemoveOptions(dilate=2)
    count = open_video(input_path, fps=fps).info.frame_count
    stats = _MaskStats()

    def transform(images: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
        to_fill, to_judge = itertools.tee(images)  # the detector reads a few frames ahead of the fill
        masks = stats.watch(iter_damage_masks(to_judge, radius=radius, **(detect_options or {})))
        if save_masks:
            masks = _saving(masks, save_masks, overwrite, input_path)
        return _inpaint_transform(masks, options, count)(to_fill)

    _rewrite(input_path, output, transform, encode=encode, fps=fps, overwrite=overwrite, progress=progress)
    return JobResult(output, stats.frames, stats.fraction, Path(save_masks) if save_masks else None)
