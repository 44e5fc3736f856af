"""Static overlays (logos, timestamps, channel bugs, captions that stay put) found from what stays constant.

Dekel et al., "On the Effectiveness of Visible Watermarks", CVPR 2017: a watermark composited onto
many different images is the only structure whose *gradients* are the same in all of them, so the
per-pixel median of the image gradients over a collection keeps the watermark's edges and averages
the content's edges away.  Here the collection is a video whose content moves (camera pan, moving
objects, cuts): frames are sampled across the whole clip, so a long video costs ``samples`` decoded
frames of memory, not its length.

Steps (:func:`find_watermark`):

1. ``gx, gy`` = median over the sampled frames of the forward differences of each colour channel.
2. Edge mask: pixels whose median gradient magnitude is far above its robust noise level.
3. Reconstruction (Dekel et al. Sec. 3.1): integrate the median gradients inside the dilated edge
   region by solving the Poisson equation ``Δu = div(gx, gy)`` with ``u = 0`` around it (a discrete
   sine transform solve), which gives the overlay's contrast against the average content, pixel by
   pixel: large inside a logo or a stroke of text, about 0 beside it.
4. Mask: ``|u|`` thresholded per connected region (Otsu, Otsu 1979), holes smaller than
   ``max_hole`` filled, specks removed.
5. Scenery test (the alpha-blend relation ``I_t = (1 - a) B_t + a C``): an overlay of opacity ``a``
   varies ``1 - a`` times as much over time as the scene under it (:func:`temporal_damping`); a found
   piece that varies like the scene around it is a scene edge that stayed put, and is dropped.

Static shots: when most of the scene's strong edges are constant (:func:`static_scene_share`, a
static camera), steps 1-4 cannot tell overlay from scenery, and :func:`find_static_overlay` finds
the overlays from the damping alone, grouped, with sharp edges, at the opacity each group shows.
The damping needs the scene to vary a little over time (sensor or compression noise, moving people).

Shot cuts: nothing is averaged across a cut.  :func:`find_watermark_by_shot` (files) and the
registered ``watermark`` mask source (arrays) cut the clip into shots (:mod:`vinpaint.io.shots`: found,
read from a file, or none) and find each shot's overlay from that shot's frames alone, so a logo shown
in one shot is masked there only.  Measured on two 96x160 shots of different textures with a 50 %
white logo in the second only (``tests/masks/detectors/test_watermark_shots.py``): one median over the
whole clip found nothing when the shots were 24 and 24 frames long, and found the logo and masked it
in the first shot too when they were 12 and 36.  Per shot, the logo is found in its shot (IoU > 0.9)
and nothing in the other.

Convention: frames ``(T,H,W,3)`` uint8 RGB; the result is one ``(H,W)`` bool mask (True = overlay),
see :mod:`vinpaint.arrays`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from scipy import fft, ndimage

from ...arrays import check_frames
from ...errors import InvalidOptionError, UnreadableInputError
from ...io.shots import CutDetector, cuts_for_option, detect_cuts, shot_spans
from .. import MASK_SOURCES
from ..source import Progress
from ..postprocess import remove_small_components

log = logging.getLogger(__name__)

#: share of constant strong edges above which a clip is treated as a static shot (measured: 0.88 on
#: schoolgirls, 0.01-0.15 on the panning clips bear, tennis, bmx-trees)
STATIC_SCENE_SHARE = 0.5
#: a found piece whose pixels vary more than this share of the scene around them is scenery
UNDAMPED_RATIO = 0.85
#: frames a shot needs for its overlay to be looked for (:func:`find_watermark`'s least)
MIN_SHOT_FRAMES = 3


def sample_frames(path: str | Path, count: int, *, fps: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Decode ``count`` frames evenly spaced over a video (streaming: only those frames are kept).

    Returns:
        ``(frames, indices)``: ``(N,H,W,3)`` uint8 RGB and the ``(N,)`` frame indices they come from,
        ``N = min(count, frame_count)``.
    """
    from ...io import open_video

    if count < 1:
        raise InvalidOptionError(f"the number of sampled frames must be >= 1, got {count}")
    source = open_video(path, fps=fps)
    total = source.info.frame_count
    wanted = np.unique(np.linspace(0, max(total - 1, 0), min(count, max(total, 1))).round().astype(int))
    keep = set(wanted.tolist())
    frames, indices = [], []
    for index, image in enumerate(source.images()):
        if index in keep:
            frames.append(image)
            indices.append(index)
        if index >= wanted[-1]:
            break
    if not frames:
        raise UnreadableInputError(f"{path} has no frames")
    return np.stack(frames), np.asarray(indices)


def median_gradients(frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-pixel median over time of the forward differences of each channel (Dekel et al. Eq. 2).

    Shape: frames ``(T,H,W,3)`` uint8; returns ``(gx, gy)``, each ``(H,W,3)`` float32, where
    ``gx[y, x] = median_t(I_t[y, x+1] - I_t[y, x])`` (0 in the last column; ``gy`` likewise by rows).
    """
    gx, gy, _ = gradient_statistics(frames)
    return gx, gy


def gradient_statistics(frames: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`median_gradients` plus the median over time of the gradient *magnitude*.

    ``|median(g)| / median(|g|)`` is the edge consistency: about 1 where the same edge is in every
    frame (an overlay), well below 1 where the content's edges only partly agree.

    Shape: frames ``(T,H,W,3)`` uint8; returns ``gx, gy`` ``(H,W,3)`` and ``magnitude`` ``(H,W)``, float32.
    """
    frames = check_frames(frames)
    t, h, w, c = frames.shape
    gx = np.zeros((h, w, c), np.float32)
    gy = np.zeros((h, w, c), np.float32)
    magnitude = np.zeros((h, w), np.float32)
    # Row blocks bound the temporary (T, rows, W, 3) float32 arrays on long sample lists.
    step = max(1, int(2**23 // max(1, t * w * c)))
    for y0 in range(0, h, step):
        y1 = min(h, y0 + step)
        block = frames[:, y0 : min(h, y1 + 1)].astype(np.float32)
        dx = np.zeros((t, y1 - y0, w, c), np.float32)
        dx[:, :, :-1] = block[:, : y1 - y0, 1:] - block[:, : y1 - y0, :-1]
        dy = np.zeros_like(dx)
        rows = block.shape[1] - 1
        dy[:, :rows] = block[:, 1:] - block[:, :-1]
        gx[y0:y1] = np.median(dx, axis=0)
        gy[y0:y1] = np.median(dy, axis=0)
        magnitude[y0:y1] = np.median(np.sqrt((dx**2 + dy**2).sum(-1)), axis=0)
    return gx, gy, magnitude


def integrate_gradients(gx: np.ndarray, gy: np.ndarray) -> np.ndarray:
    """Solve ``Δu = div(gx, gy)`` on the whole image with ``u = 0`` outside it (DST-I Poisson solve).

    The gradient field should be zero away from the structure to integrate (the caller zeroes it
    outside the overlay's neighbourhood), so the zero boundary costs nothing.

    Shape: gx, gy ``(H,W)`` or ``(H,W,C)`` float; returns float64 of the same shape.
    """
    gx = np.asarray(gx, np.float64)
    gy = np.asarray(gy, np.float64)
    div = gx.copy()
    div[:, 1:] -= gx[:, :-1]
    div += gy
    div[1:] -= gy[:-1]
    h, w = div.shape[:2]
    coeff = fft.dstn(div, type=1, axes=(0, 1))
    ky = 2 * np.cos(np.pi * np.arange(1, h + 1) / (h + 1)) - 2
    kx = 2 * np.cos(np.pi * np.arange(1, w + 1) / (w + 1)) - 2
    denominator = ky[:, None] + kx[None, :]
    if coeff.ndim == 3:
        denominator = denominator[..., None]
    return fft.idstn(coeff / denominator, type=1, axes=(0, 1))


def find_watermark(
    frames: np.ndarray,
    *,
    edge_threshold: float = 6.0,
    sensitivity: float = 8.0,
    min_consistency: float = 0.6,
    min_area: int = 64,
    max_hole: int = 64,
) -> np.ndarray:
    """The pixels of a static overlay, from frames sampled across a clip whose content moves.

    Shape: frames ``(N,H,W,3)`` uint8 RGB, ``N >= 3`` (30-60 frames spread over the clip work best);
    returns ``(H,W)`` bool, True = overlay.

    Args:
        edge_threshold: least median gradient (grey levels per pixel) that counts as an overlay edge.
        sensitivity: an edge must also exceed this many robust standard deviations of the median
            gradient's background (the content that did not average away).
        min_consistency: least edge consistency ``|median(g)| / median(|g|)`` of a candidate overlay
            (1 = the same edge in every frame); content edges that only partly agree score 0.2-0.5.
        min_area: drop overlays (groups of nearby pieces, like the characters of a timestamp)
            smaller than this (pixels).
        max_hole: fill enclosed holes up to this area (pixels) -- the inside of an "o" or a ring.
    """
    frames = check_frames(frames)
    if len(frames) < 3:
        raise InvalidOptionError(f"watermark detection needs at least 3 frames, got {len(frames)}")
    if edge_threshold <= 0 or sensitivity <= 0:
        raise InvalidOptionError(f"edge_threshold and sensitivity must be > 0, got {edge_threshold} and {sensitivity}")
    if not 0 <= min_consistency <= 1:
        raise InvalidOptionError(f"min_consistency must be in [0, 1], got {min_consistency}")
    h, w = frames.shape[1:3]
    gx, gy, typical = gradient_statistics(frames)
    magnitude = np.sqrt((gx**2 + gy**2).sum(-1))
    consistency = magnitude / np.maximum(typical, 1.0)
    raw = magnitude
    # Each edge shows up on the pixels on either side of it.
    magnitude = np.maximum(magnitude, np.roll(magnitude, 1, axis=1))
    magnitude = np.maximum(magnitude, np.roll(magnitude, 1, axis=0))
    still = static_scene_share(consistency, typical)
    if still >= STATIC_SCENE_SHARE:
        log.warning("watermark: %.0f%% of the strong edges stay put (a still camera): overlays are found only from how "
                    "much less they vary than the scene, which can miss parts of a faint one; check the mask "
                    "(--save-mask); if it is incomplete, correct it and run vinpaint remove --mask", 100 * still)
        return find_static_overlay(frames, magnitude, edge_threshold=edge_threshold, min_area=min_area)
    noise = 1.4826 * np.median(np.abs(magnitude - np.median(magnitude)))
    threshold = max(edge_threshold, np.median(magnitude) + sensitivity * noise)
    edges = remove_small_components(magnitude > threshold, 4)
    log.debug("watermark: median-gradient threshold %.1f, %d edge pixels", threshold, int(edges.sum()))
    mask = np.zeros((h, w), bool)
    if not edges.any():
        return mask
    # Group edges into candidate overlays; keep those whose edges are the same in (nearly) every frame.
    labels, count = ndimage.label(cv2.dilate(edges.astype(np.uint8), np.ones((9, 9), np.uint8)))
    keep = np.zeros(count + 1, bool)
    for index, region in enumerate(ndimage.find_objects(labels), start=1):
        on_edges = (labels[region] == index) & edges[region] & (raw[region] > threshold)
        if not on_edges.any():
            continue
        score = float(np.median(consistency[region][on_edges]))
        keep[index] = score >= min_consistency
        log.debug("watermark: candidate at %s, consistency %.2f%s", region, score, "" if keep[index] else " (dropped)")
    edges &= keep[labels]
    if not edges.any():
        return mask
    # Integrate the gradients near the kept edges only (the rest is content that did not average away).
    support = cv2.dilate(edges.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    support = ndimage.binary_fill_holes(support)
    contrast = integrate_gradients(gx * support[..., None], gy * support[..., None])
    strength = np.sqrt((contrast**2).sum(-1))
    labels, count = ndimage.label(cv2.dilate(support.astype(np.uint8), np.ones((9, 9), np.uint8)))
    for index, region in enumerate(ndimage.find_objects(labels), start=1):
        inside = labels[region] == index
        values = strength[region][inside]
        if values.max() < edge_threshold:
            continue
        found = inside & (strength[region] > _otsu(values))
        if found.sum() >= min_area:
            mask[region] |= found
    mask = _drop_undamped(frames, mask)
    mask = _fill_small_holes(mask, max_hole)
    if mask.mean() > 0.25:
        log.warning("the watermark mask covers %.0f%% of the frame: the content probably does not move enough "
                    "for a static overlay to stand out (static camera on a static scene)", 100 * mask.mean())
    return mask


def static_scene_share(consistency: np.ndarray, typical: np.ndarray) -> float:
    """The share of the scene's strong edges (median gradient magnitude over 20) that are the same in
    (nearly) every frame (consistency over 0.8): about 0.9 for a static camera on a mostly still scene,
    0.01-0.15 on the panning shared clips.  Shape: both ``(H,W)``."""
    strong = typical > 20
    return float((consistency[strong] > 0.8).mean()) if strong.any() else 1.0


def temporal_damping(frames: np.ndarray, *, window: int = 31) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """How much less each pixel varies over time than the scene around it: the alpha-blend cue.

    An overlay of opacity ``a`` composited over content ``B_t``, ``I_t = (1 - a) B_t + a C``, varies
    ``(1 - a)`` times as much as the content under it, whatever makes the content vary (sensor and
    compression noise on a static shot, people or a camera moving).  The ratio is the pixel's
    temporal standard deviation over the median of its neighbours' (``window`` px square; each capped
    at 1.5x the frame's median so that moving people beside a still pixel do not make it look damped).

    Shape: frames ``(T,H,W,3)`` uint8; returns ``(ratio, measurable, clipped)``, ``(H,W)`` float32,
    bool, bool: the ratio is about 1 on the scene and ``1 - a`` under an overlay; it is not
    measurable where the neighbourhood barely varies (under half a grey level); ``clipped`` pixels
    are at 0 or 255 in every channel on average, and vary little whatever covers them.
    """
    frames = check_frames(frames)
    spread = np.zeros(frames.shape[1:3], np.float64)
    mean = np.zeros(frames.shape[1:], np.float64)
    for channel in range(3):
        values = frames[..., channel].astype(np.float32)
        spread += values.std(0)
        mean[..., channel] = values.mean(0)
    spread = (spread / 3).astype(np.float32)
    reference = ndimage.median_filter(np.minimum(spread, 1.5 * float(np.median(spread))), size=window)
    ratio = spread / np.maximum(reference, 1e-3)
    clipped = (mean.min(-1) >= 250) | (mean.max(-1) <= 5)
    return ratio, (reference >= 0.5), clipped


def find_static_overlay(
    frames: np.ndarray,
    edge_magnitude: np.ndarray,
    *,
    edge_threshold: float = 6.0,
    min_area: int = 64,
    candidate_ratio: float = 0.75,
    seed_ratio: float = 0.6,
    coverage: float = 0.5,
) -> np.ndarray:
    """Overlays on a static shot, where every scene edge is constant too: found by :func:`temporal_damping`.

    Candidates are pixels varying under ``candidate_ratio`` times their neighbourhood, grouped when
    within 2 px.  A group is an overlay when it has at least ``min_area`` pixels, at least half of them
    damped under ``seed_ratio`` (an overlay is damped by its constant opacity, a scene pixel only by
    chance), and at least 30 % of them on a constant edge (median gradient over ``edge_threshold``: text
    and logos have sharp outlines).  Its opacity ``a`` is ``1 -`` the group's median ratio, and its
    pixels are those within 1 px of the group whose ratio is under ``1 - coverage * a`` (the ones at
    least ``coverage`` covered, for a uniform overlay).

    Shape: frames ``(T,H,W,3)`` uint8, edge_magnitude ``(H,W)``; returns ``(H,W)`` bool.
    """
    ratio, measurable, clipped = temporal_damping(frames)
    candidates = (ratio < candidate_ratio) & measurable & ~(clipped & (edge_magnitude < edge_threshold))
    candidates = cv2.morphologyEx(candidates.astype(np.uint8), cv2.MORPH_OPEN, np.ones((2, 2), np.uint8)) > 0
    groups, _ = ndimage.label(cv2.dilate(candidates.astype(np.uint8), np.ones((5, 5), np.uint8)))
    mask = np.zeros(candidates.shape, bool)
    for index, region in enumerate(ndimage.find_objects(groups), start=1):
        group = (groups[region] == index) & candidates[region]
        if group.sum() < min_area:
            continue
        deep = float((ratio[region][group] < seed_ratio).mean())
        sharp = float((edge_magnitude[region][group] > edge_threshold).mean())
        if deep < 0.5 or sharp < 0.3:
            continue
        opacity = 1 - float(np.median(ratio[region][group]))
        near = cv2.dilate(group.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
        mask[region] |= near & (ratio[region] < 1 - coverage * opacity)
        log.debug("watermark: static overlay at %s, opacity %.2f", region, opacity)
    return remove_small_components(mask, 4)


def find_watermark_in_file(path: str | Path, *, samples: int = 48, fps: float | None = None, **options) -> np.ndarray:
    """:func:`find_watermark` on ``samples`` frames spread over a video file or frame folder, as one shot.

    Returns ``(H,W)`` bool.  ``options`` are those of :func:`find_watermark`.  A clip with shot cuts
    needs :func:`find_watermark_by_shot`: one median across shots misses a logo shown in one of them,
    or masks it in all.
    """
    frames, _ = sample_frames(path, samples, fps=fps)
    if len(frames) < 3:
        raise InvalidOptionError(f"{path} has {len(frames)} frames; watermark detection needs at least 3")
    return find_watermark(frames, **options)


@dataclass(frozen=True)
class ShotOverlay:
    """The overlay of one shot: frames ``first``..``stop - 1`` all take ``mask``, ``(H,W)`` bool (True = overlay)."""

    first: int
    stop: int
    mask: np.ndarray


def find_watermark_by_shot(path: str | Path, *, samples: int = 48, fps: float | None = None,
                           shots: str | Sequence[int] = "auto", **options) -> list[ShotOverlay]:
    """:func:`find_watermark` on each shot of a video file or frame folder, from that shot's frames alone.

    Args:
        samples: frames spread over each shot that its overlay is found from (all of a shorter shot).
        shots: ``"auto"`` (cuts found by :class:`vinpaint.io.shots.CutDetector`), ``"none"`` (one
            shot), a text file of cut frames, or the cut frames themselves; as ``RemoveOptions.shots``.
        options: those of :func:`find_watermark`.

    Returns: one :class:`ShotOverlay` a shot, in order, covering every frame.  A shot under
    :data:`MIN_SHOT_FRAMES` frames gets an empty mask (and a warning).  Decoding: one pass, and a
    second only when ``"auto"`` finds a cut; a shot's samples are held, never the clip.  A clip of
    one shot gets exactly :func:`find_watermark_in_file`'s mask.

    Raises:
        InvalidOptionError: ``samples`` below 1, a bad shots file.  UnreadableInputError: no frames.
    """
    from ...io import open_video

    if samples < 1:
        raise InvalidOptionError(f"the number of sampled frames must be >= 1, got {samples}")
    total = open_video(path, fps=fps).info.frame_count
    cuts = _cuts_of(shots, total)
    if cuts is None:
        cuts, whole, total = _detect_cuts_and_sample(path, samples, fps=fps)
        if not cuts:
            return [_shot_overlay(0, total, whole, options)]
        log.info("watermark: %d shot cut(s) found at %s; each shot's overlay is found on its own", len(cuts), cuts)
    spans = shot_spans(cuts, total)
    picks = [set(_spread(start, stop, samples).tolist()) for start, stop in spans]
    overlays: list[ShotOverlay] = []
    kept: list[np.ndarray] = []
    shot, index = 0, -1
    for index, image in enumerate(open_video(path, fps=fps).images()):
        if index >= spans[-1][1]:
            break
        if index in picks[shot]:
            kept.append(image)
        if index == spans[shot][1] - 1:
            overlays.append(_shot_overlay(*spans[shot], kept, options))
            kept, shot = [], shot + 1
    else:  # fewer frames than the header said: the shot being read ends with the clip
        if shot < len(spans) and index >= spans[shot][0]:
            overlays.append(_shot_overlay(spans[shot][0], index + 1, kept, options))
    if not overlays:
        raise UnreadableInputError(f"{path} has no frames")
    if overlays[-1].stop < MIN_SHOT_FRAMES:
        raise InvalidOptionError(f"{path} has {overlays[-1].stop} frames; watermark detection needs at least 3")
    return overlays


def overlay_masks(overlays: Iterable[ShotOverlay]) -> Iterator[np.ndarray]:
    """Each frame's ``(H,W)`` bool mask, in order, from :func:`find_watermark_by_shot`'s overlays (streamed)."""
    for overlay in overlays:
        for _ in range(overlay.stop - overlay.first):
            yield overlay.mask


def _spread(start: int, stop: int, samples: int) -> np.ndarray:
    """Up to ``samples`` frame indices evenly spread over ``start``..``stop - 1`` (as :func:`sample_frames`)."""
    count = stop - start
    return np.unique(np.linspace(start, max(stop - 1, start), min(samples, max(count, 1))).round().astype(int))


def _cuts_of(shots: str | Sequence[int], frame_count: int) -> list[int] | None:
    """The cuts ``shots`` names (None: to be found); see :func:`find_watermark_by_shot`."""
    if isinstance(shots, str):
        return cuts_for_option(shots, frame_count=frame_count)
    return sorted({int(cut) for cut in shots if 0 < int(cut) < frame_count})


def _detect_cuts_and_sample(path, samples: int, *, fps: float | None) -> tuple[list[int], np.ndarray, int]:
    """One pass: the clip's cuts, the frames :func:`sample_frames` would pick (for a clip of one shot)
    and the frame count.  Shape: the samples ``(N,H,W,3)`` uint8."""
    from ...io import open_video

    source = open_video(path, fps=fps)
    picks = set(_spread(0, source.info.frame_count, samples).tolist())
    detector = CutDetector()
    kept, count = [], 0
    for index, image in enumerate(source.images()):
        detector.push(image)
        if index in picks:
            kept.append(image)
        count = index + 1
    detector.finish()
    if not kept:
        raise UnreadableInputError(f"{path} has no frames")
    return list(detector.cuts), np.stack(kept), count


def _shot_overlay(first: int, stop: int, frames, options: dict) -> ShotOverlay:
    """The overlay of the shot ``first``..``stop - 1`` from its sampled ``frames`` (a non-empty list or ``(N,H,W,3)``)."""
    frames = list(frames)
    if len(frames) < MIN_SHOT_FRAMES:
        log.warning("watermark: the shot of frames %d-%d has %d frame(s), under the %d an overlay is found from; "
                    "no mask there", first, stop - 1, len(frames), MIN_SHOT_FRAMES)
        return ShotOverlay(first, stop, np.zeros(frames[0].shape[:2], bool))
    mask = find_watermark(np.stack(frames), **options)
    log.debug("watermark: frames %d-%d: %d overlay pixels from %d samples", first, stop - 1, int(mask.sum()), len(frames))
    return ShotOverlay(first, stop, mask)


@MASK_SOURCES.register("watermark")
def watermark_masks(frames: np.ndarray, *, samples: int = 48, shots: str | Sequence[int] = "auto",
                    progress: Progress | None = None, **options) -> np.ndarray:
    """Static overlays (logos, timestamps) from the median gradient over time (Dekel et al. CVPR 2017), per shot.

    ``shots``: as :func:`find_watermark_by_shot`'s; each shot's overlay is found from ``samples`` of
    its own frames, and a shot under :data:`MIN_SHOT_FRAMES` frames gets none.

    Shape: frames ``(T,H,W,3)`` uint8; returns ``(T,H,W)`` bool, one mask repeated over each shot.
    """
    frames = check_frames(frames)
    if len(frames) < MIN_SHOT_FRAMES:
        raise InvalidOptionError(f"watermark detection needs at least 3 frames, got {len(frames)}")
    cuts = _cuts_of(shots, len(frames))
    if cuts is None:
        cuts = detect_cuts(frames)
    masks = np.empty(frames.shape[:3], bool)
    for start, stop in shot_spans(cuts, len(frames)):
        masks[start:stop] = _shot_overlay(start, stop, frames[_spread(start, stop, samples)], options).mask
    if progress:
        progress(len(frames), len(frames))
    return masks


def _drop_undamped(frames: np.ndarray, mask: np.ndarray, *, most: float = UNDAMPED_RATIO) -> np.ndarray:
    """``mask`` without the groups (pieces within 4 px) that vary as much as the scene around them
    (median :func:`temporal_damping` ratio over ``most``): scene edges that stayed put, not overlays.
    Groups where the ratio cannot be measured are kept."""
    if not mask.any():
        return mask
    ratio, measurable, _ = temporal_damping(frames)
    labels, _ = ndimage.label(cv2.dilate(mask.astype(np.uint8), np.ones((9, 9), np.uint8)))
    for index, region in enumerate(ndimage.find_objects(labels), start=1):
        group = (labels[region] == index) & mask[region]
        usable = group & measurable[region]
        if usable.sum() >= 0.5 * group.sum() and float(np.median(ratio[region][usable])) > most:
            log.debug("watermark: candidate at %s varies like the scene around it (dropped)", region)
            mask[region] &= ~group
    return mask


def _otsu(values: np.ndarray) -> float:
    top = float(values.max())
    if top <= 0:
        return 0.0
    scaled = np.clip(values / top * 255, 0, 255).astype(np.uint8)
    level, _ = cv2.threshold(scaled.reshape(-1, 1), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return float(level) / 255 * top


def _fill_small_holes(mask: np.ndarray, max_hole: int) -> np.ndarray:
    holes = ndimage.binary_fill_holes(mask) & ~mask
    if not holes.any():
        return mask
    count, labels, stats, _ = cv2.connectedComponentsWithStats(holes.astype(np.uint8), connectivity=4)
    small = stats[:, cv2.CC_STAT_AREA] <= max_hole
    small[0] = False
    return mask | small[labels]

