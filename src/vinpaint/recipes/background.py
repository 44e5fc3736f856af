"""Recipe: keep a subject and put an image, a video, a colour or a clean plate behind it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import cv2
import numpy as np

from ..arrays import to_uint8
from ..composite import composite
from ..errors import InvalidOptionError, VinpaintError
from ..io import EncodeOptions, check_output, open_masks, open_video, read_image
from ..io.images import IMAGE_EXTENSIONS
from .common import JobResult, Progress, _MaskStats, _rewrite


# --------------------------------------------------------------------------------------------------
# background
def replace_background(
    input_path: str | Path,
    subject_path: str | Path,
    output_path: str | Path,
    *,
    background: str | Path,
    feather: float = 2.0,
    mask_ids: Iterable[int] | None = None,
    plate_samples: int = 48,
    encode: EncodeOptions | None = None,
    fps: float | None = None,
    overwrite: bool = False,
    progress: Progress | None = None,
) -> JobResult:
    """Keep the subject (non-zero in the mask) and replace everything else.

    Args:
        subject_path: mask folder, single image or mask video; non-zero = the subject to keep.
        background: what goes behind the subject --

            * an image file: scaled to cover the frame (centre crop);
            * a video file or frame folder: the same, frame by frame, looped if shorter;
            * a colour: ``"#00ff00"``, ``"0,255,0"`` or a name (``"green"``);
            * ``"fill"``: a clean plate of the clip itself -- the per-pixel median of frames sampled
              over the clip where the subject is not, the never-seen pixels inpainted (Telea).  On a
              static camera this removes everything that moves except the subject.
        feather: soften the subject's edge over this many pixels *outside* it (the subject's own
            pixels are always the input's, bit for bit).
        mask_ids: object ids that make the subject (palette masks); None = every non-zero id.
    """
    if feather < 0:
        raise InvalidOptionError(f"feather must be >= 0 pixels, got {feather}")
    output = check_output(output_path, inputs=(input_path, subject_path), overwrite=overwrite)
    info = open_video(input_path, fps=fps).info
    size = (info.height, info.width)
    subject = open_masks(subject_path, info.frame_count, *size, ids=mask_ids)
    backgrounds = _background_source(background, size, input_path=input_path, subject_path=subject_path,
                                     mask_ids=mask_ids, samples=plate_samples, fps=fps, output=output)
    stats = _MaskStats()

    def transform(images: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
        # the job's mask is what it replaces: everything but the subject
        for image, replaced in zip(images, stats.watch(~keep for keep in subject), strict=True):
            yield composite(image, next(backgrounds), replaced, feather=feather)

    _rewrite(input_path, output, transform, encode=encode, fps=fps, overwrite=overwrite, progress=progress)
    return JobResult(output, stats.frames, stats.fraction)


def parse_colour(text: str) -> tuple[int, int, int] | None:
    """``"#00ff00"``, ``"0,255,0"`` or a colour name -> ``(r, g, b)`` in 0-255; None if not a colour."""
    text = str(text).strip()
    parts = text.split(",")
    if len(parts) == 3:
        try:
            rgb = tuple(int(p) for p in parts)
        except ValueError:
            return None
        return rgb if all(0 <= c <= 255 for c in rgb) else None
    from matplotlib.colors import to_rgb

    try:
        return tuple(int(round(c * 255)) for c in to_rgb(text))
    except ValueError:
        return None


def clean_plate(input_path: str | Path, subject_path: str | Path, *, samples: int = 48, mask_ids=None,
                fps: float | None = None) -> np.ndarray:
    """The clip's background without the subject: per-pixel median over sampled frames where the
    subject is absent; pixels the subject covers in every sample are inpainted (Telea 2004).

    Shape: returns ``(H,W,3)`` uint8 RGB.
    """
    from ..masks.detectors.watermark import sample_frames
    from ..fill import fill_spatial

    frames, indices = sample_frames(input_path, samples, fps=fps)
    t, h, w = frames.shape[:3]
    total = open_video(input_path, fps=fps).info.frame_count
    wanted = set(indices.tolist())
    masks = [m for i, m in enumerate(open_masks(subject_path, total, h, w, ids=mask_ids)) if i in wanted]
    hidden = np.stack(masks)
    values = np.where(hidden[..., None], np.nan, frames.astype(np.float32))
    never = hidden.all(axis=0)
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN pixels: handled below
            plate = np.nanmedian(values, axis=0)
    plate = to_uint8(np.nan_to_num(plate, nan=128.0))
    return fill_spatial(plate, never) if never.any() else plate


def _background_source(background, size, *, input_path, subject_path, mask_ids, samples, fps, output) -> Iterator[np.ndarray]:
    text = str(background)
    if text == "fill":
        plate = clean_plate(input_path, subject_path, samples=samples, mask_ids=mask_ids, fps=fps)
        return _repeat(plate)
    path = Path(text)
    if path.exists():
        if path.resolve() == Path(output).resolve():
            raise InvalidOptionError(f"the background {path} is the output")
        if path.is_file() and path.suffix.lower() in IMAGE_EXTENSIONS:
            return _repeat(_cover(read_image(path), size))
        return _looped_video(path, size)
    colour = parse_colour(text)
    if colour is None:
        raise InvalidOptionError(
            f"background {text!r} is not an existing image or video, a colour (#00ff00, 0,255,0, green) or 'fill'"
        )
    return _repeat(np.full((*size, 3), colour, np.uint8))


def _repeat(image: np.ndarray) -> Iterator[np.ndarray]:
    while True:
        yield image


def _looped_video(path: Path, size) -> Iterator[np.ndarray]:
    open_video(path)  # fail now, not mid-run, when it is not a video
    while True:
        produced = 0
        for image in open_video(path).images():
            produced += 1
            yield _cover(image, size)
        if produced == 0:
            raise VinpaintError(f"the background video {path} has no frames")


def _cover(image: np.ndarray, size) -> np.ndarray:
    """Scale ``image`` to cover ``size = (H, W)`` and centre-crop it."""
    h, w = size
    ih, iw = image.shape[:2]
    scale = max(h / ih, w / iw)
    nw, nh = max(w, round(iw * scale)), max(h, round(ih * scale))
    resized = cv2.resize(image, (nw, nh), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    y0, x0 = (nh - h) // 2, (nw - w) // 2
    return np.ascontiguousarray(resized[y0 : y0 + h, x0 : x0 + w])
