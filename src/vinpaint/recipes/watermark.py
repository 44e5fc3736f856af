"""Recipe: find a static overlay (:mod:`vinpaint.masks.detectors.watermark`) and remove it.

Shot by shot: each shot's overlay is found from its own frames
(:func:`~vinpaint.masks.detectors.watermark.find_watermark_by_shot`, cuts from ``options.shots``) and
the fill is given the same cuts, so neither the mask nor the fill reaches across a cut.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from ..errors import VinpaintError
from ..io import EncodeOptions, check_output, is_stream, write_png
from ..io.writers import check_file_output, refuse_overlap
from ..pipeline import RemoveOptions, remove_stream
from .common import JobResult, Progress, _rewrite


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
    """Find a static overlay (logo, timestamp, channel bug) in each shot and remove it from the shot's frames.

    Args:
        options: how to fill (:class:`~vinpaint.pipeline.RemoveOptions`; default dilation 4 px covers
            the overlay's anti-aliased edge).  Its ``shots`` also cut the detection: each shot's
            overlay is found from that shot's frames, so a logo shown in one shot is removed there only.
        samples: frames spread over each shot used to find its overlay.
        save_mask: also write the found mask as this PNG (with several shots, the union of their masks).
        detect_options: options of :func:`vinpaint.masks.detectors.watermark.find_watermark`.

    Raises:
        VinpaintError: no static overlay was found in any shot.
    """
    from ..masks.detectors.watermark import find_watermark_by_shot, overlay_masks

    options = options or RemoveOptions()
    output = check_output(output_path, inputs=(input_path,), overwrite=overwrite)
    if save_mask is not None:
        if not is_stream(output):
            refuse_overlap(Path(save_mask), Path(output), name="the mask image", other_name="the output")
        save_mask = check_file_output(save_mask, inputs=(input_path,), overwrite=overwrite)
    overlays = find_watermark_by_shot(input_path, samples=samples, fps=fps, shots=options.shots,
                                      **(detect_options or {}))
    if not any(overlay.mask.any() for overlay in overlays):
        raise VinpaintError(
            f"no static overlay found in {input_path}; the content may not move enough under it. "
            "Lower the sensitivity (--sensitivity), or draw the mask and use vinpaint remove --mask"
        )
    for overlay in overlays:
        log.info("watermark: frames %d-%d: %d pixels (%.2f%% of the frame)", overlay.first, overlay.stop - 1,
                 int(overlay.mask.sum()), 100 * overlay.mask.mean())
    if save_mask is not None:
        write_png(save_mask, np.logical_or.reduce([overlay.mask for overlay in overlays]))
    count = overlays[-1].stop
    cuts = [overlay.first for overlay in overlays[1:]]

    def transform(images):
        return remove_stream(images, overlay_masks(overlays), options, total=count, cuts=cuts)

    _rewrite(input_path, output, transform, encode=encode, fps=fps, overwrite=overwrite, progress=progress)
    masked = [overlay for overlay in overlays if overlay.mask.any()]
    fraction = sum(float(overlay.mask.mean()) * (overlay.stop - overlay.first) for overlay in overlays) / count
    return JobResult(output, sum(overlay.stop - overlay.first for overlay in masked), fraction,
                     Path(save_mask) if save_mask else None)
