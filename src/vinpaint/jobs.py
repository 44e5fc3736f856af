"""Jobs: one call that builds a mask and fills (or hides) it, file in, file out.

* :func:`remove_watermark` -- find a static overlay (:mod:`vinpaint.masks.watermark`) and remove it.
* :func:`anonymize` -- faces, licence plates and text (:mod:`vinpaint.masks.faces`,
  :mod:`vinpaint.masks.text`) inpainted, blurred or pixelated; blur and pixelation change only the
  masked pixels, every other pixel is the input's, bit for bit.
* :func:`restore` -- dust, scratches and drop-outs (:mod:`vinpaint.masks.damage`) filled.
* :func:`replace_background` -- keep a subject (a mask) and put an image, a video, a colour or a
  clean plate of the clip itself behind it.

Every job streams: detection keeps boxes or one mask, not frames (damage detection reads a few frames
ahead of the fill); the fill goes through :func:`vinpaint.pipeline.remove_stream`.  The output keeps
the input's frame count, timestamps and audio, and nothing is written unless the whole run succeeds.
Arrays follow :mod:`vinpaint.arrays` (frames ``(H,W,3)`` uint8 RGB, masks ``(H,W)`` bool True = fill).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from .composite import composite
from .errors import InvalidOptionError, VinpaintError
from .io import EncodeOptions, check_output, open_masks, open_video, read_image, write_png
from .io.images import IMAGE_EXTENSIONS
from .masks.postprocess import prepare_mask_folder
from .pipeline import RemoveOptions, remove_stream, rewrite_video

log = logging.getLogger(__name__)

Progress = Callable[[int, int | None], None]
ANONYMIZE_METHODS = ("inpaint", "blur", "pixelate")


@dataclass(frozen=True)
class JobResult:
    """What a job wrote and how much it changed.

    Attributes:
        output: the output video or folder.
        masked_frames: frames whose mask was not empty.
        masked_fraction: mean fraction of a frame's pixels in the mask (before the fill's dilation).
        masks: the mask folder written, when one was asked for.
    """

    output: Path
    masked_frames: int
    masked_fraction: float
    masks: Path | None = None


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
        detect_options: options of :func:`vinpaint.masks.watermark.find_watermark`.

    Raises:
        VinpaintError: no static overlay was found.
    """
    from .masks.watermark import find_watermark_in_file

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


# --------------------------------------------------------------------------------------------------
# anonymize


def anonymize(
    input_path: str | Path,
    output_path: str | Path,
    *,
    faces: bool = True,
    plates: bool = False,
    text: bool = False,
    method: str = "blur",
    strength: float = 0.0,
    margin: float = 0.25,
    confidence: float = 0.5,
    detect_scale: float = 1.0,
    hold: int = 3,
    max_gap: int = 8,
    options: RemoveOptions | None = None,
    save_masks: str | Path | None = None,
    encode: EncodeOptions | None = None,
    fps: float | None = None,
    overwrite: bool = False,
    progress: Progress | None = None,
) -> JobResult:
    """Hide faces, licence plates and/or text in every frame.

    Detection runs on every frame and is tracked over time (score hysteresis, gap filling, hold:
    see :mod:`vinpaint.masks.faces`), so a face missed by the detector in a frame is still hidden.

    Args:
        method: ``"blur"`` (Gaussian blur), ``"pixelate"`` (blocks) -- both change only the masked
            pixels -- or ``"inpaint"`` (the region is removed and filled from the surroundings).
        strength: blur sigma or block size in pixels; 0 = automatic (4 % / 3 % of the frame's
            longer side).
        margin: faces are covered by ellipses grown by this fraction of the box on each side
            (>= 0.21 contains the whole detection box); plates and text by rectangles grown by 0.1.
        confidence, detect_scale, hold, max_gap: face detector and tracker settings.
        options: the fill for ``method="inpaint"``.
        save_masks: also write the masks as a folder (00000.png..., 255 = hidden).
    """
    from .masks.faces import detect_faces, iter_box_masks, track_boxes
    from .masks.text import detect_plates, detect_text

    if method not in ANONYMIZE_METHODS:
        raise InvalidOptionError(f"unknown method {method!r}; choose one of: {', '.join(ANONYMIZE_METHODS)}")
    if not (faces or plates or text):
        raise InvalidOptionError("nothing to anonymize: choose at least one of faces, plates, text")
    if strength < 0:
        raise InvalidOptionError(f"strength must be >= 0 pixels (0 = automatic), got {strength}")
    if margin < 0:
        raise InvalidOptionError(f"margin must be >= 0, got {margin}")
    output = check_output(output_path, inputs=(input_path,), overwrite=overwrite)
    source = open_video(input_path, fps=fps)
    info = source.info
    keep = min(0.3, confidence)
    face_found, other_found = [], []
    for image in source.images():
        if faces:
            face_found.append(detect_faces(image, confidence=keep, scale=detect_scale))
        others = []
        if plates:
            others.append(detect_plates(image, both_cascades=True))
        if text:
            others.append(detect_text(image))
        boxes = np.concatenate(others) if others else np.zeros((0, 4), np.float32)
        other_found.append(np.concatenate([boxes, np.ones((len(boxes), 1), np.float32)], axis=1))
    size = (info.height, info.width)
    count = len(other_found)
    face_boxes = (track_boxes(face_found, start=confidence, keep=keep, max_gap=max_gap, hold=hold, frame_size=size)
                  if faces else [np.zeros((0, 4), np.float32)] * count)
    other_boxes = track_boxes(other_found, start=1.0, keep=0.0, max_gap=4, hold=2, min_iou=0.3, frame_size=size)

    def masks() -> Iterator[np.ndarray]:
        for face_mask, other_mask in zip(iter_box_masks(face_boxes, size, margin=margin, shape="ellipse"),
                                         iter_box_masks(other_boxes, size, margin=0.1, shape="rect")):
            yield face_mask | other_mask

    stats = _MaskStats()
    mask_iter = stats.watch(masks())
    if save_masks:
        mask_iter = _saving(mask_iter, save_masks, overwrite)
    if method == "inpaint":
        transform = _inpaint_transform(mask_iter, options, count)
    else:
        amount = strength or (0.04 if method == "blur" else 0.03) * max(size)
        transform = _hide_transform(mask_iter, method, amount)
    _rewrite(input_path, output, transform, encode=encode, fps=fps, overwrite=overwrite, progress=progress)
    log.info("anonymize: %d faces tracked over %d frames", sum(len(b) for b in face_boxes), count)
    return JobResult(output, stats.frames, stats.fraction, Path(save_masks) if save_masks else None)


def blur_inside(frame: np.ndarray, mask: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur of ``frame`` inside ``mask`` only; outside, the pixels are ``frame``'s, bit for bit.

    Shape: frame ``(H,W,3)`` uint8, mask ``(H,W)`` bool; returns ``(H,W,3)`` uint8.
    """
    if sigma <= 0:
        raise InvalidOptionError(f"blur sigma must be > 0, got {sigma}")
    if not mask.any():
        return frame.copy()
    # Blur a downscaled copy (sigma >= 2 there), upscale: the same look at a fraction of the cost.
    factor = max(1.0, sigma / 4)
    h, w = frame.shape[:2]
    small = cv2.resize(frame, (max(1, round(w / factor)), max(1, round(h / factor))), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), sigmaX=sigma / factor, borderType=cv2.BORDER_REFLECT)
    blurred = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    return composite(frame, blurred, mask)


def pixelate_inside(frame: np.ndarray, mask: np.ndarray, block: float) -> np.ndarray:
    """Blocks of ``block`` pixels (their mean colour) inside ``mask`` only; outside, bit for bit.

    Shape: frame ``(H,W,3)`` uint8, mask ``(H,W)`` bool; returns ``(H,W,3)`` uint8.
    """
    block = int(round(block))
    if block < 2:
        raise InvalidOptionError(f"pixelate block must be >= 2 pixels, got {block}")
    if not mask.any():
        return frame.copy()
    h, w = frame.shape[:2]
    bh, bw = -(-h // block), -(-w // block)
    padded = cv2.copyMakeBorder(frame, 0, bh * block - h, 0, bw * block - w, cv2.BORDER_REPLICATE)
    means = padded.reshape(bh, block, bw, block, 3).mean(axis=(1, 3))
    blocks = np.repeat(np.repeat(np.rint(means).astype(np.uint8), block, axis=0), block, axis=1)[:h, :w]
    return composite(frame, blocks, mask)


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
        detect_options: options of :func:`vinpaint.masks.damage.detect_damage`.
        save_masks: keep the damage masks in this folder.
    """
    from .masks.damage import iter_damage_masks

    output = check_output(output_path, inputs=(input_path,), overwrite=overwrite)
    options = options or RemoveOptions(dilate=2)
    count = open_video(input_path, fps=fps).info.frame_count
    stats = _MaskStats()

    def transform(images: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
        to_fill, to_judge = itertools.tee(images)  # the detector reads a few frames ahead of the fill
        masks = stats.watch(iter_damage_masks(to_judge, radius=radius, **(detect_options or {})))
        if save_masks:
            masks = _saving(masks, save_masks, overwrite)
        return _inpaint_transform(masks, options, count)(to_fill)

    _rewrite(input_path, output, transform, encode=encode, fps=fps, overwrite=overwrite, progress=progress)
    return JobResult(output, stats.frames, stats.fraction, Path(save_masks) if save_masks else None)


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
        for image, keep in zip(images, stats.watch(iter(subject)), strict=True):
            yield composite(image, next(backgrounds), ~keep, feather=feather)

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
    from .masks.watermark import sample_frames
    from .spatial import fill_spatial

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
    plate = np.clip(np.rint(np.nan_to_num(plate, nan=128.0)), 0, 255).astype(np.uint8)
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


# --------------------------------------------------------------------------------------------------
# shared plumbing


class _MaskStats:
    """Counts non-empty masks and their mean coverage as they stream past."""

    def __init__(self) -> None:
        self.frames = 0
        self.count = 0
        self.total = 0.0

    def watch(self, masks: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
        for mask in masks:
            self.count += 1
            coverage = float(mask.mean())
            self.total += coverage
            self.frames += coverage > 0
            yield mask

    @property
    def fraction(self) -> float:
        return self.total / self.count if self.count else 0.0


def _saving(masks: Iterable[np.ndarray], folder: str | Path, overwrite: bool) -> Iterator[np.ndarray]:
    """Pass masks through, writing each as ``folder/00000.png...`` (255 = masked) on the way."""
    folder = prepare_mask_folder(folder, overwrite=overwrite)
    for index, mask in enumerate(masks):
        write_png(folder / f"{index:05d}.png", mask)
        yield mask


def _inpaint_transform(masks: Iterable[np.ndarray], options: RemoveOptions | None, total: int):
    """Fill ``masks`` with :func:`~vinpaint.pipeline.remove_stream` (the engine reads no pixel inside a hole)."""
    options = options or RemoveOptions()

    def transform(images: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
        return remove_stream(images, masks, options, total=total)

    return transform


def _hide_transform(masks: Iterable[np.ndarray], method: str, amount: float):
    hide = blur_inside if method == "blur" else pixelate_inside

    def transform(images: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
        for image, mask in zip(images, masks, strict=True):
            yield hide(image, mask, amount)

    return transform


def _rewrite(input_path, output: Path, transform, *, encode, fps, overwrite, progress) -> Path:
    return rewrite_video(open_video(input_path, fps=fps), output, transform, encode=encode, overwrite=overwrite,
                         progress=progress)
