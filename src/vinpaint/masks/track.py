"""Mask tracking: keyframe masks propagated through a whole clip, forwards and backwards.

Each object starts from its keyframe masks ("anchors") and is carried frame by frame along the
optical flow (Farnebäck with a small window by default) by backward warping, so an occluder that
moves in front of the object brings its own, empty, history with it.  The flow that carries the
mask is first averaged over the object's own pixels whose flow passes the forward-backward check
(normalised convolution, Knutsson & Westin 1993, sigma 3 px), so a single wrong vector on a thin
limb does not tear the mask.  Some objects are better carried rigidly: a similarity (rotation,
scale, shift) fitted by RANSAC to the flow inside the mask ignores the vectors of a tree sweeping
across a thin rider, which drag a per-pixel warp away.  With ``motion="auto"`` each object tracks
itself up to 20 frames away from its anchor and back with both models, and keeps the one whose
round trip returns closer to the anchor mask (a self-check that needs no ground truth, in the
spirit of the forward-backward error of Kalal et al. ICPR 2010).  Where the flow fails the
forward-backward check (Sundaram et al. ECCV 2010), typically background uncovered behind a moving
object, the warped label is only a guess: there the shape prior is dropped and the colours decide.
The same holds where a tree or a person passes in front: the object's fullest recent shape is
remembered, moved by the object's median motion, and its hidden pixels are offered back to the
colour model each frame, so the object regrows once the occluder has passed.
Every warped mask is then refined against its frame by a colour model in the spirit of GrabCut's (Rother et al., SIGGRAPH 2004) and of the
colour-plus-shape classifiers of Video SnapCut (Bai et al., SIGGRAPH 2009): the object's colour
histogram, learnt once on the anchor frame (so it cannot drift), against the background's, learnt in
a ring around the warped mask in the current frame (so it follows a panning camera) mixed with 30 %
of the anchor frame's own ring (so a colour found both in the object and around it, such as the clay
under a band drawn along a court line, is not taken for the object); the log-odds of
the colour likelihood ratio are added to those of the warped mask blurred by the flow's uncertainty,
and only pixels within ``band`` of the warped edge may change.  This pulls a drifting edge back onto
the object and regrows parts that reappear from behind an occluder.

Between two anchors of one object, the forward track from the earlier and the backward track from
the later are blended with weights falling linearly with the distance in frames, so a later anchor
resets drift.  Each object's soft mask is then smoothed in time along the flow (a pixel is averaged
with its flow-aligned neighbours in the previous and next frames), so its edge does not jitter from
frame to frame (the flicker ProPainter issue #9 reports).

Measured accuracy (``benchmarks/mask_tracking.py``) is far from learned trackers on hard clips (a
thin, fast object before a background of its own colours); see the README, "Measured tracking accuracy".

Convention: see :mod:`vinpaint.arrays`.  Object ids are the non-zero values of the init masks
(a bool mask is object 1); the same id at several frames is one object re-anchored there.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Mapping

import cv2
import numpy as np

from ..arrays import check_flow, check_frames
from ..errors import InvalidArrayError, InvalidOptionError, MaskMismatchError
from ..flow import consistency, estimate_flow, warp
from . import MASK_SOURCES

log = logging.getLogger(__name__)

Progress = Callable[[int, int | None], None]


def track_masks(
    frames: np.ndarray,
    init: Mapping[int, np.ndarray],
    *,
    ids: list[int] | None = None,
    flow: str | None = None,
    flow_scale: float = 1.0,
    band: int = 4,
    refine: bool = True,
    smooth: int = 1,
    flows: tuple[np.ndarray, np.ndarray] | None = None,
    progress: Progress | None = None,
    motion: str = "auto",
) -> np.ndarray:
    """Track keyframe masks through the clip; the union of all objects.

    Shape:
        frames: ``(T,H,W,3)`` uint8 RGB.
        init: ``{frame index: (H,W) mask}``; each mask bool (one object, id 1) or integer labels
        (0 = background, each non-zero id one object, e.g. a palette PNG).
        returns: ``(T,H,W)`` bool, True = fill.

    Args:
        ids: track only these object ids (default: every id found in ``init``).
        flow: a name in :data:`vinpaint.flow.FLOW_ESTIMATORS`; None (default) is Farnebäck with a
            small 9-pixel window (:func:`tracking_flow_estimator`), which keeps thin limbs' own motion
            and measured best for tracking (before the occlusion memory was added, DIS medium gave
            0.39 mean IoU on the benchmark against 0.43).
        flow_scale: estimate the flow at this fraction of the size (faster, rougher).
        band: half-width in pixels of the band around the warped edge the colour model may change
            (0: no refinement).
        refine: refine every warped mask against its frame with the colour model (False: warp only).
        smooth: radius in frames of the flow-aligned temporal smoothing (0 = off).
        flows: precomputed ``(forward, backward)`` from :func:`vinpaint.flow.estimate_flow`.
        progress: ``progress(done, total)`` called as frames of each object are tracked.
        motion: how masks move between frames, one of :data:`MOTION_MODELS`: ``"flow"`` (per
            pixel), ``"similarity"`` (rigidly, RANSAC fit to the flow in the mask) or ``"auto"``
            (default: per anchor, whichever returns closer to the anchor after a round trip of up
            to 20 frames; it costs about 20 extra frames of tracking per object).

    Raises:
        InvalidOptionError: empty ``init``, a keyframe outside the clip, an unknown id or ``motion``.
        MaskMismatchError: an init mask of another size than the frames.

    Speed: 30 frames of 432x240 took 1.7 s with one object and 3.8 s with seven (1.6 s and 2.5 s
    with ``motion="flow"``), flow included, on a shared 2-core machine; ``flow="dis"`` about halves
    the flow's share.  Pass ``flows`` when tracking again on the same frames.
    """
    labels = track_objects(frames, init, ids=ids, flow=flow, flow_scale=flow_scale, band=band, refine=refine,
                           smooth=smooth, flows=flows, progress=progress, motion=motion)
    return labels > 0


def track_objects(
    frames: np.ndarray,
    init: Mapping[int, np.ndarray],
    *,
    ids: list[int] | None = None,
    flow: str | None = None,
    flow_scale: float = 1.0,
    band: int = 4,
    refine: bool = True,
    smooth: int = 1,
    flows: tuple[np.ndarray, np.ndarray] | None = None,
    progress: Progress | None = None,
    motion: str = "auto",
) -> np.ndarray:
    """Like :func:`track_masks` but keeps the objects apart: ``(T,H,W)`` int32 labels (0 = none).

    Where two objects claim a pixel, the one with the higher tracked confidence wins.
    """
    frames = check_frames(frames)
    t, h, w = frames.shape[:3]
    anchors = _anchors(init, t, h, w, ids)
    if band < 0:
        raise InvalidOptionError(f"band must be >= 0 pixels, got {band}")
    if smooth < 0:
        raise InvalidOptionError(f"smooth must be >= 0 frames, got {smooth}")
    if motion not in MOTION_MODELS:
        raise InvalidOptionError(f"motion must be one of {', '.join(MOTION_MODELS)}, got {motion!r}")
    if flows is None:
        estimator = tracking_flow_estimator() if flow is None else None
        forward, backward = (estimate_flow(frames, method=flow or "dis", scale=flow_scale, estimator=estimator)
                             if t > 1 else (None, None))
    else:
        forward, backward = (check_flow(f, (h, w), name=name) for f, name in zip(flows, ("forward flow", "backward flow")))
        if len(forward) != t - 1 or len(backward) != t - 1:
            raise InvalidArrayError(f"flows must hold {t - 1} fields each for {t} frames, got {len(forward)} and {len(backward)}")
    best = np.zeros((t, h, w), np.float32)
    labels = np.zeros((t, h, w), np.int32)
    total = t * len(anchors)
    for number, (object_id, keyed) in enumerate(anchors.items()):
        soft = _track_object(frames, keyed, forward, backward, band=band if refine else 0, smooth=smooth, motion=motion)
        wins = (soft > 0.5) & (soft > best)
        labels[wins] = object_id
        np.maximum(best, soft, out=best)
        if progress:
            progress((number + 1) * t, total)
        log.debug("object %d: tracked from frames %s", object_id, sorted(keyed))
    return labels


#: how a mask moves from frame to frame: ``flow`` (per pixel, along the object-smoothed flow),
#: ``similarity`` (rigidly: rotation, scale and shift fitted to the flow inside the mask by RANSAC),
#: ``auto`` (per object, whichever tracks it more consistently there and back from its anchor)
MOTION_MODELS = ("auto", "flow", "similarity")


def tracking_flow_estimator():
    """Farnebäck (SCIA 2003) with a 9-pixel window, 5 levels: ``(gray_a, gray_b) -> (H,W,2)`` flow."""

    def estimate(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return cv2.calcOpticalFlowFarneback(a, b, None, 0.5, 5, 9, 5, 5, 1.1, 0)

    return estimate


def _anchors(init: Mapping[int, np.ndarray], t: int, h: int, w: int, ids: list[int] | None) -> dict[int, dict[int, np.ndarray]]:
    """``{object id: {frame: (H,W) bool}}`` from the init masks, validated."""
    if not init:
        raise InvalidOptionError("tracking needs at least one init mask (FRAME -> mask)")
    anchors: dict[int, dict[int, np.ndarray]] = {}
    for frame, mask in sorted(init.items()):
        frame = int(frame)
        if not 0 <= frame < t:
            raise InvalidOptionError(f"init frame {frame} is outside the clip's {t} frames (0-{t - 1})")
        mask = np.asarray(mask)
        if mask.ndim != 2:
            raise InvalidArrayError(f"the init mask of frame {frame} must have shape (H, W), got {mask.shape}")
        if mask.shape != (h, w):
            raise MaskMismatchError(f"the init mask of frame {frame} is {mask.shape[1]}x{mask.shape[0]}, the video is {w}x{h}")
        if mask.dtype == bool:
            mask = mask.astype(np.int32)
        for object_id in np.unique(mask):
            if object_id != 0:
                anchors.setdefault(int(object_id), {})[frame] = mask == object_id
    if ids is not None:
        unknown = sorted(set(ids) - set(anchors))
        if unknown:
            raise InvalidOptionError(f"object id(s) {unknown} are in no init mask; the init masks hold ids {sorted(anchors)}")
        anchors = {i: anchors[i] for i in anchors if i in ids}
    if not anchors:
        raise InvalidOptionError("the init masks are empty: mark the object with non-zero pixels")
    return anchors


def _track_object(frames, keyed: dict[int, np.ndarray], forward, backward, *, band: int, smooth: int,
                  motion: str) -> np.ndarray:
    """Soft ``(T,H,W)`` float32 mask of one object from its anchors."""
    t = len(frames)
    keys = sorted(keyed)
    soft = np.zeros((t,) + frames.shape[1:3], np.float32)
    weight = np.zeros(t, np.float32)
    for index, key in enumerate(keys):
        previous = keys[index - 1] if index > 0 else None
        following = keys[index + 1] if index + 1 < len(keys) else None
        model = ColourModel(frames[key], keyed[key], band) if band else None
        soft[key] += keyed[key]
        weight[key] += 1
        # forward to the next anchor (exclusive) or the end; backward to the previous anchor or the start
        ends = {+1: following if following is not None else t, -1: previous if previous is not None else -1}
        if motion == "auto":
            rigid, chosen = _choose_motion(frames, keyed[key], key, ends, forward, backward, model)
        else:
            rigid, chosen = motion == "similarity", None
        for step, stop in ends.items():
            span = abs(stop - key)
            bounded = stop not in (t, -1)
            track = _propagate(frames, keyed[key], key, stop, forward, backward, model, rigid=rigid)
            if chosen is not None and chosen[0] == step:
                track = itertools.chain(chosen[1], chosen[2])  # reuse the choice's outbound trip
            for frame, current in track:
                # an anchor rules its neighbourhood; between two anchors weights fall linearly
                w_frame = max(1.0 - abs(frame - key) / span, 1e-3) if bounded else 1.0
                soft[frame] += w_frame * current
                weight[frame] += w_frame
    soft /= np.maximum(weight, 1e-6)[:, None, None]
    if smooth and t > 1:
        soft = _smooth_along_flow(soft, forward, backward, smooth, keep=set(keys))
    return soft


def _propagate(frames, mask: np.ndarray, key: int, stop: int, forward, backward, model, *, rigid: bool):
    """Yield ``(frame, (H,W) bool mask)`` from ``key`` (exclusive) towards ``stop`` (exclusive)."""
    step = 1 if stop > key else -1
    current = mask
    memory = current  # the object's fullest recent shape, kept while an occluder hides part of it
    for frame in range(key + step, stop, step):
        flow = backward[frame - 1] if step > 0 else forward[frame]
        reverse = forward[frame - 1] if step > 0 else backward[frame]
        moved = _translate(memory, reverse, current)
        previous = current
        # the flow smoothed over the object's own, reliable pixels: one pixel's wrong vector (a
        # thin limb, a passing branch) no longer tears the mask apart
        warped = warp(previous.astype(np.float32), flow) > 0.5
        flow = _object_flow(flow, warped & consistency(flow, reverse), OBJECT_FLOW_SIGMA)
        current = warp(previous.astype(np.float32), flow) > 0.5
        if rigid and current.any():
            current = _similarity_warp(previous, reverse, fallback=current)
        if model is not None:
            # the colours alone decide (a) pixels whose flow fails the forward-backward check:
            # hidden in the previous frame, e.g. background uncovered behind the object, so
            # their warped label is a guess (dropping them outright measured worse: 0.29 mean
            # IoU against 0.38); (b) pixels of the remembered shape that the warp lost: an
            # occluder may have hidden them, and the colours bring them back once it has passed
            unsure = (~consistency(flow, reverse) & current) | (moved & ~current)
            current = model.refine(frames[frame], current, unsure)
        memory = current if current.sum() >= MEMORY_KEEP * moved.sum() else (moved | current)
        yield frame, current


#: frames tracked ahead and back again to choose the object's motion model (``motion="auto"``)
SELECT_FRAMES = 20
#: the similarity model must beat the flow's round trip IoU by this much to be chosen
SELECT_MARGIN = 0.05
#: where the two models' masks at the far frame overlap more than this (IoU), the flow is kept
SELECT_AGREE = 0.9
#: sigma in pixels of the object-weighted smoothing of the flow that carries the mask
OBJECT_FLOW_SIGMA = 3.0


def _choose_motion(frames, mask: np.ndarray, key: int, ends: dict[int, int], forward, backward, model):
    """Whether the similarity motion model tracks the object more consistently than the flow.

    Tracks ``mask`` up to :data:`SELECT_FRAMES` frames away from ``key`` (forwards where the clip
    allows, else backwards) with each model, back again, and compares each round trip's end with
    ``mask`` by IoU: a self-check that needs no ground truth (where both models agree on the far
    frame, the flow is kept without the round trips).

    Returns ``(rigid, outbound)``: ``outbound`` is None or ``(step, masks, generator)``, the
    chosen model's trip so far as ``(frame, mask)`` pairs and the generator that continues it.
    """
    for step, stop in ends.items():
        reach = min(SELECT_FRAMES, abs(stop - key) - 1)
        if reach >= 2:
            break
    else:
        return False, None
    far = key + step * reach
    trips = {}
    for rigid in (False, True):
        track = _propagate(frames, mask, key, ends[step], forward, backward, model, rigid=rigid)
        trips[rigid] = (step, list(itertools.islice(track, reach)), track)
    there = {rigid: trip[1][-1][1] for rigid, trip in trips.items()}
    if _iou(there[False], there[True]) > SELECT_AGREE:
        return False, trips[False]
    scores = []
    for rigid in (False, True):
        back = there[rigid]
        for _, back in _propagate(frames, there[rigid], far, key - step, forward, backward, model, rigid=rigid):
            pass
        scores.append(_iou(back, mask))
    log.debug("motion model round trips over %d frames: flow %.3f, similarity %.3f", reach, *scores)
    rigid = scores[1] > scores[0] + SELECT_MARGIN
    return rigid, trips[rigid]


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    union = np.count_nonzero(a | b)
    return 1.0 if union == 0 else np.count_nonzero(a & b) / union


def _object_flow(flow: np.ndarray, weight: np.ndarray, sigma: float) -> np.ndarray:
    """``flow`` averaged over the ``weight`` pixels by normalised convolution (Knutsson & Westin 1993).

    Far from any weighted pixel the result falls back to the weighted pixels' median flow.
    Shape: flow ``(H,W,2)`` float32; weight ``(H,W)`` bool; returns ``(H,W,2)`` float32.
    """
    if not weight.any():
        return flow
    weights = weight.astype(np.float32)
    density = cv2.GaussianBlur(weights, (0, 0), sigma)
    median = np.median(flow[weight], axis=0)
    out = np.empty_like(flow)
    for channel in range(2):
        total = cv2.GaussianBlur(flow[..., channel] * weights, (0, 0), sigma)
        out[..., channel] = (total + 1e-3 * median[channel]) / (density + 1e-3)
    return out


def _similarity_warp(mask: np.ndarray, flow: np.ndarray, *, fallback: np.ndarray) -> np.ndarray:
    """``mask`` moved by the similarity (rotation, scale, shift) that best explains ``flow`` on it.

    Fitted with RANSAC (``cv2.estimateAffinePartial2D``) to the displacements of every third
    object pixel, so an occluder's or the background's vectors inside the mask are outliers;
    ``fallback`` where no fit is found.
    """
    ys, xs = np.nonzero(mask)
    if len(xs) < 9:
        return fallback
    source = np.ascontiguousarray(np.stack([xs, ys], 1).astype(np.float32)[::3])
    target = np.ascontiguousarray(source + flow[ys[::3], xs[::3]])
    matrix, _ = cv2.estimateAffinePartial2D(source, target, method=cv2.RANSAC, ransacReprojThreshold=2.0)
    if matrix is None:
        return fallback
    h, w = mask.shape
    return cv2.warpAffine(mask.astype(np.uint8), matrix, (w, h), flags=cv2.INTER_NEAREST) > 0


_BINS = 32  # colour histogram bins per channel (16 and 8 measured worse)


def _colour_index(frame: np.ndarray) -> np.ndarray:
    q = (frame // (256 // _BINS)).astype(np.int32)
    return (q[..., 0] * _BINS + q[..., 1]) * _BINS + q[..., 2]


def _histogram(index: np.ndarray, region: np.ndarray) -> np.ndarray:
    from scipy.ndimage import gaussian_filter

    counts = np.bincount(index[region], minlength=_BINS**3).astype(np.float32).reshape(_BINS, _BINS, _BINS)
    counts = gaussian_filter(counts, 0.7, mode="constant")
    return (counts / max(1.0, float(counts.sum()))).ravel()


class ColourModel:
    """Refines a warped mask with the object's colours, learnt once on its anchor frame.

    The object's colour histogram comes from the anchor (fixed, so it cannot drift); the
    background's from a ring around the warped mask in the frame being refined (it follows a
    panning camera).  A pixel is object where the log-odds of the warped mask, blurred by the flow's
    uncertainty, plus ``weight`` times the log-odds of the colour likelihood ratio, is positive; only
    pixels within ``band`` of the warped edge may change.  (Weighting the colour by how well it
    separates object and background on the anchor frame was tried and measured worse on all three
    benchmark clips than a fixed weight of 1.)

    Shape: frame ``(H,W,3)`` uint8; mask ``(H,W)`` bool.
    """

    prior_blur = 0.75  # sigma of the shape prior's blur, in units of ``band``
    ring = 4  # the background ring reaches ``ring * band + 4`` pixels beyond the warped mask
    anchor_share = 0.3  # share of the anchor frame's ring in the background histogram (0.5: tennis +, others -)

    def __init__(self, frame: np.ndarray, mask: np.ndarray, band: int, *, weight: float = 1.0) -> None:
        self.band = band
        self.weight = weight
        self.object_hist = _histogram(_colour_index(frame), mask)
        # the anchor's own surroundings, mixed into every frame's background: a colour common
        # both in the object and around it (the clay under a band drawn along a court line) is
        # no longer taken for the object
        self.anchor_background = _histogram(_colour_index(frame), self._ring(mask))

    def _ring(self, mask: np.ndarray) -> np.ndarray:
        return _dilate(mask, self.ring * self.band + 4) & ~_dilate(mask, 2)

    @staticmethod
    def _likelihood(index: np.ndarray, object_hist: np.ndarray, background_hist: np.ndarray) -> np.ndarray:
        fg, bg = object_hist[index], background_hist[index]
        return (fg + 1e-5) / (fg + bg + 2e-5)

    def refine(self, frame: np.ndarray, warped: np.ndarray, unreliable: np.ndarray | None = None) -> np.ndarray:
        """``(H,W)`` bool refined mask of ``frame`` from the ``(H,W)`` bool ``warped`` mask.

        ``unreliable`` ``(H,W)`` bool marks warped pixels whose flow failed the consistency check:
        there the shape prior is dropped and the colours alone decide.
        """
        if not warped.any():
            return warped
        h, w = warped.shape
        ys, xs = np.nonzero(warped)
        margin = self.ring * self.band + 8
        y0, y1 = max(0, ys.min() - margin), min(h, ys.max() + margin + 1)
        x0, x1 = max(0, xs.min() - margin), min(w, xs.max() + margin + 1)
        roi_mask = warped[y0:y1, x0:x1]
        roi_frame = frame[y0:y1, x0:x1]
        logit = _logit(cv2.GaussianBlur(roi_mask.astype(np.float32), (0, 0), self.band * self.prior_blur))
        if unreliable is not None:
            roi_unreliable = unreliable[y0:y1, x0:x1]
            logit[roi_unreliable] = 0.0  # no shape prior there: the colours decide
        if self.weight > 0:
            index = _colour_index(roi_frame)
            background = _histogram(index, self._ring(roi_mask))
            background = (1 - self.anchor_share) * background + self.anchor_share * self.anchor_background
            logit = logit + self.weight * _logit(self._likelihood(index, self.object_hist, background))
        near = _dilate(roi_mask, self.band) & ~_erode(roi_mask, self.band)
        if unreliable is not None:
            near |= roi_unreliable
        out = warped.copy()
        out[y0:y1, x0:x1] = np.where(near, logit > 0, roi_mask)
        return out


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-3, 1 - 1e-3)
    return np.log(p / (1 - p))


def _dilate(mask: np.ndarray, pixels: int) -> np.ndarray:
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * pixels + 1, 2 * pixels + 1))
    return cv2.dilate(mask.astype(np.uint8), kernel) > 0


def _erode(mask: np.ndarray, pixels: int) -> np.ndarray:
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * pixels + 1, 2 * pixels + 1))
    return cv2.erode(mask.astype(np.uint8), kernel, borderType=cv2.BORDER_CONSTANT, borderValue=0) > 0


#: the memory shape is replaced by the tracked mask once the tracked mask is at least this fraction
#: of it (0.8, 0.9, 0.97, 1.0 and 1.1 measured 0.43-0.48 mean IoU on the benchmark; 0.95 is between)
MEMORY_KEEP = 0.95


def _translate(mask: np.ndarray, flow: np.ndarray, where: np.ndarray) -> np.ndarray:
    """Shift ``mask`` by the median of ``flow`` over ``where`` (the object's overall motion)."""
    if not where.any():
        return mask
    dx, dy = np.median(flow[where], axis=0)
    matrix = np.float32([[1, 0, dx], [0, 1, dy]])
    h, w = mask.shape
    return cv2.warpAffine(mask.astype(np.uint8), matrix, (w, h), flags=cv2.INTER_NEAREST) > 0


def _smooth_along_flow(soft: np.ndarray, forward, backward, radius: int, *, keep: set[int]) -> np.ndarray:
    """Average each frame's soft mask with its flow-aligned neighbours up to ``radius`` frames away."""
    t = len(soft)
    out = soft.copy()
    for _ in range(radius):
        current = out.copy()
        for frame in range(t):
            if frame in keep:
                continue
            total = current[frame].copy()
            count = 1.0
            if frame > 0:
                total += warp(current[frame - 1], backward[frame - 1])
                count += 1
            if frame + 1 < t:
                total += warp(current[frame + 1], forward[frame])
                count += 1
            out[frame] = total / count
    return out


MASK_SOURCES.register("track", description="keyframe masks tracked through the clip (flow + colour model)")(track_masks)
