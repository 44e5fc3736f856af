"""Licence plates and on-screen text (subtitles, captions, signs), with classical detectors only.

* **Plates**: Viola-Jones boosted Haar cascades (Viola & Jones, CVPR 2001) trained on plates, as
  shipped in OpenCV 4.x wheels (``haarcascade_russian_plate_number.xml``, and
  ``haarcascade_license_plate_rus_16stages.xml`` as a second opinion).  They were trained on
  European/Russian-format plates; other formats are found less reliably.
* **Text**: maximally stable extremal regions (MSER, Matas et al. BMVC 2002) as character candidates,
  kept when they look like glyphs -- size, aspect, fill ratio and a stroke width that is nearly
  constant (the cue of Epshtein et al.'s stroke width transform, CVPR 2010, measured here with a
  distance transform) -- then grouped into lines (similar heights, shared baseline, small gaps), as in
  Neumann & Matas (ACCV 2010).  A line needs ``min_chars`` characters.

Over a video the per-frame boxes are linked with :func:`vinpaint.masks.boxes.track_boxes` (gap filling
and hold), so a caption missed in one frame is still covered.

Convention: boxes ``(N,4)`` float32 ``(x, y, w, h)`` in pixels; frames ``(T,H,W,3)`` uint8 RGB; masks
``(T,H,W)`` bool (see :mod:`vinpaint.arrays`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import cv2
import numpy as np

from ...arrays import to_gray
from ...errors import InvalidOptionError
from .. import MASK_SOURCES
from ..source import Progress, frame_stream
from ..boxes import iter_box_masks, render_boxes, track_boxes
from .plates import detect_plates


log = logging.getLogger(__name__)


def detect_text(
    frame: np.ndarray,
    *,
    min_height: int = 8,
    max_height: int | None = None,
    min_chars: int = 4,
    max_stroke_variation: float = 0.6,
    min_contrast: float = 40.0,
) -> np.ndarray:
    """Lines of text (subtitles, captions, signs) in one frame.

    Shape: frame ``(H,W,3)`` uint8 RGB; returns ``(N,4)`` float32 line boxes ``(x, y, w, h)``.

    Args:
        min_height, max_height: character heights searched (pixels; default up to a fifth of the frame).
        min_chars: characters a line needs (fewer = more false alarms on texture).
        max_stroke_variation: largest std/mean of a glyph's stroke width (text strokes are even).
        min_contrast: least difference (grey levels) between a glyph and the ring around it; text is
            drawn to be read, foliage and texture are not.
    """
    if min_height < 3 or min_chars < 1:
        raise InvalidOptionError(f"need min_height >= 3 and min_chars >= 1, got {min_height} and {min_chars}")
    h, w = frame.shape[:2]
    max_height = max_height or max(min_height + 1, h // 5)
    gray = to_gray(frame)
    mser = cv2.MSER_create(5, max(8, min_height * 2), int(max_height * max_height * 1.5))
    regions, boxes = mser.detectRegions(gray)
    chars = []
    seen = set()
    for points, (x, y, bw, bh) in zip(regions, boxes):
        key = (int(x), int(y), int(bw), int(bh))
        if key in seen or not min_height <= bh <= max_height or not 0.1 <= bw / bh <= 1.6:
            continue
        seen.add(key)
        fill = len(points) / float(bw * bh)
        if not 0.15 <= fill <= 0.9:
            continue
        glyph = np.zeros((bh + 2, bw + 2), np.uint8)
        glyph[points[:, 1] - y + 1, points[:, 0] - x + 1] = 1
        if _stroke_variation(glyph) > max_stroke_variation:
            continue
        polarity = _contrast(gray, glyph, x - 1, y - 1)
        if abs(polarity) < min_contrast:
            continue
        chars.append((*key, 1 if polarity > 0 else -1))
    lines = _group_lines(chars, min_chars)
    log.debug("text: %d MSER regions, %d glyph-like, %d lines", len(regions), len(chars), len(lines))
    return np.asarray(lines, np.float32).reshape(-1, 4)


def _stroke_variation(glyph: np.ndarray) -> float:
    """std/mean of the stroke width along the glyph's medial ridge (distance-transform maxima)."""
    distance = cv2.distanceTransform(glyph, cv2.DIST_L2, 3)
    ridge = (distance >= cv2.dilate(distance, np.ones((3, 3), np.uint8))) & (glyph > 0)
    widths = distance[ridge]
    if widths.size < 3:
        return 0.0
    return float(widths.std() / max(widths.mean(), 1e-6))


def _contrast(gray: np.ndarray, glyph: np.ndarray, x0: int, y0: int) -> float:
    """Mean grey level of a glyph minus that of a 2-pixel ring around it (> 0: bright text)."""
    pad = 3
    h, w = gray.shape
    big = np.zeros((glyph.shape[0] + 2 * pad, glyph.shape[1] + 2 * pad), np.uint8)
    big[pad:-pad, pad:-pad] = glyph
    ring = (cv2.dilate(big, np.ones((5, 5), np.uint8)) > 0) & (big == 0)
    ys, xs = np.nonzero(big)
    ry, rx = np.nonzero(ring)
    oy, ox = y0 - pad, x0 - pad
    inside = (ry + oy >= 0) & (ry + oy < h) & (rx + ox >= 0) & (rx + ox < w)
    if not inside.any():
        return 0.0
    glyph_mean = gray[np.clip(ys + oy, 0, h - 1), np.clip(xs + ox, 0, w - 1)].mean()
    return float(glyph_mean - gray[ry[inside] + oy, rx[inside] + ox].mean())


def _group_lines(chars: list[tuple[int, int, int, int, int]], min_chars: int) -> list[tuple[float, float, float, float]]:
    """Union-find of glyph boxes of one polarity on the same baseline with similar heights and small gaps."""
    chars = _drop_nested(chars)
    parent = list(range(len(chars)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    order = sorted(range(len(chars)), key=lambda i: chars[i][0])
    for a_pos, i in enumerate(order):
        xi, yi, wi, hi, pi = chars[i]
        for j in order[a_pos + 1 :]:
            xj, yj, wj, hj, pj = chars[j]
            if xj - (xi + wi) > 1.2 * max(hi, hj):
                break
            similar = max(hi, hj) / min(hi, hj) < 1.8
            aligned = abs((yi + hi / 2) - (yj + hj / 2)) < 0.5 * max(hi, hj)
            if similar and aligned and pi == pj:
                parent[root(j)] = root(i)
    groups: dict[int, list[int]] = {}
    for i in range(len(chars)):
        groups.setdefault(root(i), []).append(i)
    lines = []
    for members in groups.values():
        if len(members) < min_chars:
            continue
        boxes = np.asarray([chars[i][:4] for i in members], np.float32)
        lines.extend(_split_line(boxes, min_chars))
    return lines


def _split_line(boxes: np.ndarray, min_chars: int) -> list[tuple[float, float, float, float]]:
    """Prune a chained group to the glyphs of its dominant height and baseline, split it at wide gaps."""
    height = float(np.median(boxes[:, 3]))
    centre = float(np.median(boxes[:, 1] + boxes[:, 3] / 2))
    fits = ((boxes[:, 3] >= 0.6 * height) & (boxes[:, 3] <= 1.5 * height)
            & (np.abs(boxes[:, 1] + boxes[:, 3] / 2 - centre) < 0.4 * height))
    boxes = boxes[fits]
    boxes = boxes[np.argsort(boxes[:, 0])]
    lines, start, right = [], 0, -np.inf
    for i in range(len(boxes) + 1):
        if i == len(boxes) or (i > start and boxes[i, 0] - right > 1.5 * height):
            segment = boxes[start:i]
            if len(segment) >= min_chars:
                x0, y0 = segment[:, 0].min(), segment[:, 1].min()
                x1, y1 = (segment[:, 0] + segment[:, 2]).max(), (segment[:, 1] + segment[:, 3]).max()
                # A line is wider than tall, and its glyphs share a height (texture blobs vary).
                if x1 - x0 >= 2.0 * (y1 - y0) and segment[:, 3].std() <= 0.3 * segment[:, 3].mean():
                    lines.append((float(x0), float(y0), float(x1 - x0), float(y1 - y0)))
            start, right = i, -np.inf
        if i < len(boxes):
            right = max(right, boxes[i, 0] + boxes[i, 2])
    return lines


def _drop_nested(chars: list[tuple[int, int, int, int, int]]) -> list[tuple[int, int, int, int, int]]:
    """MSER nests regions (a glyph inside its halo): keep the outermost box of each nest and polarity."""
    chars = sorted(set(chars), key=lambda b: -b[2] * b[3])
    kept: list[tuple[int, int, int, int, int]] = []
    for x, y, w, h, p in chars:
        inside = any(p == kp and x >= kx and y >= ky and x + w <= kx + kw and y + h <= ky + kh
                     for kx, ky, kw, kh, kp in kept)
        if not inside:
            kept.append((x, y, w, h, p))
    return kept


def text_boxes(
    frames: Iterable[np.ndarray],
    *,
    plates: bool = True,
    text: bool = True,
    max_gap: int = 4,
    hold: int = 2,
    **options,
) -> list[np.ndarray]:
    """Detect plates and/or text lines over a stream of frames and track them; ``(M,4)`` boxes per frame.

    ``options`` go to :func:`detect_text` (``min_height``, ``min_chars``...) or :func:`detect_plates`
    (``min_neighbors``, ``min_width``, ``both_cascades``).
    """
    if not (plates or text):
        raise InvalidOptionError("choose plates, text or both")
    _check_text_options(options)
    detections = []
    size = None
    for frame in frames:
        size = frame.shape[:2]
        detections.append(detect_text_and_plates(frame, plates=plates, text=text, **options))
    return track_text(detections, size, max_gap=max_gap, hold=hold)


_PLATE_KEYS = {"min_neighbors", "min_width", "both_cascades"}
_TEXT_KEYS = {"min_height", "max_height", "min_chars", "max_stroke_variation", "min_contrast"}


def _check_text_options(options: dict) -> None:
    unknown = set(options) - _PLATE_KEYS - _TEXT_KEYS
    if unknown:
        raise InvalidOptionError(f"unknown text/plate option(s) {', '.join(sorted(unknown))}; "
                                 f"valid: {', '.join(sorted(_PLATE_KEYS | _TEXT_KEYS))}")


def detect_text_and_plates(frame: np.ndarray, *, plates: bool = True, text: bool = True, **options) -> np.ndarray:
    """The detection half of :func:`text_boxes` on one frame.

    Shape: frame ``(H,W,3)`` uint8 RGB; returns ``(N,5)`` float32: the detectors' boxes with a score of 1
    appended (they give no score).  With neither kind asked for, no boxes.
    """
    _check_text_options(options)
    found = [np.zeros((0, 4), np.float32)]
    if plates:
        found.append(detect_plates(frame, **{k: v for k, v in options.items() if k in _PLATE_KEYS}))
    if text:
        found.append(detect_text(frame, **{k: v for k, v in options.items() if k in _TEXT_KEYS}))
    boxes = np.concatenate(found)
    return np.concatenate([boxes, np.ones((len(boxes), 1), np.float32)], axis=1)


def track_text(detections: list[np.ndarray], frame_size: tuple[int, int] | None, *, max_gap: int = 4,
               hold: int = 2) -> list[np.ndarray]:
    """The tracking half of :func:`text_boxes`: ``(N,5)`` detections per frame -> ``(M,4)`` boxes per frame.

    Every detection starts a track (score 1); boxes overlapping by IoU >= 0.3 are the same object.
    """
    return track_boxes(detections, start=1.0, keep=0.0, max_gap=max_gap, hold=hold, min_iou=0.3, frame_size=frame_size)


@MASK_SOURCES.register("text")
def text_masks(
    frames: np.ndarray,
    *,
    plates: bool = True,
    text: bool = True,
    margin: float = 0.1,
    max_gap: int = 4,
    hold: int = 2,
    progress: Progress | None = None,
    **options,
) -> np.ndarray:
    """Licence plates (Haar cascades) and text lines (MSER + stroke width + line grouping), tracked.

    Shape: frames ``(T,H,W,3)`` uint8 RGB, or an iterable of ``(H,W,3)`` frames read one at a time;
    returns ``(T,H,W)`` bool, the boxes grown by ``margin``.
    """
    size, frames = frame_stream(frames)
    render_boxes(np.zeros((0, 4)), (1, 1), margin=margin)
    boxes = text_boxes(frames, plates=plates, text=text, max_gap=max_gap, hold=hold, **options)
    masks = np.stack(list(iter_box_masks(boxes, size, margin=margin, shape="rect")))
    if progress:
        progress(len(masks), len(masks))
    return masks
