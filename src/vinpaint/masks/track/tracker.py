"""Mask tracking: keyframe masks propagated through a whole clip, forwards and backwards.

Each object starts from its keyframe masks (anchors, :mod:`.anchors`) and is tracked from each
anchor forwards and backwards (:mod:`.propagate`): carried along the optical flow (Farnebäck with a
small window by default) averaged over the object, or rigidly by a similarity fitted to it
(:mod:`.motion`), and refined against each frame by a colour model (:mod:`.colour`) helped by
background plates (:mod:`.plates`).  With ``motion="auto"`` each object's model is chosen by round
trips from its anchors.

Between two anchors of one object, the forward track from the earlier and the backward track from
the later are blended with weights falling linearly with the distance in frames, so a later anchor
resets drift.  Each object's soft mask is then smoothed in time along the flow (a pixel is averaged
with its flow-aligned neighbours in the previous and next frames), so its edge does not jitter from
frame to frame, and a 3x3 median removes the specks the colour model leaves in the background.

A clip whose long side exceeds ``work_size`` (480 px by default) is tracked downscaled to it, flow
included, and the soft masks are upsampled: at 854x480 that is a quarter of the pixels.

A mask drawn with a margin around its object keeps that margin: the margin is measured on each
anchor (:func:`.anchors.estimate_mask_margin`), the object is tracked by its anchors eroded by it
(the margin's colours are the background's, so the colour model would otherwise eat it away), and
every tracked mask is dilated by it again.

Measured accuracy (``benchmarks/mask_tracking.py``) is far from learned trackers on hard clips (a
thin, fast object before a background of its own colours); see the README, "Measured tracking accuracy".

Convention: see :mod:`vinpaint.arrays`.  Object ids are the non-zero values of the init masks
(a bool mask is object 1); the same id at several frames is one object re-anchored there.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Mapping, Sequence

import cv2
import numpy as np

from ...arrays import check_flow, check_frames
from ...errors import InvalidArrayError, InvalidOptionError
from ...flow import resize_flow, warp
from ...io.shots import cuts_for_option, detect_cuts, shot_spans
from ...options import TRACK_WORK_SIZE
from ...threads import map_threads
from .. import MASK_SOURCES
from .anchors import estimate_mask_margin, split_anchors
from .colour import ColourModel
from .confidence import TrackConfidence
from .morphology import erode
from .motion import MOTION_MODELS, PendingFlows
from .plates import BackgroundMotion
from .propagate import TrackState, propagate, round_trips
from .settings import TRACKER_SETTINGS, TrackerSettings

log = logging.getLogger(__name__)

Progress = Callable[[int, int | None], None]


def working_shape(h: int, w: int, work_size: int | None) -> tuple[int, int]:
    """``(h, w)`` scaled so that its long side is at most ``work_size`` (unchanged if None or smaller)."""
    if work_size is None or max(h, w) <= work_size:
        return h, w
    scale = work_size / max(h, w)
    return max(1, round(h * scale)), max(1, round(w * scale))


def shrink_mask(mask: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """``(H,W)`` bool ``mask`` resized to ``shape`` by area (half-covered pixels kept); never emptied."""
    area = cv2.resize(mask.astype(np.float32), shape[::-1], interpolation=cv2.INTER_AREA)
    out = area >= 0.5
    return out if out.any() or not mask.any() else area > 0


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
    shots: str | Sequence[int] = "auto",
    work_size: int | None = TRACK_WORK_SIZE,
    confidence: TrackConfidence | None = None,
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
            (0.43 mean IoU on the benchmark against 0.39 for DIS medium).
        flow_scale: estimate the flow at this fraction of the size (faster, rougher).
        band: half-width in pixels of the band around the warped edge the colour model may change
            (0: no refinement).
        refine: refine every warped mask against its frame with the colour model (False: warp only).
        smooth: radius in frames of the flow-aligned temporal smoothing (0 = off).
        flows: precomputed ``(forward, backward)`` from :func:`vinpaint.flow.estimate_flow`.
        progress: ``progress(done, total)`` in frames of the clip, called after each frame pair's flow
            (when ``flows`` is not given) and as each object is tracked; it ends at ``(T, T)``.
        motion: how masks move between frames, one of :data:`MOTION_MODELS`: ``"flow"`` (per
            pixel), ``"similarity"`` (rigidly, RANSAC fit to the flow in the mask) or ``"auto"``
            (default: per anchor, whichever returns closer to the anchor after a round trip of up
            to 20 frames; it costs about 20 extra frames of tracking per object).
        plate: help the colour model with background plates (:mod:`vinpaint.masks.track.plates`): each
            frame is compared with the frames the track passed 2-10 frames before, aligned by the
            background's motion, with the object left out; what matches them is background.
            Measured against off, from first-frame masks: mean IoU 0.552 -> 0.637 (bmx-trees),
            0.743 -> 0.815 (tennis), 0.763 -> 0.812 (schoolgirls), at 1.3-2x the tracking time.
        shots: shot cuts, never tracked across: ``"auto"`` (detected, :mod:`vinpaint.io.shots`),
            ``"none"``, a text file of cut frames, or a list of them.  Each shot is tracked from its own
            keyframes; a shot without one gets an empty mask and a logged warning naming its frames.
        work_size: the long side, in pixels, at which the masks are tracked (default
            :data:`vinpaint.options.TRACK_WORK_SIZE`, 480): a larger clip is tracked downscaled (854x480
            at 480x270), flow included, and each object's soft mask is upsampled (bilinear) before the
            0.5 threshold; the init masks are kept exactly.  None tracks at the frames' own size (about 3x
            slower at 854x480).
        confidence: an empty :class:`TrackConfidence` to fill with how sure the tracker was of each
            frame (per object and per frame, and the frames it calls unsure); the masks are the same
            with or without it.

    Raises:
        InvalidOptionError: empty ``init``, a keyframe outside the clip, an unknown id or ``motion``.
        MaskMismatchError: an init mask of another size than the frames.

    An init mask drawn with a margin around its object (measured by :func:`estimate_mask_margin`)
    keeps that margin in every tracked frame; the init masks themselves are returned unchanged.

    Speed, flow included: see ``benchmarks/mask_tracking.py`` and docs/masks.md (the Farnebäck flow is
    a third to a half of it; the background plates take 1.2-1.8x of the time without them).  Pass ``flows``
    when tracking again on the same frames (at the frames' size: they are resized to the working size).
    Without ``flows``, the flow is estimated on threads while the first object is tracked (each step
    waits only for the frame pair it reads), and the masks are the same as with the finished flow.
    """
    labels = track_objects(frames, init, ids=ids, flow=flow, flow_scale=flow_scale, band=band, refine=refine,
                           smooth=smooth, flows=flows, progress=progress, motion=motion, plate=plate, shots=shots,
                           work_size=work_size, confidence=confidence)
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
    settings: TrackerSettings = TRACKER_SETTINGS,
    shots: str | Sequence[int] = "auto",
    work_size: int | None = TRACK_WORK_SIZE,
    confidence: TrackConfidence | None = None,
) -> np.ndarray:
    """Like :func:`track_masks` but keeps the objects apart: ``(T,H,W)`` int32 labels (0 = none).

    Where two objects claim a pixel, the one with the higher tracked confidence wins.  Objects are
    tracked one after the other, and the pixels of those already tracked are left out of the
    background plates of those that follow (they are not background: in a uniform, one girl
    walking where another stood looks like her plate).
    ``settings``: the tracker's internal tunables (:class:`TrackerSettings`), for experiments.
    """
    frames = check_frames(frames)
    t, h, w = frames.shape[:3]
    anchors = split_anchors(init, t, h, w, ids)
    cuts = cuts_for_option(shots, frame_count=t) if isinstance(shots, str) else sorted(int(cut) for cut in shots)
    if cuts is None:
        cuts = detect_cuts(frames)
    spans = shot_spans(cuts, t)
    if confidence is not None:
        confidence.start(t, tracked=len(spans) == 1)
    if len(spans) > 1:
        return _track_shots(frames, init, spans, anchors, flows=flows, progress=progress, confidence=confidence,
                            options=dict(flow=flow, flow_scale=flow_scale, band=band, refine=refine, smooth=smooth,
                                         motion=motion, plate=plate, settings=settings, work_size=work_size))
    if band < 0:
        raise InvalidOptionError(f"band must be >= 0 pixels, got {band}")
    if smooth < 0:
        raise InvalidOptionError(f"smooth must be >= 0 frames, got {smooth}")
    if motion not in MOTION_MODELS:
        raise InvalidOptionError(f"motion must be one of {', '.join(MOTION_MODELS)}, got {motion!r}")
    if work_size is not None and work_size < 16:
        raise InvalidOptionError(f"work_size must be at least 16 pixels (or None: the frames' own size), got {work_size}")
    # progress counts steps (the flow's frame pairs when estimated here, and each object's frames),
    # reported in frames of the clip so that every mask source ends at (T, T)
    flow_steps = t - 1 if flows is None else 0
    steps = flow_steps + t * len(anchors)

    def report(step: int) -> None:
        if progress:
            progress(step * t // steps, t)

    work = working_shape(h, w, work_size)
    small = frames if work == (h, w) else np.stack(list(map_threads(
        lambda frame: cv2.resize(frame, work[::-1], interpolation=cv2.INTER_AREA), frames)))
    if work != (h, w):
        log.debug("tracking at %dx%d, the soft masks upsampled to %dx%d", work[1], work[0], w, h)
    with_plates = plate and refine and band and t > 1
    pending = None
    if flows is None:
        # the flow is estimated on threads while the first object is tracked: each step waits only
        # for the pair it reads (the threads also fit the background's homographies for the plates)
        pending = PendingFlows(small, method=flow, scale=flow_scale, homographies=bool(with_plates)) if t > 1 else None
        forward, backward = (pending.forward, pending.backward) if pending is not None else (None, None)
    else:
        forward, backward = (check_flow(f, (h, w), name=name) for f, name in zip(flows, ("forward flow", "backward flow")))
        if len(forward) != t - 1 or len(backward) != t - 1:
            raise InvalidArrayError(f"flows must hold {t - 1} fields each for {t} frames, got {len(forward)} and {len(backward)}")
        if work != (h, w):
            forward, backward = (np.stack([resize_flow(field, work) for field in f]) if len(f) else f[:, :0]
                                 for f in (forward, backward))
    try:
        background = None
        if with_plates:
            background = (BackgroundMotion(forward, backward) if pending is None else
                          BackgroundMotion(forward, backward, fitted=(pending.to_next, pending.to_previous)))
        labels = np.zeros((t, h, w), np.int32)
        best = np.zeros((t, h, w), np.float32) if work == (h, w) else None
        softs = {}  # at the working size: each object's soft mask, uint8 (0-255), upsampled below
        claimed = None
        shown = [0, 0]  # flow pairs and object frames reported so far: one step each
        for number, (object_id, keyed) in enumerate(anchors.items()):
            shown[1] = number * t
            tracked = itertools.count(1)

            def on_frame(number=number, tracked=tracked) -> None:
                # the flow pairs finished meanwhile, then this frame, each a step of its own
                done = pending.done() if pending is not None else flow_steps
                while shown[0] < done:
                    shown[0] += 1
                    report(sum(shown))
                shown[1] = min(number * t + next(tracked), (number + 1) * t)
                report(sum(shown))

            small_keyed = keyed if work == (h, w) else {key: shrink_mask(mask, work) for key, mask in keyed.items()}
            steps_seen = None if confidence is None else {}
            soft = _track_object(small, small_keyed, forward, backward, band=band if refine else 0, smooth=smooth,
                                 motion=motion, settings=settings, on_frame=None if progress is None else on_frame,
                                 background=None if background is None else background.excluding(claimed),
                                 notes=steps_seen)
            if pending is not None:
                pending.fields()  # every pair is estimated by now (the object's smoothing reads them all)
            if progress is not None:
                while shown[0] < flow_steps:
                    shown[0] += 1
                    report(sum(shown))
            if confidence is not None:
                confidence.add_object(object_id, steps_seen)
            # the objects tracked so far are no background for those that follow (girls in one uniform)
            claimed = soft > 0.5 if claimed is None else claimed | (soft > 0.5)
            if best is not None:
                wins = (soft > 0.5) & (soft > best)
                labels[wins] = object_id
                np.maximum(best, soft, out=best)
            else:
                softs[object_id] = np.round(soft * 255).astype(np.uint8)
            report(flow_steps + (number + 1) * t)
            log.debug("object %d: tracked from frames %s", object_id, sorted(keyed))
    finally:
        if pending is not None:
            pending.close()
    if best is not None:
        return labels
    # tracked at the working size: each frame's soft masks upsampled (bilinear), the inits kept exactly

    def upsample(frame: int) -> None:
        # compared as uint8: v / 255 > 0.5 is v >= 128, and v / 255 grows with v (an init is 0 or 255)
        best = np.zeros((h, w), np.uint8)
        for object_id, soft in softs.items():
            keyed = anchors[object_id]
            if frame in keyed:
                up = keyed[frame].view(np.uint8) * np.uint8(255)
            elif soft[frame].max() < 128:
                continue  # a bilinear upsampling never exceeds its input: no pixel above 0.5
            else:
                up = cv2.resize(soft[frame], (w, h), interpolation=cv2.INTER_LINEAR)
            wins = (up >= 128) & (up > best)
            labels[frame][wins] = object_id
            np.maximum(best, up, out=best)

    for _ in map_threads(upsample, range(t)):
        pass  # each frame on its own: OpenCV and NumPy release the GIL
    return labels


def _track_shots(frames: np.ndarray, init: Mapping[int, np.ndarray], spans: list[tuple[int, int]],
                 anchors: dict[int, dict[int, np.ndarray]], *, flows, progress: Progress | None,
                 options: dict, confidence: TrackConfidence | None = None) -> np.ndarray:
    """:func:`track_objects` run on each shot alone, from the keyframes within it; labels ``(T,H,W)`` int32."""
    t, h, w = frames.shape[:3]
    labels = np.zeros((t, h, w), np.int32)
    for start, stop in spans:
        keyed_ids = sorted(object_id for object_id, keyed in anchors.items() if any(start <= key < stop for key in keyed))
        if not keyed_ids:
            log.warning("frames %d-%d are a shot of their own (cuts at %d and %d) with no keyframe mask: they get no "
                        "mask; give a keyframe within them to track an object there", start, stop - 1, start, stop)
            continue
        shot_flows = None if flows is None else tuple(f[start:stop - 1] for f in flows)
        shot_progress = None if progress is None else (lambda done, total, start=start: progress(start + done * (stop - start) // max(total or 1, 1), t))
        log.debug("tracking shot %d-%d from its keyframes", start, stop - 1)
        shot_confidence = None if confidence is None else TrackConfidence()
        labels[start:stop] = track_objects(frames[start:stop], {key - start: mask for key, mask in init.items()
                                                               if start <= key < stop},
                                           ids=keyed_ids, flows=shot_flows, progress=shot_progress, shots="none",
                                           confidence=shot_confidence, **options)
        if confidence is not None:
            confidence.add_shot(start, shot_confidence)
    if progress:
        progress(t, t)
    return labels


def _track_object(frames, keyed: dict[int, np.ndarray], forward, backward, *, band: int, smooth: int,
                  motion: str, background: BackgroundMotion | None,
                  settings: TrackerSettings = TRACKER_SETTINGS,
                  on_frame: Callable[[], None] | None = None, notes: dict | None = None) -> np.ndarray:
    """Soft ``(T,H,W)`` float32 mask of one object from its anchors; ``on_frame()`` after each tracked frame.

    ``notes``: a dict that gets ``{(anchor, direction): [(weight, StepNote), ...]}``: each track's notes
    (:mod:`.confidence`) in the order of its frames away from the anchor, with the weights its masks
    were blended with.
    """
    t = len(frames)
    keys = sorted(keyed)
    # a mask drawn with a margin around its object is tracked by its core (the margin's colours
    # are the background's, so the colour model would eat it away) and the margin is put back after
    margin = int(np.median([estimate_mask_margin(frames[key], keyed[key]) for key in keys])) if band else 0
    cores = {key: erode(mask, margin, frame_edge=True) if margin else mask for key, mask in keyed.items()}
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
    models = {key: ColourModel(frames[key], cores[key], band, settings=settings) if band else None for key in keys}
    trials = {}
    if motion == "auto":
        # how an object moves is the object's own: the round trips of all its anchors vote together,
        # so one anchor where the object is mostly hidden cannot choose the model for its stretch
        trials = {key: round_trips(frames, cores[key], key, bounds[key], forward, backward, models[key], background,
                                   settings=settings)
                  for key in keys}
        votes = np.array([trial.scores for trial in trials.values() if trial.scores is not None]).reshape(-1, 2)
        rigid = bool(len(votes)) and votes[:, 1].sum() > votes[:, 0].sum() + settings.select_margin * len(votes)
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
                seen = chosen[4]
            else:
                seen = {}
                track = propagate(frames, cores[key], key, stop, forward, backward, models[key], rigid=rigid,
                                  background=background, carry=carry, state=arrived, settings=settings, notes=seen)
            span = abs(stop - key)
            bounded = stop not in (t, -1)
            for frame, current in track:
                # an anchor rules its neighbourhood; between two anchors weights fall linearly
                w_frame = max(1.0 - abs(frame - key) / span, 1e-3) if bounded else 1.0
                soft[frame] += w_frame * current
                weight[frame] += w_frame
                if notes is not None:
                    notes.setdefault((key, step), []).append((w_frame, seen[frame]))
                if on_frame is not None:
                    on_frame()
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
        if settings.speck_median:
            soft[frame] = cv2.medianBlur(soft[frame], settings.speck_median)
        if kernel is not None:
            soft[frame] = cv2.dilate(soft[frame], kernel)
    return soft


def _smooth_along_flow(soft: np.ndarray, forward, backward, radius: int, *, keep: set[int]) -> np.ndarray:
    """Average each frame's soft mask with its flow-aligned neighbours up to ``radius`` frames away."""
    t = len(soft)
    out = soft.copy()
    # each flow's largest motion, which bounds how far a warp can carry a non-zero pixel
    reach_back = [int(np.ceil(np.abs(field).max(initial=0.0))) for field in backward]
    reach_forward = [int(np.ceil(np.abs(field).max(initial=0.0))) for field in forward]
    for _ in range(radius):
        current = out.copy()
        for frame in range(t):
            if frame in keep:
                continue
            total = current[frame].copy()
            count = 1.0
            if frame > 0:
                _add_warped(total, current[frame - 1], backward[frame - 1], reach_back[frame - 1])
                count += 1
            if frame + 1 < t:
                _add_warped(total, current[frame + 1], forward[frame], reach_forward[frame])
                count += 1
            out[frame] = total / count
    return out


def _add_warped(total: np.ndarray, image: np.ndarray, flow: np.ndarray, reach: int) -> None:
    """``total += warp(image, flow)``, computed only near ``image``'s non-zero pixels.

    ``reach`` is at least ``flow``'s largest component: a pixel further than ``reach + 1`` from the box
    around the non-zero pixels reads only zeros (its bilinear taps, also once the border replicates,
    lie outside that box), so the sum is the same as the whole frame's.
    Shape: ``total``, ``image`` ``(H,W)`` float32; ``flow`` ``(H,W,2)``.
    """
    rows, cols = np.nonzero(image.any(1))[0], np.nonzero(image.any(0))[0]
    if not len(rows):
        return
    h, w = image.shape
    pad = reach + 2
    box = (slice(max(0, rows[0] - pad), min(h, rows[-1] + 1 + pad)),
           slice(max(0, cols[0] - pad), min(w, cols[-1] + 1 + pad)))
    total[box] += warp(image, flow, box=box)


MASK_SOURCES.register("track", description="keyframe masks tracked through the clip (flow + colour model)")(track_masks)
