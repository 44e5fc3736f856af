"""Recipe: find a static overlay (:mod:`vinpaint.masks.detectors.watermark`) and remove it.
"""

from __future__ import annotations

import logging
from pathlib import Path

from ..errors import VinpaintError
from ..io import EncodeOptions, check_output, open_video, write_png
from ..pipeline import RemoveOptions
from .common import JobResult, Progress, _inpaint_transform, _rewrite


log = logging.getLogger(__name__)


# --------------------------------------------------------------------------------------------------
# watermark
def remove_watermark(
    input_path: str | Path,
    output_path: str | Path,
    options: RemoveOptions | None = None,
    *,
    samples: int = 48,
    save_mask: str | Path | None = None,
    detect_options: dict | None = None,
    encode: EncodeOptions | None = None,
    fps: float | None = None,
    overwrite: bool = False,
    progress: Progress | None = None,
) -> JobResult:
    """Find a static overlay (logo, timestamp, channel bug) and remove it from every frame.

    Args:
        options: how to fill (:class:`~vinpaint.pipeline.RemoveOptions`; default dilation 4 px covers
            the overlay's anti-aliased edge).
        samples: frames spread over the clip used to find the overlay.
        save_mask: also write the found mask as this PNG.
        detect_options: options of :func:`vinpaint.masks.detectors.watermark.find_watermark`.

    Raises:
        VinpaintError: no static overlay was found.
    """
    from ..masks.detectors.watermark import find_watermark_in_file

    output = check_output(output_path, inputs=(input_path,), overwrite=overwrite)
    mask = find_watermark_in_file(input_path, samples=samples, fps=fps, **(detect_options or {}))
    if not mask.any():
        raise VinpaintError(
            f"no static overlay found in {input_path}; the content may not move enough under it. "
            "Lower the sensitivity (--sensitivity), or draw the mask and use vinpaint remove --mask"
        )
    log.info("watermark: %d pixels (%.2f%% of the frame)", int(mask.sum()), 100 * mask.mean())
    if save_mask is not None:
        write_png(save_mask, mask)
    count = open_video(input_path, fps=fps).info.frame_count
    masks = (mask for _ in range(count))
    _rewrite(input_path, output, _inpaint_transform(masks, options, count), encode=encode, fps=fps,
             overwrite=overwrite, progress=progress)
    return JobResult(output, count, float(mask.mean()), Path(save_mask) if save_mask else None)
