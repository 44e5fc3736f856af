"""One object's track from one anchor, frame by frame, and the round trips that choose its motion model.

The mask is carried along the flow by backward warping (an occluder that moves in front brings its
own, empty, history with it), or rigidly by a similarity (:mod:`.motion`), then refined against the
frame by the colour model (:mod:`.colour`).  Where the flow fails the forward-backward check
(Sundaram et al. ECCV 2010), the warped label is a guess and the colours decide.  The object's
fullest recent shape is remembered and moved with it; pixels of it the warp lost (an occluder hid
them) are offered back to the colour model, so the object regrows once the occluder has passed.
With the rigid model, once less than ``in_view`` of the remembered shape is seen, the shape keeps
the last fitted similarity (constant velocity, as a Kalman tracker coasts through an occlusion).
The warps and the forward-backward check of each step are computed only in a box around the object
(grown by its largest motion and ``settings.box_pad``), with the same values the whole frame gives there.

The motion model is chosen by round trips (:func:`round_trips`): track away from the anchor and
back with each model and keep the one that returns closer to the anchor mask, a self-check in the
spirit of the forward-backward error of Kalal et al. (ICPR 2010).
"""

from __future__ import annotations

import itertools
import logging
from typing import NamedTuple

import cv2
import numpy as np

from .colour import ColourModel
from .confidence import StepNote
from .motion import fit_similarity, move_affine, move_by_median, object_flow
from .plates import BackgroundMotion, PlateHistory
from .settings import TRACKER_SETTINGS, TrackerSettings

log = logging.getLogger(__name__)


class TrackState(NamedTuple):
    """What a track hands over to the next anchor's track at one frame (see :func:`propagate`)."""

    frame: int
    velocity: np.ndarray | None  # ``(2,3)``: its last similarity fitted while mostly in view


def propagate(frames, mask: np.ndarray, key: int, stop: int, forward, backward, model: ColourModel | None, *,
              rigid: bool, background: BackgroundMotion | None = None, carry: TrackState | None = None,
              state: list | None = None, settings: TrackerSettings = TRACKER_SETTINGS,
              notes: dict | None = None):
    """Yield ``(frame, (H,W) bool mask)`` from ``key`` (exclusive) towards ``stop`` (exclusive).

    ``carry``: the state of a track of the same object, in the same direction, at the frame just
    before ``key``: an anchor corrects the mask but keeps that track's motion (rigid model), so an
    anchor drawn while an occluder hides most of the object still knows where it is going.
    ``state``: a list whose last item becomes the :class:`TrackState` of each frame yielded.
    ``background``: the clip's background motion; given, the colour model is helped by background
    plates built from the frames this track has passed (:mod:`vinpaint.masks.track.plates`).
    ``notes``: a dict that gets ``{frame: StepNote}`` for each frame yielded, what the step saw of its
    own reliability (:mod:`.confidence`); it changes nothing in the masks.
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
        in_view = current.sum() >= settings.in_view * memory.sum()
        if velocity is not None and not in_view:
            # mostly hidden: the few pixels still seen no longer tell where it goes; it keeps its
            # last motion (constant velocity) until it comes out again
            moved = move_affine(memory, velocity)
        else:
            moved = move_by_median(memory, reverse, current)
        previous = current
        # the flow-based steps look only at a box around the object: where it was, where its
        # remembered shape is, grown by its largest motion and by the reach of the flow's smoothing
        box = _motion_box(previous | memory | moved, reverse, pad=settings.box_pad)
        flow_box = flow[box]
        # the flow smoothed over the object's own, reliable pixels: one pixel's wrong vector (a
        # thin limb, a passing branch) no longer tears the mask apart
        warped = warp_in_box(previous.astype(np.float32), flow_box, box) > 0.5
        flow_box = object_flow(flow_box, warped & consistency_in_box(flow_box, reverse, box),
                               settings.object_flow_sigma)
        current = np.zeros_like(previous)
        current[box] = warp_in_box(previous.astype(np.float32), flow_box, box) > 0.5
        fit = None
        undecided = 0
        if rigid and current.any():
            fit = fit_similarity(previous, reverse, velocity=velocity, settings=settings)
            if fit.object is not None:
                current = move_affine(previous, fit.object)
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
                hidden &= ~fit.background_pixels(hidden, raw, settings=settings)
            unsure = hidden
            unsure[box] |= ~consistency_in_box(flow_box, reverse, box) & current[box]
            undecided = int(np.count_nonzero(unsure))
            carried = current
            current = model.refine(frames[frame], current, unsure, plate)
        else:
            carried = current
        if notes is not None:
            notes[frame] = StepNote(frame, int(np.count_nonzero(current)), int(np.count_nonzero(carried)),
                                    int(np.count_nonzero(current ^ carried)), undecided,
                                    int(np.count_nonzero(moved)))
        memory = current if current.sum() >= settings.memory_keep * moved.sum() else (moved | current)
        if state is not None:
            state.append(TrackState(frame, velocity))
            del state[:-1]
        yield frame, current


class RoundTrips(NamedTuple):
    """The two motion models' round trips from one anchor (see :func:`round_trips`)."""

    #: ``(flow IoU, similarity IoU)`` of each round trip's end with the anchor mask, or None where
    #: the trips were not made (too short a stretch, or both models agree on the far frame)
    scores: tuple[float, float] | None
    #: ``{rigid: (step, masks, generator, state, notes)}``: each model's outbound trip so far as ``(frame,
    #: mask)`` pairs, the generator that continues it, the list its :class:`TrackState` is kept
    #: in and the dict its :class:`~.confidence.StepNote` are kept in (None where the stretch is too short)
    outbound: dict[bool, tuple | None]


def round_trips(frames, mask: np.ndarray, key: int, ends: dict[int, int], forward, backward, model,
                background: BackgroundMotion | None, *, settings: TrackerSettings = TRACKER_SETTINGS) -> RoundTrips:
    """Each motion model's round trip from the anchor: how consistently it tracks the object.

    Tracks ``mask`` up to ``settings.select_frames`` frames away from ``key`` (forwards where the
    clip allows, else backwards) with each model, back again, and compares each round trip's end
    with ``mask`` by IoU: a self-check that needs no ground truth (where both models agree on the
    far frame, with an IoU above ``settings.select_agree``, there is no round trip and no score).
    """
    for step, stop in ends.items():
        reach = min(settings.select_frames, abs(stop - key) - 1)
        if reach >= 2:
            break
    else:
        return RoundTrips(None, {False: None, True: None})
    far = key + step * reach
    trips = {}
    for rigid in (False, True):
        state: list[TrackState] = []
        notes: dict = {}
        track = propagate(frames, mask, key, ends[step], forward, backward, model, rigid=rigid, background=background,
                          state=state, settings=settings, notes=notes)
        trips[rigid] = (step, list(itertools.islice(track, reach)), track, state, notes)
    there = {rigid: trip[1][-1][1] for rigid, trip in trips.items()}
    if iou(there[False], there[True]) > settings.select_agree:
        return RoundTrips(None, trips)
    scores = []
    for rigid in (False, True):
        back = there[rigid]
        for _, back in propagate(frames, there[rigid], far, key - step, forward, backward, model, rigid=rigid,
                                 background=background, settings=settings):
            pass
        scores.append(iou(back, mask))
    log.debug("round trips over %d frames from frame %d: flow %.3f, similarity %.3f", reach, key, *scores)
    return RoundTrips((scores[0], scores[1]), trips)


def iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two bool masks (1.0 when both are empty)."""
    union = np.count_nonzero(a | b)
    return 1.0 if union == 0 else np.count_nonzero(a & b) / union


def _motion_box(mask: np.ndarray, motion: np.ndarray, *, pad: int) -> tuple[slice, slice]:
    """The box ``(rows, cols)`` around ``mask`` ``(H,W)`` bool grown by ``pad`` pixels plus the
    largest ``motion`` ``(H,W,2)`` of its pixels (the whole frame when the mask is empty)."""
    h, w = mask.shape
    if not mask.any():
        return slice(0, h), slice(0, w)
    rows, cols = np.nonzero(mask.any(1))[0], np.nonzero(mask.any(0))[0]
    y0, y1, x0, x1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    reach = pad + int(np.ceil(np.abs(motion[y0:y1, x0:x1][mask[y0:y1, x0:x1]]).max(initial=0.0)))
    return slice(max(0, y0 - reach), min(h, y1 + reach)), slice(max(0, x0 - reach), min(w, x1 + reach))


def warp_in_box(image: np.ndarray, flow: np.ndarray, box: tuple[slice, slice]) -> np.ndarray:
    """:func:`vinpaint.flow.warp` of the whole ``image`` ``(H,W[,C])``, computed only in ``box``.

    ``flow`` is the box's part of the flow ``(h,w,2)``; returns the box's part ``(h,w[,C])``, the same
    values the whole-frame warp has there (it reads ``image`` beyond the box).
    """
    rows, cols = box
    h, w = flow.shape[:2]
    grid_x, grid_y = np.meshgrid(np.arange(cols.start, cols.start + w, dtype=np.float32),
                                 np.arange(rows.start, rows.start + h, dtype=np.float32))
    return cv2.remap(image, grid_x + flow[..., 0], grid_y + flow[..., 1], cv2.INTER_LINEAR,
                     borderMode=cv2.BORDER_REPLICATE)


def consistency_in_box(flow: np.ndarray, reverse: np.ndarray, box: tuple[slice, slice], *,
                       alpha: float = 0.01, beta: float = 0.5) -> np.ndarray:
    """:func:`vinpaint.flow.consistency` (Sundaram et al. ECCV 2010) computed only in ``box``.

    Shape: ``flow`` ``(h,w,2)`` the box's part of the flow a->b; ``reverse`` ``(H,W,2)`` the whole
    flow b->a; returns ``(h,w)`` bool.
    """
    rows, cols = box
    back = warp_in_box(reverse, flow, box)
    fx, fy, bx, by = flow[..., 0], flow[..., 1], back[..., 0], back[..., 1]
    lhs = (fx + bx) ** 2 + (fy + by) ** 2
    bound = alpha * (fx * fx + fy * fy + bx * bx + by * by) + beta
    H, W = reverse.shape[:2]
    h, w = flow.shape[:2]
    xs = np.arange(cols.start, cols.start + w, dtype=np.float32)[None] + flow[..., 0]
    ys = np.arange(rows.start, rows.start + h, dtype=np.float32)[:, None] + flow[..., 1]
    inside = (xs >= 0) & (xs <= W - 1) & (ys >= 0) & (ys <= H - 1)
    return (lhs < bound) & inside
