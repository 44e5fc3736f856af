"""Recipe: faces, licence plates, text and objects of any class (an ONNX detector) inpainted, blurred or pixelated.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import cv2
import numpy as np

from ..arrays import to_uint8
from ..composite import composite
from ..errors import InvalidOptionError
from ..io import EncodeOptions, check_output, open_video
from ..pipeline import RemoveOptions
from .common import JobResult, Progress, _check_saved_masks, _MaskStats, _inpaint_transform, _rewrite, _saving


log = logging.getLogger(__name__)

ANONYMIZE_METHODS = ("inpaint", "blur", "pixelate")


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
    keep: float = 0.3,
    detect_scale: float = 1.0,
    hold: int = 3,
    max_gap: int = 8,
    both_cascades: bool = True,
    detector=None,
    classes: Sequence[str] | None = None,
    score: float = 0.25,
    options: RemoveOptions | None = None,
    save_masks: str | Path | None = None,
    encode: EncodeOptions | None = None,
    fps: float | None = None,
    overwrite: bool = False,
    progress: Progress | None = None,
) -> JobResult:
    """Hide faces, licence plates and/or text in every frame.

    Detection runs on every frame and is tracked over time (score hysteresis, gap filling, hold:
    see :mod:`vinpaint.masks.detectors.faces`), so a face missed by the detector in a frame is still hidden.

    Args:
        method: ``"blur"`` (Gaussian blur), ``"pixelate"`` (blocks) -- both change only the masked
            pixels -- or ``"inpaint"`` (the region is removed and filled from the surroundings).
        strength: blur sigma or block size in pixels; 0 = automatic (4 % / 3 % of the frame's
            longer side).
        margin: faces are covered by ellipses grown by this fraction of the box on each side
            (>= 0.21 contains the whole detection box); plates and text by rectangles grown by 0.1.
        confidence, keep, detect_scale, hold, max_gap: face detector and tracker settings, with the
            defaults of ``vinpaint mask faces`` (:func:`~vinpaint.masks.detectors.faces.face_boxes`);
            a ``confidence`` below ``keep`` lowers ``keep`` to it instead of failing.
        both_cascades: run both licence-plate cascades (:func:`~vinpaint.masks.detectors.plates.detect_plates`).
            True here, where a missed plate is a leak; ``vinpaint mask text`` runs one (False).
        Text and plates are tracked as ``vinpaint mask text`` does
        (:func:`~vinpaint.masks.detectors.text.text_boxes`).
        detector: a YOLO-style ONNX detector (a path or an :class:`~vinpaint.models.detect.OnnxDetector`)
            run on every frame; its boxes of ``classes`` (names or numbers; None = every class) scoring at
            least ``score`` are tracked with the faces' box tracker (same ``hold`` and ``max_gap``) and
            hidden as rectangles grown by 0.1.  Needs onnxruntime (``pip install 'vinpaint[onnx]'``).
        options: the fill for ``method="inpaint"``.
        save_masks: also write the masks as a folder (00000.png..., 255 = hidden).
    """
    from ..masks.boxes import iter_box_masks, track_boxes
    from ..masks.detectors.faces import detect_faces, track_faces
    from ..masks.detectors.text import detect_text_and_plates, track_text

    if method not in ANONYMIZE_METHODS:
        raise InvalidOptionError(f"unknown method {method!r}; choose one of: {', '.join(ANONYMIZE_METHODS)}")
    if not (faces or plates or text or detector is not None):
        raise InvalidOptionError("nothing to anonymize: choose at least one of faces, plates, text, a detector")
    if strength < 0:
        raise InvalidOptionError(f"strength must be >= 0 pixels (0 = automatic), got {strength}")
    if margin < 0:
        raise InvalidOptionError(f"margin must be >= 0, got {margin}")
    object_detector, class_ids = _load_detector(detector, classes, score)
    output = check_output(output_path, inputs=(input_path,), overwrite=overwrite)
    _check_saved_masks(save_masks, output, input_path, overwrite)
    source = open_video(input_path, fps=fps)
    info = source.info
    keep = min(keep, confidence)
    # one decoding pass for both detectors; the tracking is the same as face_boxes' and text_boxes'
    face_found, other_found, object_found = [], [], []
    for image in source.images():
        if faces:
            face_found.append(detect_faces(image, confidence=keep, scale=detect_scale))
        other_found.append(detect_text_and_plates(image, plates=plates, text=text, both_cascades=both_cascades))
        if object_detector is not None:
            object_found.append(_detection_rows(object_detector(image, classes=class_ids, score=score)))
    size = (info.height, info.width)
    count = len(other_found)
    face_boxes = (track_faces(face_found, size, confidence=confidence, keep=keep, max_gap=max_gap, hold=hold)
                  if faces else [np.zeros((0, 4), np.float32)] * count)
    other_boxes = track_text(other_found, size)
    object_boxes = (track_boxes(object_found, start=score, keep=score, max_gap=max_gap, hold=hold, frame_size=size)
                    if object_detector is not None else [np.zeros((0, 4), np.float32)] * count)

    def masks() -> Iterator[np.ndarray]:
        for face_mask, other_mask, object_mask in zip(iter_box_masks(face_boxes, size, margin=margin, shape="ellipse"),
                                                      iter_box_masks(other_boxes, size, margin=0.1, shape="rect"),
                                                      iter_box_masks(object_boxes, size, margin=0.1, shape="rect")):
            yield face_mask | other_mask | object_mask

    stats = _MaskStats()
    mask_iter = stats.watch(masks())
    if save_masks:
        mask_iter = _saving(mask_iter, save_masks, overwrite, input_path)
    if method == "inpaint":
        transform = _inpaint_transform(mask_iter, options, count)
    else:
        amount = strength or (0.04 if method == "blur" else 0.03) * max(size)
        transform = _hide_transform(mask_iter, method, amount)
    _rewrite(input_path, output, transform, encode=encode, fps=fps, overwrite=overwrite, progress=progress)
    log.info("anonymize: %d faces and %d detected objects tracked over %d frames", sum(len(b) for b in face_boxes),
             sum(len(b) for b in object_boxes), count)
    return JobResult(output, stats.frames, stats.fraction, Path(save_masks) if save_masks else None)


def _load_detector(detector, classes: Sequence[str] | None, score: float):
    """``(detector, class ids)`` for :func:`anonymize`: a path loaded as an ONNX detector, its class names resolved."""
    if detector is None:
        if classes:
            raise InvalidOptionError("classes need a detector model: give detector=MODEL.onnx (--detector)")
        return None, None
    if not 0 <= score <= 1:
        raise InvalidOptionError(f"detector score must be in [0, 1], got {score}")
    from ..models.detect import OnnxDetector

    if not isinstance(detector, OnnxDetector):
        detector = OnnxDetector(detector)
    names = [name for name in (classes or ()) if name.strip()]
    return detector, (detector.class_ids(names) if names else None)


def _detection_rows(found) -> np.ndarray:
    """Detections as ``(N,5)`` float32 rows ``(x, y, w, h, score)``, the box tracker's input."""
    rows = np.zeros((len(found), 5), np.float32)
    for row, detection in zip(rows, found):
        row[:4], row[4] = detection.box, detection.score
    return rows


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
    blocks = np.repeat(np.repeat(to_uint8(means), block, axis=0), block, axis=1)[:h, :w]
    return composite(frame, blocks, mask)


def _hide_transform(masks: Iterable[np.ndarray], method: str, amount: float):
    hide = blur_inside if method == "blur" else pixelate_inside

    def transform(images: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
        for image, mask in zip(images, masks, strict=True):
            yield hide(image, mask, amount)

    return transform
