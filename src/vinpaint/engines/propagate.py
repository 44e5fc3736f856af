"""The default engine: flow-guided propagation with keyframe synthesis for never-seen regions.

Steps (after Gao et al., FGVC, ECCV 2020, and the non-learned propagation of Zhou et al.,
ProPainter, ICCV 2023):

1. optical flow between neighbouring frames, both directions (DIS by default);
2. flow completion: the flow inside each hole is replaced by the harmonic interpolation of the flow
   around it, so the background's motion, not the removed object's, guides the fill;
3. bidirectional propagation of known pixels along the completed flow with a forward-backward
   consistency check, candidates from past and future fused (:mod:`vinpaint.engines.propagation`;
   averaged, or with ``fuse="choose"`` one direction per region where they disagree); pixels with weak
   support (one direction only, or two that disagree) can be hedged with a smooth spatial fill
   (``one_sided_prior``, ``disagreement_prior``: off by default, the hedge reads as smoke);
4. pixels no frame shows: one keyframe is filled spatially and that fill is propagated to the other
   frames like real content, so it moves with the scene instead of boiling; repeated, keyframe after
   keyframe, until nothing is left;
5. robust flow (frame-recurrent inpainting with robust flow): the flow is estimated again on the filled frames, where the estimator
   sees no hole edge, completed inside the holes only, and steps 3-4 are run again with it;
6. seamless (gradient-domain) blending of each frame's fill, then a two-sided temporal average
   along the flow.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np

from ..arrays import bounding_box, dilate_mask, mask_pixels, mix, occupied_box, to_uint8, vector_words
from ..composite import poisson_blend
from ..errors import InvalidOptionError
from ..flow import complete_flow, make_flow_estimator, resize_flow
from ..flow.estimators import gray_for_flow
from ..fill import SPATIAL_FILLERS, fill_spatial
from ..threads import map_threads
from .propagation import FlowPairs, both_directions, propagate_with_pixels, sample_points
from . import ENGINES

log = logging.getLogger(__name__)

# the robust-flow pass's flow box (:func:`flow_box`): on filled frames there is no hole edge whose motion
# the estimator must follow out of the box, so the box only gives DIS's coarse levels context
_REFINE_REACH, _REFINE_LEAST = 0.05, 32
# past and future candidates closer than this (mean absolute RGB difference) are taken as they are
_AGREE = 16.0
# ... and the prior's weight reaches ``disagreement_prior`` this much further apart
_DISAGREE_SPAN = 64.0
#: ways of combining past and future candidates (the engine's ``fuse``)
FUSE_MODES = ("average", "choose")


def completed_flows(
    frames: np.ndarray,
    holes: np.ndarray,
    *,
    flow: str = "dis-lean",
    flow_scale: float = 1.0,
    flow_margin: int = 20,
    completion_scale: float = 0.25,
    reach: float = 0.15,
    least: int = 48,
    on_pair: Callable[[], None] | None = None,
    threads: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Forward and backward flows with the holes' flow completed from its surroundings.

    Both ``forward[t]`` (t -> t+1) and ``backward[t]`` (t+1 -> t) are completed inside the union of
    ``holes[t]`` and ``holes[t+1]``: a known pixel of frame t whose match lies under the hole of
    frame t+1 has no valid flow either, and left in place it fails every consistency check.  The
    union is grown by ``flow_margin`` pixels: DIS's patches and its variational smoothing carry the
    removed object's motion that far beyond its edge (measured: on the synthetic clip the completed
    flow's error falls from 0.31 px with a 2 px margin to 0.04 px with 10 px; on real completion
    cases 20 px finds 20-40 % more hole pixels than 12 px).

    The flow is estimated only on a box around the pair's holes (:func:`flow_box`, with its ``reach``
    and ``least``), and not at all for a pair with no hole: the fill reads it nowhere else, and it is
    zero there.  Pairs are independent and run on ``threads`` threads (:func:`map_threads`; OpenCV and
    the solver release the GIL).
    ``on_pair``, if given, is called once per neighbouring pair done, in order (progress reporting).

    Shape: frames ``(T,H,W,3)`` uint8, holes ``(T,H,W)`` bool; returns two ``(T-1,H,W,2)`` float32.
    """
    make_flow_estimator(flow)  # an unknown estimator is reported before any thread starts
    if not 0 < flow_scale <= 1:
        raise InvalidOptionError(f"flow scale must be in (0, 1], got {flow_scale}")
    pairs = len(frames) - 1
    forward = np.zeros((max(pairs, 0), *frames.shape[1:3], 2), np.float32)
    backward = np.zeros_like(forward)
    grown = dilate_mask(holes, flow_margin)
    # each frame's grown hole's box, None if it has none: a pair's union is worked on in its box only
    boxes = [occupied_box(mask) for mask in grown]

    def pair_flow(t: int) -> None:
        if boxes[t] is None and boxes[t + 1] is None:
            return  # the fill reads the flow of a pair only at its holes (context frames have none)
        box = _flow_box_around(_hull(boxes[t], boxes[t + 1]), holes.shape[1:], reach=reach, least=least)
        union = grown[t][box] | grown[t + 1][box]
        # a fresh estimator a pair: DIS keeps buffers from its last call, and one reused over boxes of
        # other sizes measured 0.02 px apart, so the result depended on which thread took which pair
        estimator = make_flow_estimator(flow)
        first, second = (gray_for_flow(frame, flow_scale) for frame in frames[t : t + 2, box[0], box[1]])
        # both directions side by side, completed with one factorisation, in place (as estimate_flow
        # and complete_flow compute them, without their copies)
        both = np.empty((*union.shape, 4), np.float32)
        vector_words(both)[..., 0] = vector_words(resize_flow(estimator(first, second), union.shape))[..., 0]
        vector_words(both)[..., 1] = vector_words(resize_flow(estimator(second, first), union.shape))[..., 0]
        complete_flow(both, union, scale=completion_scale, in_place=True)
        vector_words(forward[t][box])[..., 0] = vector_words(both)[..., 0]
        vector_words(backward[t][box])[..., 0] = vector_words(both)[..., 1]

    for _ in map_threads(pair_flow, range(pairs), threads):
        if on_pair is not None:
            on_pair()
    return forward, backward


def _hull(first: tuple[slice, slice] | None, second: tuple[slice, slice] | None) -> tuple[slice, slice]:
    """The smallest box holding two boxes (either may be None, not both)."""
    if first is None or second is None:
        return first if second is None else second
    return (slice(min(first[0].start, second[0].start), max(first[0].stop, second[0].stop)),
            slice(min(first[1].start, second[1].start), max(first[1].stop, second[1].stop)))


def flow_box(hole: np.ndarray, *, reach: float = 0.15, least: int = 48, whole_above: float = 0.5) -> tuple[slice, slice]:
    """The box of the frame whose flow a fill needs: the hole's bounding box grown by ``reach`` of the
    frame's longer side, and at least ``least`` pixels (the motion the estimator can follow out of the
    box, and the context its coarse levels need), or the whole frame if that box would cover more than
    ``whole_above`` of it.  A box pays for small holes in large frames (a logo, a face); DIS on a box
    much tighter than this measured clearly worse flow near its edges.

    Shape: hole ``(H,W)`` bool (non-empty or not); returns ``(rows, cols)`` slices.
    """
    return _flow_box_around(bounding_box(hole), hole.shape, reach=reach, least=least, whole_above=whole_above)


def _flow_box_around(box: tuple[slice, slice], shape: tuple[int, int], *, reach: float = 0.15, least: int = 48,
                     whole_above: float = 0.5) -> tuple[slice, slice]:
    """:func:`flow_box` of a hole whose bounding box is ``box``, in a frame of ``shape = (H, W)``."""
    h, w = shape
    margin = max(least, round(reach * max(h, w)))
    rows = slice(max(box[0].start - margin, 0), min(box[0].stop + margin, h))
    cols = slice(max(box[1].start - margin, 0), min(box[1].stop + margin, w))
    if (rows.stop - rows.start) * (cols.stop - cols.start) > whole_above * h * w:
        return slice(0, h), slice(0, w)
    return rows, cols


@ENGINES.register("propagate")
def inpaint_propagate(
    frames: np.ndarray,
    holes: np.ndarray,
    *,
    flow: str = "dis-lean",
    flow_scale: float = 1.0,
    fill: str = "patchmatch",
    max_keyframes: int = 12,
    completion_scale: float = 0.25,
    cubic: bool = False,
    refine_passes: int = 1,
    average_passes: bool = False,
    temporal_smoothing: float = 0.75,
    smoothing_sharpness: float = 0.5,
    one_sided_prior: float = 0.0,
    disagreement_prior: float = 0.0,
    seamless: bool = True,
    fuse: str = "average",
    smoothing_tolerance: float = 0.0,
    resynthesise: bool = True,
    threads: int = 0,
    flow_max_width: int = 0,
    synthesis_max_width: int = 1280,
    background: object = None,
    progress: Callable[[float], None] | None = None,
) -> np.ndarray:
    """Flow-guided propagation with keyframe synthesis (the default engine).

    Args:
        flow: flow estimator name (:data:`vinpaint.flow.FLOW_ESTIMATORS`).
        flow_scale: compute flow at this fraction of the size.
        fill: spatial filler for never-seen pixels (:data:`vinpaint.fill.SPATIAL_FILLERS`).
        max_keyframes: keyframes synthesised per window before the remaining pixels are filled
            frame by frame.
        completion_scale: resolution of the flow completion solve, as a fraction of the frame's.
            Measured on the completion cases: 0.25 and 0.5 within 0.01 dB of each other.
        cubic: bicubic instead of bilinear sampling of the source pixels.
        refine_passes: robust flow (frame-recurrent inpainting with robust flow): after a
            fill, estimate the flow again on the filled frames (the fill moves with the scene, so
            the estimator measures the motion right up to the hole instead of the first pass's
            interpolation over ``flow_margin``), complete it inside the holes only, and fill again.
            Measured on the completion cases: 1 pass against 0, +0.64 dB and 23 % less hole warping error.
        average_passes: the result is the mean of the last two passes' fills (needs
            ``refine_passes >= 2``).  Measured with 2 passes against 1: +0.17 dB on whole 50-frame clips.
        temporal_smoothing: weight in [0, 1) of the neighbouring outputs, aligned along the
            completed flow, in each frame's fill (two-sided, see :func:`smooth_along_flow`; 0 =
            off).  Measured at 0.75 against 0: +0.45 dB and 60 % less removal flicker.
        smoothing_sharpness: weight in [0, 1] of bicubic against bilinear resampling in the
            smoothing's warps.  The smoothing is recursive, so a neighbour's fill is resampled once for
            every frame it travels, and bilinear resampling blurs it a little each time.  Measured at 0.5
            against 0 on the paste-and-remove cases: hole sharpness 0.66 -> 0.72 on the worst case,
            hole warping error up to 14 % higher, completion -0.05 dB (docs/results.md).
        one_sided_prior: weight of the frame's own Telea fill mixed into pixels that only one
            temporal direction reaches (0 = off, the default).  A hedge for grey-hole completion
            scores, and on real removal the translucent smoke of the object: off, paste-and-remove
            hole sharpness rises from 0.58 to 0.70 on the worst case, completion loses 0.25 dB
            (with ``disagreement_prior``; docs/results.md).  0.25 was the default before.
        disagreement_prior: the most weight of the Telea fill in pixels whose past and future
            candidates disagree (:func:`prior_weights`; 0 = off, the default; 0.5 before).
        seamless: gradient-domain blending of each frame's fill into its frame (Pérez et al. 2003)
            before the temporal smoothing, which then evens out the per-frame solves.  Measured
            against off: +0.22 dB on average and +0.45 dB on the worst case.  Frames masked over
            every pixel are not blended: they have no boundary to match.
        fuse: how past and future candidates that disagree (by more than 16 levels) are combined:
            ``"average"`` (weighted by inverse temporal distance) or ``"choose"`` (one direction per
            connected region of disagreement, :func:`vinpaint.engines.propagation.choose_sources`).
        smoothing_tolerance: if > 0, the temporal smoothing mixes a neighbour's aligned fill into a
            pixel only where the two differ by at most this many levels (mean absolute RGB): where
            they differ more, one of them copied something else, and their mix is a ghost.
        background: reference frames of the whole shot (passed by the pipeline,
            :mod:`vinpaint.engines.background`): never-seen pixels are taken from them, aligned,
            before any synthesis.
        flow_max_width: the flow is computed at most this many pixels wide (``flow_scale`` is lowered
            for wider frames); 0 (the default) is 640, or half the frame's width up to 960 where that is
            wider (:func:`flow_width_limit`).  DIS's cost follows the pixel count, and the completed
            flow is smooth where the fill reads it.
        synthesis_max_width: what no frame shows is synthesised (``fill``) at most this many pixels
            wide, and the fill upsampled into the hole (:func:`vinpaint.fill.fill_spatial`'s
            ``max_width``; 0 = at full size).  PatchMatch costs in proportion to the pixels it fills:
            at 1080p it was about three quarters of the engine's time.  Measured at 1080p, 1280
            against full size: 1.2-1.3x as fast end to end, PSNR -0.06 to +0.03 dB (960: 1.5x, paste
            -0.35 dB).  Frames up to 1280 pixels wide are filled at full size.
        threads: threads for the work that is independent per frame pair or frame (flow, blending);
            0 = the machine's cores, at most 4 (:func:`map_threads`).
        resynthesise: in each robust-flow pass, synthesise what no frame shows again (keyframes and
            PatchMatch, as the first pass does); False takes the first pass's synthesis instead.
            Measured on the quick completion cases: False loses 0.11 dB and saves little (PatchMatch is
            about a twentieth of the time).
        progress: called with the fraction of the work done, in [0, 1], after each step (a frame
            pair's flow, a fill, a frame's blend); the pipeline turns it into frames done.

    Shape: frames ``(T,H,W,3)`` uint8, holes ``(T,H,W)`` bool; returns ``(T,H,W,3)`` uint8.
    """
    SPATIAL_FILLERS.get(fill)
    if max_keyframes < 0 or refine_passes < 0:
        raise InvalidOptionError(f"max_keyframes and refine_passes must be >= 0, got {max_keyframes} and {refine_passes}")
    if average_passes and refine_passes < 2:
        raise InvalidOptionError(f"average_passes averages the last two robust-flow passes: it needs refine_passes >= 2, "
                                 f"got {refine_passes}")
    for name, value in (("one_sided_prior", one_sided_prior), ("disagreement_prior", disagreement_prior)):
        if not 0 <= value <= 1:
            raise InvalidOptionError(f"{name} must be in [0, 1], got {value}")
    if fuse not in FUSE_MODES:
        raise InvalidOptionError(f"fuse must be one of {', '.join(FUSE_MODES)}, got {fuse!r}")
    if smoothing_tolerance < 0:
        raise InvalidOptionError(f"smoothing_tolerance must be >= 0, got {smoothing_tolerance}")
    if flow_max_width != 0 and flow_max_width < 16:
        raise InvalidOptionError(f"flow_max_width must be 0 (automatic) or >= 16 pixels, got {flow_max_width}")
    if threads < 0:
        raise InvalidOptionError(f"threads must be >= 0 (0 = one a core), got {threads}")
    if synthesis_max_width < 0:
        raise InvalidOptionError(f"synthesis_max_width must be >= 0 (0 = full size), got {synthesis_max_width}")
    if not 0 <= temporal_smoothing < 1:
        raise InvalidOptionError(f"temporal_smoothing must be in [0, 1), got {temporal_smoothing}")
    if not 0 <= smoothing_sharpness <= 1:
        raise InvalidOptionError(f"smoothing_sharpness must be in [0, 1], got {smoothing_sharpness}")
    if not holes.any():
        return frames.copy()
    if len(frames) == 1:
        return fill_spatial(frames[0], holes[0], method=fill, max_width=synthesis_max_width)[None]
    count = len(frames)
    # steps: each pass's flow (one a pair) and fill (counted as a pair's worth of steps: measured
    # about as long as the flow), then one blend a frame, then the smoothing (two frames' worth)
    steps = _Steps(progress, (1 + refine_passes) * 2 * (count - 1) + (count if seamless else 0) + 2)
    flow_scale = min(flow_scale, (flow_max_width or flow_width_limit(frames.shape[2])) / frames.shape[2])
    flow_settings = {"flow": flow, "flow_scale": flow_scale, "completion_scale": completion_scale, "on_pair": steps.done,
                     "threads": threads}
    flows = FlowPairs.from_flows(*completed_flows(frames, holes, **flow_settings), threads=threads)
    settings = {"fill": fill, "max_keyframes": max_keyframes, "cubic": cubic, "one_sided_prior": one_sided_prior,
                "disagreement_prior": disagreement_prior, "choose_above": _AGREE if fuse == "choose" else None,
                "background": background, "threads": threads, "max_width": synthesis_max_width}
    filled = _fill(frames, holes, flows, **settings)
    steps.done(count - 1)
    for _ in range(refine_passes):
        del flows  # one set of flows in memory at a time: they are most of a window's memory
        # the fill moves with the scene, so on the filled frames the estimator sees no hole edge:
        # the flow around the hole is measured, not interpolated, and only the hole is completed
        flows = FlowPairs.from_flows(*completed_flows(filled, holes, flow_margin=0, reach=_REFINE_REACH,
                                                      least=_REFINE_LEAST, **flow_settings), threads=threads)
        # the pass before is kept only to be averaged: otherwise it is a whole window of frames held
        previous = filled if average_passes else None
        filled = _fill(frames, holes, flows, **settings, earlier=None if resynthesise else filled)
        steps.done(count - 1)
    if average_passes:
        # two fills from two re-estimated flows err differently: their mean is nearer the truth
        filled = ((previous.astype(np.uint16) + filled + 1) // 2).astype(np.uint8)
    if seamless:
        def blend(t: int) -> None:
            # a hole over the whole frame has no boundary to match: the solve would drift to black
            if holes[t].any() and not holes[t].all():
                filled[t] = poisson_blend(frames[t], filled[t], holes[t])

        for _ in map_threads(blend, range(count), threads):  # independent frames; the solver releases the GIL
            steps.done()
    if temporal_smoothing > 0:
        filled = smooth_along_flow(filled, holes, flows, temporal_smoothing, tolerance=smoothing_tolerance,
                                   sharpness=smoothing_sharpness, threads=threads)
    steps.done(2)
    return filled


#: it copies from other frames: ``--shadows`` makes a plate of the lit ground with it (:mod:`vinpaint.pipeline`)
inpaint_propagate.temporal_sources = True


def flow_width_limit(width: int) -> int:
    """The most pixels wide the default engine estimates flow on frames ``width`` pixels wide: 640, or
    half the width up to 960 where that is wider.  854x480 frames get their flow at 640x360 (with
    ``dis-lean`` 1.3-1.4x faster end to end than at full size with DIS medium, 0.1 dB lower on the
    completion cases), 1080p at 960x540 (at 640x360 it measured 0.19 dB lower and no faster: at 1080p
    the flow is not what costs most)."""
    return max(640, min(width // 2, 960))


class _Steps:
    """Counts an engine's steps and reports the fraction done to a ``progress(fraction)`` callback."""

    def __init__(self, progress: Callable[[float], None] | None, total: int) -> None:
        self.progress, self.total, self.count = progress, max(total, 1), 0

    def done(self, steps: int = 1) -> None:
        self.count += steps
        if self.progress is not None:
            self.progress(min(self.count / self.total, 1.0))


def smooth_along_flow(filled: np.ndarray, holes: np.ndarray, flows: FlowPairs, weight: float, *,
                      tolerance: float = 0.0, sharpness: float = 0.0, threads: int = 0) -> np.ndarray:
    """Mix each frame's fill with its neighbours' fills, aligned along the completed flow.

    Two exponential moving averages along the motion, one running forwards in time and one
    backwards, averaged: each frame is mixed with its past and its future alike (a causal average
    alone lags behind the scene; the two-sided one measured +0.2 dB on the completion cases at the
    same weight).  Applied inside the holes where the flow is forward-backward consistent: it damps
    the frame-to-frame changes that read as flicker.  With ``tolerance`` > 0 a pixel is mixed only
    where its fill and the neighbour's aligned fill differ by at most ``tolerance`` levels (mean
    absolute RGB): the sources agree, and the average removes noise, not an object's trace.
    ``sharpness`` in [0, 1] is the weight of bicubic against bilinear resampling in the warps (see
    :func:`inpaint_propagate`'s ``smoothing_sharpness``).

    Shape: filled ``(T,H,W,3)`` uint8, holes ``(T,H,W)`` bool; returns ``(T,H,W,3)`` uint8.
    """
    out, backwards = both_directions(
        lambda forwards: _moving_average(filled, holes, flows, weight, backwards=not forwards, tolerance=tolerance,
                                          sharpness=sharpness),
        threads)
    for t, hole in enumerate(holes):  # frame by frame, in the hole's box: not a whole-window boolean index
        box = occupied_box(hole)
        if box is not None:
            hole, current = hole[box], out[t][box]
            current[hole] = to_uint8((current[hole].astype(np.float32) + backwards[t][box][hole]) / 2)
    return out


def _moving_average(filled: np.ndarray, holes: np.ndarray, flows: FlowPairs, weight: float, *,
                    backwards: bool, tolerance: float = 0.0, sharpness: float = 0.0) -> np.ndarray:
    """One direction of :func:`smooth_along_flow`, ``(T,H,W,3)`` uint8.

    Kept in uint8 (rounded at each step): a float32 copy of the window would
    be four times the size, and the window's frames are most of the engine's memory.
    """
    out = filled.copy()
    count = len(filled)
    for t in range(count - 2, -1, -1) if backwards else range(1, count):
        # the flow from frame t to the neighbour already averaged, and where it can be trusted
        neighbour, flow, trusted = (t + 1, flows.forward[t], flows.forward_ok[t]) if backwards else (
            t - 1, flows.backward[t - 1], flows.backward_ok[t - 1])
        box = occupied_box(holes[t])
        if box is None:
            continue
        # the hole's pixels where the flow holds; sampled there only, not warped over the box (bicubic
        # resampling costs 6x bilinear's)
        ys, xs = np.nonzero(holes[t][box] & trusted[box])
        if not len(ys):
            continue
        ys += box[0].start
        xs += box[1].start
        motion = flow[ys, xs]
        at_x, at_y = xs.astype(np.float32) + motion[:, 0], ys.astype(np.float32) + motion[:, 1]
        aligned = sample_points(out[neighbour], at_x, at_y)
        if sharpness > 0:
            aligned = mix(aligned, sample_points(out[neighbour], at_x, at_y, cubic=True), sharpness)
        values = out[t][ys, xs]
        if tolerance > 0:
            agree = np.abs(values.astype(np.int16) - aligned).mean(-1) <= tolerance
            values[agree] = mix(values[agree], aligned[agree], weight)
        else:
            values = mix(values, aligned, weight)
        out[t][ys, xs] = values
    return out


def _fill(frames: np.ndarray, holes: np.ndarray, flows: FlowPairs, *, fill: str, max_keyframes: int,
          cubic: bool, one_sided_prior: float, disagreement_prior: float, choose_above: float | None,
          threads: int, max_width: int = 0, background=None, earlier: np.ndarray | None = None) -> np.ndarray:
    """Propagate, then synthesise keyframes for what no frame shows and propagate their fill.

    ``earlier`` (a previous pass's fill, ``(T,H,W,3)`` uint8), if given, fills what propagation leaves
    instead of new keyframes.
    """
    propagated, left = propagate_with_pixels(frames, holes, flows, cubic=cubic, choose_above=choose_above,
                                             threads=threads)
    filled, remaining = propagated.filled, propagated.remaining
    hedged = one_sided_prior > 0 or disagreement_prior > 0
    doubtful_frames = (propagated.one_sided | (propagated.disagreement > _AGREE)).reshape(len(frames), -1).any(1) \
        if hedged else np.zeros(len(frames), bool)
    for t in np.nonzero(doubtful_frames)[0]:
        weights = prior_weights(propagated.one_sided[t], propagated.disagreement[t], one_sided_prior=one_sided_prior,
                                disagreement_prior=disagreement_prior)
        doubtful = weights > 0
        if not doubtful.any():
            continue
        # the hedge is deliberately smooth (Telea): it tempers a doubtful copy, it adds no texture
        prior = fill_spatial(frames[t], holes[t], method="telea").astype(np.float32)
        weight = weights[doubtful][:, None]
        filled[t][doubtful] = mix(filled[t][doubtful], prior[doubtful], weight)
    del propagated
    if background is not None:  # what the window never shows, from frames anywhere in the shot
        background.fill(frames, holes, filled, remaining)
        left = [mask_pixels(hole) for hole in remaining]  # it fills some of them
    if earlier is not None:
        filled[remaining] = earlier[remaining]
        return filled
    # the hole pixels of ``remaining`` are carried from one propagation to the next (``left``), not
    # searched for again in the whole window; ``filled`` is this function's own, filled in place
    counts = np.array([len(ys) for ys, _ in left])
    keyframes = 0
    while counts.any() and keyframes < max_keyframes:
        key = int(np.argmax(counts))
        log.debug("keyframe %d: %d never-seen pixels", key, counts[key])
        filled[key] = fill_spatial(filled[key], remaining[key], method=fill, max_width=max_width)
        remaining[key] = False
        left[key] = (left[key][0][:0], left[key][1][:0])
        keyframes += 1
        # the keyframe's fill is now known content: carry it to the frames that still need it
        propagated, left = propagate_with_pixels(filled, remaining, flows, cubic=cubic, choose_above=choose_above,
                                                 threads=threads, pixels=left, overwrite=True, details=False)
        filled, remaining = propagated[:2]
        counts = np.array([len(ys) for ys, _ in left])

    def synthesise(t: int) -> None:
        filled[t] = fill_spatial(filled[t], remaining[t], method=fill, max_width=max_width)

    # what the keyframes' fills did not reach, frame by frame: independent frames, and the compiled
    # PatchMatch kernels release the GIL
    for _ in map_threads(synthesise, np.nonzero(counts)[0], threads):
        pass
    return filled


def prior_weights(one_sided: np.ndarray, disagreement: np.ndarray, *, one_sided_prior: float,
                  disagreement_prior: float) -> np.ndarray:
    """Weight of the smooth spatial prior mixed into each propagated pixel, float32 like ``disagreement``.

    ``one_sided_prior`` where only one temporal direction found a source; where both did, it rises
    linearly from 0 at a disagreement of :data:`_AGREE` levels to ``disagreement_prior`` at
    :data:`_AGREE` + :data:`_DISAGREE_SPAN` (two candidates that differ that much cannot both be
    right, and their mean is a guess no better than the smooth fill).

    Shape: ``one_sided`` bool and ``disagreement`` (levels, any numeric dtype) of one shape, as in
    :class:`vinpaint.engines.propagation.Propagation` (a frame or the whole window).
    """
    ramp = np.clip((disagreement.astype(np.float32) - _AGREE) / _DISAGREE_SPAN, 0, 1)
    weights = disagreement_prior * ramp
    weights[one_sided] = one_sided_prior
    return weights
