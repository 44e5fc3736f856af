"""Mask tracking: keyframe masks propagated through a whole clip, forwards and backwards.

Each object starts from its keyframe masks ("anchors") and is carried frame by frame along the
optical flow (Farnebäck with a small window by default) by backward warping, so an occluder that
moves in front of the object brings its own, empty, history with it.  The flow that carries the
mask is first averaged over the object's own pixels whose flow passes the forward-backward check
(normalised convolution, Knutsson & Westin 1993, sigma 3 px), so a single wrong vector on a thin
limb does not tear the mask.  Some objects are better carried rigidly: a similarity (rotation,
scale, shift) fitted by RANSAC to the flow inside the mask ignores the vectors of a tree sweeping
across a thin rider, which drag a per-pixel warp away.  When the object moves against the
background, the mask's pixels that move with the background (a similarity fitted on a ring around
the mask) are left out of that fit: a thin object's mask is mostly edges carrying the background's
flow, and they would otherwise win the vote and slide the mask off with the camera (a motion
segmentation by dominant-motion layers, as in Wang & Adelson, IEEE TIP 1994).  With ``motion="auto"`` each object tracks
itself up to 20 frames away from its anchor and back with both models, and keeps the one whose
round trip returns closer to the anchor mask (a self-check that needs no ground truth, in the
spirit of the forward-backward error of Kalal et al. ICPR 2010); an object with several anchors
is given one model, by the round trips of all its anchors together.  With the rigid model each
anchor's track starts with the velocity of the object as the track arriving from the anchor before
it saw it, so an init drawn while an occluder hides the object does not lose its motion.  Where the flow fails the
forward-backward check (Sundaram et al. ECCV 2010), typically background uncovered behind a moving
object, the warped label is only a guess: there the shape prior is dropped and the colours decide.
The same holds where a tree or a person passes in front: the object's fullest recent shape is
remembered, moved by the object's median motion, and its hidden pixels are offered back to the
colour model each frame, so the object regrows once the occluder has passed.  With the rigid model,
once less than half of the remembered shape is in view, the shape keeps the object's last fitted
similarity (a constant-velocity prediction, as a Kalman tracker coasts through an occlusion), and
remembered pixels that move with the background rather than with the object are not offered back.
Every warped mask is then refined against its frame by a colour model in the spirit of GrabCut's (Rother et al., SIGGRAPH 2004) and of the
colour-plus-shape classifiers of Video SnapCut (Bai et al., SIGGRAPH 2009): the object's colour
histogram, learnt once on the anchor frame (so it cannot drift), against the background's, learnt in
a ring around the warped mask in the current frame (so it follows a panning camera) mixed with 30 %
of the anchor frame's own ring (so a colour found both in the object and around it, such as the clay
under a band drawn along a court line, is not taken for the object); the log-odds of
the colour likelihood ratio are added to those of the warped mask blurred by the flow's uncertainty,
and only pixels within ``band`` of the warped edge may change.  This pulls a drifting edge back onto
the object and regrows parts that reappear from behind an occluder.
Background plates add a third term (:mod:`vinpaint.masks.track.plates`): the frames the track has passed,
aligned to the current one by the background's motion and with the object left out, show what the
background looks like there; a pixel that matches them is background even where its colour is also
the object's.

Between two anchors of one object, the forward track from the earlier and the backward track from
the later are blended with weights falling linearly with the distance in frames, so a later anchor
resets drift.  Each object's soft mask is then smoothed in time along the flow (a pixel is averaged
with its flow-aligned neighbours in the previous and next frames), so its edge does not jitter from
frame to frame (the flicker ProPainter issue #9 reports), and a 3x3 median removes the specks the
colour model leaves in the background.

A mask drawn with a margin around its object (a generous outline, as one draws for removal) keeps
that margin: the margin is measured on each anchor (:func:`estimate_mask_margin`: how far inside
the mask's contour the image's edges lie), the object is tracked by its anchors eroded by it (the
margin's colours are the background's, so the colour model would otherwise eat it away within a few
frames), and every tracked mask is dilated by it again.

Measured accuracy (``benchmarks/mask_tracking.py``) is far from learned trackers on hard clips (a
thin, fast object before a background of its own colours); see the README, "Measured tracking accuracy".

Convention: see :mod:`vinpaint.arrays`.  Object ids are the non-zero values of the init masks
(a bool mask is object 1); the same id at several frames is one object re-anchored there.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Mapping
from typing import NamedTuple

import cv2
import numpy as np

from ...arrays import check_flow, check_frames
from ...errors import InvalidArrayError, InvalidOptionError, MaskMismatchError
from ...flow import consistency, estimate_flow, warp
from .. import MASK_SOURCES
from .plates import BackgroundMotion, PlateHistory


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
    plate: bool = True,
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
        plate: help the colour model with background plates (:mod:`vinpaint.masks.track.plates`): each
            frame is compared with the frames the track passed 2-10 frames before, aligned by the
            background's motion, with the object left out; what matches them is background.
            Measured against off, from first-frame masks: mean IoU 0.552 -> 0.637 (bmx-trees),
            0.743 -> 0.815 (tennis), 0.763 -> 0.812 (schoolgirls), at 1.3-2x the tracking time.

    Raises:
        InvalidOptionError: empty ``init``, a keyframe outside the clip, an unknown id or ``motion``.
        MaskMismatchError: an init mask of another size than the frames.

    An init mask drawn with a margin around its object (measured by :func:`estimate_mask_margin`)
    keeps that margin in every tracked frame; the init masks themselves are returned unchanged.

    Speed, flow included, on a shared 2-core machine (``benchmarks/mask_tracking.py``): 80 frames
    of 432x240 in 6.0 s with one object and 13.5 s with seven; the background plates take 1.2-1.8x
    of the time without them.  Pass ``flows`` when tracking again on the same frames.
    """
    labels = track_objects(frames, init, ids=ids, flow=flow, flow_scale=flow_scale, band=band, refine=refine,
                           smooth=smooth, flows=flows, progress=progress, motion=motion, plate=plate)
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
    plate: bool = True,
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
    background = BackgroundMotion(forward, backward) if plate and refine and band and t > 1 else None
    best = np.zeros((t, h, w), np.float32)
    labels = np.zeros((t, h, w), np.int32)
    total = t * len(anchors)
    for number, (object_id, keyed) in enumerate(anchors.items()):
        soft = _track_object(frames, keyed, forward, backward, band=band if refine else 0, smooth=smooth, motion=motion,
                             background=background)
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
                  motion: str, background: BackgroundMotion | None) -> np.ndarray:
    """Soft ``(T,H,W)`` float32 mask of one object from its anchors."""
    t = len(frames)
    keys = sorted(keyed)
    # a mask drawn with a margin around its object is tracked by its core (the margin's colours
    # are the background's, so the colour model would eat it away) and the margin is put back after
    margin = int(np.median([estimate_mask_margin(frames[key], keyed[key]) for key in keys])) if band else 0
    cores = {key: _erode(mask, margin, frame_edge=True) if margin else mask for key, mask in keyed.items()}
    if not all(core.any() for core in cores.values()):
        margin, cores = 0, dict(keyed)
    if margin:
        log.debug("object tracked by its core: the init masks have a margin of %d pixels", margin)
    soft = np.zeros((t,) + frames.shape[1:3], np.float32)
    weight = np.zeros(t, np.float32)
    # each anchor's object runs forward to the next anchor (exclusive) or the end, and backward to
    # the previous anchor or the start
    bounds = {key: {+1: keys[index + 1] if index + 1 < len(keys) else t, -1: keys[index - 1] if index else -1}
              for index, key in enumerate(keys)}
    models = {key: ColourModel(frames[key], cores[key], band) if band else None for key in keys}
    trials = {}
    if motion == "auto":
        # how an object moves is the object's own: the round trips of all its anchors vote together,
        # so one anchor where the object is mostly hidden cannot choose the model for its stretch
        trials = {key: _round_trips(frames, cores[key], key, bounds[key], forward, backward, models[key], background)
                  for key in keys}
        votes = np.array([trial.scores for trial in trials.values() if trial.scores is not None]).reshape(-1, 2)
        rigid = bool(len(votes)) and votes[:, 1].sum() > votes[:, 0].sum() + SELECT_MARGIN * len(votes)
        log.debug("motion model round trips of %d anchor(s): flow %.3f, similarity %.3f: %s", len(votes),
                  *(votes.mean(0) if len(votes) else (np.nan, np.nan)), "similarity" if rigid else "flow")
    else:
        rigid = motion == "similarity"
    for key in keys:
        soft[key] += cores[key]
        weight[key] += 1
    for step in (+1, -1):
        # forwards in the order of the anchors, backwards in reverse: each anchor's track starts with
        # the state the track from the anchor before it (in that direction) arrived with
        arrived: list[TrackState] = []
        for key in keys if step > 0 else keys[::-1]:
            stop = bounds[key][step]
            carry = arrived[-1] if arrived else None
            arrived = []
            chosen = trials[key].outbound[rigid] if key in trials else None
            if chosen is not None and chosen[0] == step and carry is None:
                track = itertools.chain(chosen[1], chosen[2])  # reuse the choice's outbound trip
                arrived = chosen[3]
            else:
                track = _propagate(frames, cores[key], key, stop, forward, backward, models[key], rigid=rigid,
                                   background=background, carry=carry, state=arrived)
            span = abs(stop - key)
            bounded = stop not in (t, -1)
            for frame, current in track:
                # an anchor rules its neighbourhood; between two anchors weights fall linearly
                w_frame = max(1.0 - abs(frame - key) / span, 1e-3) if bounded else 1.0
                soft[frame] += w_frame * current
                weight[frame] += w_frame
    soft /= np.maximum(weight, 1e-6)[:, None, None]
    if smooth and t > 1:
        soft = _smooth_along_flow(soft, forward, backward, smooth, keep=set(keys))
    # a median removes the specks the colour model leaves in the background (it commutes with the
    # 0.5 threshold, as does the grey dilation that puts the init masks' margin back)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * margin + 1, 2 * margin + 1)) if margin else None
    for frame in range(t):
        if frame in keyed:
            soft[frame] = keyed[frame]  # an init mask is kept exactly
            continue
        if SPECK_MEDIAN:
            soft[frame] = cv2.medianBlur(soft[frame], SPECK_MEDIAN)
        if kernel is not None:
            soft[frame] = cv2.dilate(soft[frame], kernel)
    return soft


#: side in pixels of the median that removes specks from each tracked mask (0: off)
SPECK_MEDIAN = 3

#: the deepest margin, in pixels, looked for inside an init mask
MARGIN_LIMIT = 8


def estimate_mask_margin(frame: np.ndarray, mask: np.ndarray, *, limit: int = MARGIN_LIMIT) -> int:
    """How far, in pixels, ``mask`` reaches beyond the edges of the object it marks.

    A mask traced on its object's outline has the image's edges on its own contour; one drawn with
    a margin (a user's generous outline) has flat background there, and the edges ``margin`` pixels
    inside.  The mean colour gradient (Sobel, CIE Lab) is measured along the contour of the mask
    eroded by 0, 1, ... ``limit`` pixels; the first depth at which it reaches half its peak (the
    half-maximum rule of edge localisation) is the first contour that sees the object's edge, one
    pixel outside it, so the margin is that depth plus one (a margin of 1 pixel reads as 0: the
    3x3 operator cannot tell it from a tight mask).  On a synthetic square, masks dilated by 0-6
    pixels read 0, 0, 2, 3, 4, 5, 6.

    Shape: frame ``(H,W,3)`` uint8 RGB; mask ``(H,W)`` bool.  Returns an int in ``[0, limit + 1]``.
    """
    if not mask.any():
        return 0
    ys, xs = np.nonzero(mask)
    h, w = mask.shape
    y0, y1, x0, x1 = max(0, ys.min() - 2), min(h, ys.max() + 3), max(0, xs.min() - 2), min(w, xs.max() + 3)
    lab = cv2.cvtColor(np.ascontiguousarray(frame[y0:y1, x0:x1]), cv2.COLOR_RGB2Lab).astype(np.float32)
    gradient = np.sqrt((cv2.Sobel(lab, cv2.CV_32F, 1, 0) ** 2 + cv2.Sobel(lab, cv2.CV_32F, 0, 1) ** 2).sum(-1))
    inner = mask[y0:y1, x0:x1]
    profile = []
    for _ in range(limit + 1):
        eroded = _erode(inner, 1, frame_edge=True)  # the frame's edge is not the mask's contour
        contour = inner & ~eroded
        if not contour.any():
            break
        profile.append(float(gradient[contour].mean()))
        inner = eroded
    peak = max(profile)
    depth = next(depth for depth, value in enumerate(profile) if value >= 0.5 * peak)
    # the 3x3 Sobel reaches one pixel beyond an edge: the first contour that sees the object's edge
    # lies just outside it (at depth 0 a tight contour and one a pixel outside cannot be told apart)
    return depth + 1 if depth else 0


class TrackState(NamedTuple):
    """What a track hands over to the next anchor's track at one frame (see :func:`_propagate`)."""

    frame: int
    velocity: np.ndarray | None  # ``(2,3)``: its last similarity fitted while mostly in view


def _propagate(frames, mask: np.ndarray, key: int, stop: int, forward, backward, model, *, rigid: bool,
               background: BackgroundMotion | None = None, carry: TrackState | None = None, state: list | None = None):
    """Yield ``(frame, (H,W) bool mask)`` from ``key`` (exclusive) towards ``stop`` (exclusive).

    ``carry``: the state of a track of the same object, in the same direction, at the frame just
    before ``key``: an anchor corrects the mask but keeps that track's motion (rigid model), so an
    anchor drawn while an occluder hides most of the object still knows where it is going.  (The
    track's remembered shape was handed over too until the background plates came; with them it
    measured worse, 0.507 against 0.601 mean IoU on bmx-trees with an init every 20 frames.)
    ``state``: a list whose last item becomes the :class:`TrackState` of each frame yielded.
    ``background``: the clip's background motion; given, the colour model is helped by background
    plates built from the frames this track has passed (:mod:`vinpaint.masks.track.plates`).
    """
    step = 1 if stop > key else -1
    plate = PlateHistory(frames, background, step) if background is not None and model is not None else None
    current = mask
    memory = current  # the object's fullest recent shape, kept while an occluder hides part of it
    velocity = None  # rigid model: the object's last similarity fitted while it was mostly in view
    if rigid and carry is not None and carry.frame == key - step:
        velocity = carry.velocity
    for frame in range(key + step, stop, step):
        if plate is not None:
            plate.advance(frame, frame - step, current)
        flow = backward[frame - 1] if step > 0 else forward[frame]
        reverse = forward[frame - 1] if step > 0 else backward[frame]
        raw = flow
        in_view = current.sum() >= IN_VIEW * memory.sum()
        if velocity is not None and not in_view:
            # mostly hidden: the few pixels still seen no longer tell where it goes; it keeps its
            # last motion (constant velocity) until it comes out again
            moved = _affine(memory, velocity)
        else:
            moved = _translate(memory, reverse, current)
        previous = current
        # the flow smoothed over the object's own, reliable pixels: one pixel's wrong vector (a
        # thin limb, a passing branch) no longer tears the mask apart
        warped = warp(previous.astype(np.float32), flow) > 0.5
        flow = _object_flow(flow, warped & consistency(flow, reverse), OBJECT_FLOW_SIGMA)
        current = warp(previous.astype(np.float32), flow) > 0.5
        fit = None
        if rigid and current.any():
            fit = _fit_similarity(previous, reverse, velocity=velocity)
            if fit.object is not None:
                current = _affine(previous, fit.object)
                if in_view:
                    velocity = fit.object
        if model is not None:
            # the colours alone decide (a) pixels whose flow fails the forward-backward check:
            # hidden in the previous frame, e.g. background uncovered behind the object, so
            # their warped label is a guess (dropping them outright measured worse: 0.29 mean
            # IoU against 0.38); (b) pixels of the remembered shape that the warp lost: an
            # occluder may have hidden them, and the colours bring them back once it has passed
            hidden = moved & ~current
            if fit is not None:
                # with the rigid model, a remembered pixel that moves with the background and not
                # with the object is background showing through, not the object coming back
                hidden &= ~fit.background_pixels(hidden, raw)
            unsure = (~consistency(flow, reverse) & current) | hidden
            current = model.refine(frames[frame], current, unsure, plate)
        memory = current if current.sum() >= MEMORY_KEEP * moved.sum() else (moved | current)
        if state is not None:
            state.append(TrackState(frame, velocity))
            del state[:-1]
        yield frame, current


#: frames tracked ahead and back again to choose the object's motion model (``motion="auto"``)
SELECT_FRAMES = 20

#: the similarity model must beat the flow's round trip IoU by this much to be chosen
SELECT_MARGIN = 0.05

#: where the two models' masks at the far frame overlap more than this (IoU), the flow is kept
SELECT_AGREE = 0.9

#: sigma in pixels of the object-weighted smoothing of the flow that carries the mask
OBJECT_FLOW_SIGMA = 3.0


class RoundTrips(NamedTuple):
    """The two motion models' round trips from one anchor (see :func:`_round_trips`)."""

    #: ``(flow IoU, similarity IoU)`` of each round trip's end with the anchor mask, or None where
    #: the trips were not made (too short a stretch, or both models agree on the far frame)
    scores: tuple[float, float] | None
    #: ``{rigid: (step, masks, generator, state)}``: each model's outbound trip so far as ``(frame,
    #: mask)`` pairs, the generator that continues it and the list its :class:`TrackState` is kept
    #: in (None where the stretch is too short)
    outbound: dict[bool, tuple | None]


def _round_trips(frames, mask: np.ndarray, key: int, ends: dict[int, int], forward, backward, model,
                 background: BackgroundMotion | None) -> RoundTrips:
    """Each motion model's round trip from the anchor: how consistently it tracks the object.

    Tracks ``mask`` up to :data:`SELECT_FRAMES` frames away from ``key`` (forwards where the clip
    allows, else backwards) with each model, back again, and compares each round trip's end with
    ``mask`` by IoU: a self-check that needs no ground truth (where both models agree on the far
    frame, with an IoU above :data:`SELECT_AGREE`, there is no round trip and no score).
    """
    for step, stop in ends.items():
        reach = min(SELECT_FRAMES, abs(stop - key) - 1)
        if reach >= 2:
            break
    else:
        return RoundTrips(None, {False: None, True: None})
    far = key + step * reach
    trips = {}
    for rigid in (False, True):
        state: list[TrackState] = []
        track = _propagate(frames, mask, key, ends[step], forward, backward, model, rigid=rigid, background=background,
                           state=state)
        trips[rigid] = (step, list(itertools.islice(track, reach)), track, state)
    there = {rigid: trip[1][-1][1] for rigid, trip in trips.items()}
    if _iou(there[False], there[True]) > SELECT_AGREE:
        return RoundTrips(None, trips)
    scores = []
    for rigid in (False, True):
        back = there[rigid]
        for _, back in _propagate(frames, there[rigid], far, key - step, forward, backward, model, rigid=rigid,
                                  background=background):
            pass
        scores.append(_iou(back, mask))
    log.debug("round trips over %d frames from frame %d: flow %.3f, similarity %.3f", reach, key, *scores)
    return RoundTrips((scores[0], scores[1]), trips)


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


#: the object counts as in view while its mask keeps this share of its remembered shape's area
IN_VIEW = 0.5

#: pixels: a pixel whose motion is this close to the background's (and closer to it than to the
#: object's) moves with the background; an object whose centre moves this close to it moves with it
BACKGROUND_TOLERANCE = 1.0

#: at most this many object pixels are sampled for the RANSAC fit
FIT_SAMPLES = 400


class SimilarityFit(NamedTuple):
    """The object's and the background's similarities (``(2,3)`` float64, or None), as fitted on one flow."""

    object: np.ndarray | None
    background: np.ndarray | None

    def background_pixels(self, where: np.ndarray, flow_back: np.ndarray) -> np.ndarray:
        """``(H,W)`` bool: the ``where`` pixels whose motion the background's similarity explains
        (within :data:`BACKGROUND_TOLERANCE` pixels) better than the object's.

        ``flow_back`` ``(H,W,2)`` maps the new frame to the one the similarities were fitted on.
        """
        out = np.zeros_like(where)
        if self.object is None or self.background is None or not where.any():
            return out
        ys, xs = np.nonzero(where)
        here = np.stack([xs, ys], 1).astype(np.float32)
        before = here + flow_back[ys, xs]
        off_object = np.linalg.norm(before @ self.object[:, :2].T + self.object[:, 2] - here, axis=1)
        off_background = np.linalg.norm(before @ self.background[:, :2].T + self.background[:, 2] - here, axis=1)
        out[ys, xs] = (off_background < off_object) & (off_background < BACKGROUND_TOLERANCE)
        return out


def _fit_similarity(mask: np.ndarray, flow: np.ndarray, *, velocity: np.ndarray | None = None) -> SimilarityFit:
    """The similarities (rotation, scale, shift) of the object in ``mask`` and of its surroundings.

    Both are fitted with RANSAC (``cv2.estimateAffinePartial2D``) to ``flow``: the background's on a
    ring 3-12 pixels around the mask, the object's on the mask's pixels.  An occluder's vectors
    inside the mask are RANSAC's outliers.  When the object moves against the background (its
    ``velocity``, the last similarity fitted while it was in view, or else the fit on all its
    pixels, moves its centre more than :data:`BACKGROUND_TOLERANCE` pixels away from where the
    background's would), the object's similarity is fitted again without the pixels the
    background's explains within that tolerance: a thin object's mask is mostly its edges, whose
    vectors are the background's, and left in they win the vote and the mask slides off with the
    camera (they are kept where fewer than a fifth of the pixels would remain).

    Shape: mask ``(H,W)`` bool; flow ``(H,W,2)`` float32 from the mask's frame to the next;
    velocity ``(2,3)`` or None.
    """
    ys, xs = np.nonzero(mask)
    if len(xs) < 9:
        return SimilarityFit(None, None)
    ring = _dilate(mask, 12) & ~_dilate(mask, 3)
    background = _ransac_similarity(*np.nonzero(ring), flow, threshold=1.0)
    plain = _ransac_similarity(ys, xs, flow, threshold=2.0)
    reference = plain if velocity is None else velocity
    if background is None or reference is None:
        return SimilarityFit(plain, background)
    centre = np.array([xs.mean(), ys.mean()])
    if np.linalg.norm(reference @ [*centre, 1.0] - background @ [*centre, 1.0]) <= BACKGROUND_TOLERANCE:
        return SimilarityFit(plain, background)  # it moves with the background: nothing to tell apart
    here = np.stack([xs, ys], 1).astype(np.float32)
    own = np.linalg.norm(here + flow[ys, xs] - (here @ background[:, :2].T + background[:, 2]), axis=1) > BACKGROUND_TOLERANCE
    if own.sum() < max(9, 0.2 * len(xs)):
        return SimilarityFit(plain, background)
    return SimilarityFit(_ransac_similarity(ys[own], xs[own], flow, threshold=2.0), background)


def _ransac_similarity(ys: np.ndarray, xs: np.ndarray, flow: np.ndarray, *, threshold: float) -> np.ndarray | None:
    if len(xs) < 9:
        return None
    step = max(1, len(xs) // FIT_SAMPLES)
    source = np.ascontiguousarray(np.stack([xs, ys], 1).astype(np.float32)[::step])
    target = np.ascontiguousarray(source + flow[ys[::step], xs[::step]])
    matrix, _ = cv2.estimateAffinePartial2D(source, target, method=cv2.RANSAC, ransacReprojThreshold=threshold)
    return matrix


def _affine(mask: np.ndarray, matrix: np.ndarray) -> np.ndarray:
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

    def refine(self, frame: np.ndarray, warped: np.ndarray, unreliable: np.ndarray | None = None,
               plate: PlateHistory | None = None) -> np.ndarray:
        """``(H,W)`` bool refined mask of ``frame`` from the ``(H,W)`` bool ``warped`` mask.

        ``unreliable`` ``(H,W)`` bool marks warped pixels whose flow failed the consistency check:
        there the shape prior is dropped and the colours alone decide.  Where ``warped`` is empty
        (the object wholly hidden), the colours decide on the ``unreliable`` pixels alone, so an
        object can come back from behind an occluder that hid all of it.  ``plate``: the track's
        background plates (:mod:`vinpaint.masks.track.plates`), whose evidence is added to the colours'.
        """
        seed = warped if warped.any() or unreliable is None else unreliable
        if not seed.any():
            return warped
        h, w = warped.shape
        ys, xs = np.nonzero(seed)
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
            background = _histogram(index, self._ring(roi_mask if roi_mask.any() else roi_unreliable))
            background = (1 - self.anchor_share) * background + self.anchor_share * self.anchor_background
            logit = logit + self.weight * _logit(self._likelihood(index, self.object_hist, background))
        evidence = plate.evidence((slice(y0, y1), slice(x0, x1))) if plate is not None else None
        if evidence is not None:
            logit = logit + evidence
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


def _erode(mask: np.ndarray, pixels: int, *, frame_edge: bool = False) -> np.ndarray:
    """``mask`` eroded by a disc; ``frame_edge``: the mask goes on beyond the array's edge (no erosion from it)."""
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * pixels + 1, 2 * pixels + 1))
    if frame_edge:
        return cv2.erode(mask.astype(np.uint8), kernel, borderType=cv2.BORDER_REPLICATE) > 0
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
