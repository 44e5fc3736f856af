"""The default engine: flow-guided propagation with keyframe synthesis for never-seen regions.

Steps (after Gao et al., FGVC, ECCV 2020, and the non-learned propagation of Zhou et al.,
ProPainter, ICCV 2023):

1. optical flow between neighbouring frames, both directions (DIS by default);
2. flow completion: the flow inside each hole is replaced by the harmonic interpolation of the flow
   around it, so the background's motion, not the removed object's, guides the fill;
3. bidirectional propagation of known pixels along the completed flow with a forward-backward
   consistency check, candidates from past and future fused (:mod:`vinpaint.propagation`);
4. pixels no frame shows: one keyframe is filled spatially and that fill is propagated to the other
   frames like real content, so it moves with the scene instead of boiling; repeated, keyframe after
   keyframe, until nothing is left.
"""

from __future__ import annotations

import logging

import numpy as np

from ..composite import dilate_mask, poisson_blend
from ..errors import InvalidOptionError
from ..flow import complete_flow, estimate_flow, make_flow_estimator, warp
from ..propagation import FlowPairs, propagate_bidirectional
from ..spatial import SPATIAL_FILLERS, fill_spatial
from . import ENGINES

log = logging.getLogger(__name__)


def completed_flows(
    frames: np.ndarray,
    holes: np.ndarray,
    *,
    flow: str = "dis",
    flow_scale: float = 1.0,
    flow_margin: int = 20,
    completion_scale: float = 0.5,
) -> tuple[np.ndarray, np.ndarray]:
    """Forward and backward flows with the holes' flow completed from its surroundings.

    Both ``forward[t]`` (t -> t+1) and ``backward[t]`` (t+1 -> t) are completed inside the union of
    ``holes[t]`` and ``holes[t+1]``: a known pixel of frame t whose match lies under the hole of
    frame t+1 has no valid flow either, and left in place it fails every consistency check.  The
    union is grown by ``flow_margin`` pixels: DIS's patches and its variational smoothing carry the
    removed object's motion that far beyond its edge (measured: on the synthetic clip the completed
    flow's error falls from 0.31 px with a 2 px margin to 0.04 px with 10 px; on real completion
    cases 20 px finds 20-40 % more hole pixels than 12 px).

    Shape: frames ``(T,H,W,3)`` uint8, holes ``(T,H,W)`` bool; returns two ``(T-1,H,W,2)`` float32.
    """
    estimator = make_flow_estimator(flow)
    forward, backward = estimate_flow(frames, scale=flow_scale, estimator=estimator)
    grown = dilate_mask(holes, flow_margin)
    for t in range(len(frames) - 1):
        both = complete_flow(np.concatenate([forward[t], backward[t]], axis=-1), grown[t] | grown[t + 1],
                             scale=completion_scale)
        forward[t], backward[t] = both[..., :2], both[..., 2:]
    return forward, backward


@ENGINES.register("propagate")
def inpaint_propagate(
    frames: np.ndarray,
    holes: np.ndarray,
    *,
    flow: str = "dis",
    flow_scale: float = 1.0,
    fill: str = "patchmatch",
    max_keyframes: int = 12,
    completion_scale: float = 0.5,
    cubic: bool = False,
    refine_passes: int = 0,
    temporal_smoothing: float = 0.6,
    one_sided_prior: float = 0.25,
    seamless: bool = True,
) -> np.ndarray:
    """Flow-guided propagation with keyframe synthesis (the default engine).

    Args:
        flow: flow estimator name (:data:`vinpaint.flow.FLOW_ESTIMATORS`).
        flow_scale: compute flow at this fraction of the size.
        fill: spatial filler for never-seen pixels (:data:`vinpaint.spatial.SPATIAL_FILLERS`).
        max_keyframes: keyframes synthesised per window before the remaining pixels are filled
            frame by frame.
        completion_scale: resolution of the flow completion solve.
        cubic: bicubic instead of bilinear sampling of the source pixels.
        refine_passes: robust flow (seed 003, frame-recurrent inpainting with robust flow): after a
            fill, estimate the flow again on the filled frames, keep it where it is
            forward-backward consistent, the completed flow elsewhere, and fill again.
        temporal_smoothing: weight in [0, 1) of the previous output, warped along the completed
            flow, mixed into each frame's fill (0 = off).  Measured at 0.6 against 0 on the
            completion cases: +0.14 dB, and a fifth less hole warping error (0.47 of Telea's
            against 0.57); 0.8 was no better than 0.6.
        one_sided_prior: weight of the frame's own Telea fill mixed into pixels that only one
            temporal direction reaches (0 = off).  A pixel seen from both sides is well supported;
            one seen from one side is often something that moved through the hole (a person), and
            the mix hedges it.  Measured on the completion cases against 0: +0.4 dB on average at
            0.25 (+0.35 at 0.5, which also costs removal sharpness: 0.59 against 0.67).
        seamless: gradient-domain blending of each frame's fill into its frame (Pérez et al. 2003)
            before the temporal smoothing, which then evens out the per-frame solves.  Measured:
            +0.27 dB on average over the completion cases, and the one case below Telea (-0.61 dB)
            brought level (+0.01 dB).

    Shape: frames ``(T,H,W,3)`` uint8, holes ``(T,H,W)`` bool; returns ``(T,H,W,3)`` uint8.
    """
    SPATIAL_FILLERS.get(fill)
    if max_keyframes < 0 or refine_passes < 0:
        raise InvalidOptionError(f"max_keyframes and refine_passes must be >= 0, got {max_keyframes} and {refine_passes}")
    if not 0 <= one_sided_prior <= 1:
        raise InvalidOptionError(f"one_sided_prior must be in [0, 1], got {one_sided_prior}")
    if not 0 <= temporal_smoothing < 1:
        raise InvalidOptionError(f"temporal_smoothing must be in [0, 1), got {temporal_smoothing}")
    if not holes.any():
        return frames.copy()
    if len(frames) == 1:
        return fill_spatial(frames[0], holes[0], method=fill)[None]
    forward, backward = completed_flows(frames, holes, flow=flow, flow_scale=flow_scale, completion_scale=completion_scale)
    flows = FlowPairs.from_flows(forward, backward)
    settings = {"fill": fill, "max_keyframes": max_keyframes, "cubic": cubic, "one_sided_prior": one_sided_prior}
    filled = _fill(frames, holes, flows, **settings)
    for _ in range(refine_passes):
        flows = refine_flows(filled, holes, flows, flow=flow, flow_scale=flow_scale, margin=8)
        filled = _fill(frames, holes, flows, **settings)
    if seamless:
        filled = np.stack([poisson_blend(frame, fill_, hole) for frame, fill_, hole in zip(frames, filled, holes)])
    if temporal_smoothing > 0:
        filled = smooth_along_flow(filled, holes, flows, temporal_smoothing)
    return filled


def smooth_along_flow(filled: np.ndarray, holes: np.ndarray, flows: FlowPairs, weight: float) -> np.ndarray:
    """Mix each frame's fill with the previous output warped along the completed flow.

    An exponential moving average along the motion, applied inside the holes where the flow is
    forward-backward consistent: it damps the frame-to-frame changes that read as flicker.

    Shape: filled ``(T,H,W,3)`` uint8, holes ``(T,H,W)`` bool; returns ``(T,H,W,3)`` uint8.
    """
    out = filled.copy()
    for t in range(1, len(filled)):
        hole = holes[t] & flows.backward_ok[t - 1]
        if not hole.any():
            continue
        previous = warp(out[t - 1], flows.backward[t - 1]).astype(np.float32)
        mixed = (1 - weight) * out[t].astype(np.float32) + weight * previous
        out[t][hole] = np.clip(np.rint(mixed[hole]), 0, 255).astype(np.uint8)
    return out


def refine_flows(filled: np.ndarray, holes: np.ndarray, flows: FlowPairs, *, flow: str, flow_scale: float,
                 margin: int) -> FlowPairs:
    """Blend the completed flows with flows estimated on the filled frames, by their consistency.

    Inside the (grown) holes the re-estimated flow replaces the completed one wherever the new
    forward and backward flows agree; outside, and where they do not, the completed flow stays.

    Shape: filled ``(T,H,W,3)`` uint8, holes ``(T,H,W)`` bool; returns new :class:`FlowPairs`.
    """
    forward_new, backward_new = estimate_flow(filled, scale=flow_scale, estimator=make_flow_estimator(flow))
    refined = FlowPairs.from_flows(forward_new, backward_new)
    grown = dilate_mask(holes, margin)
    forward, backward = flows.forward.copy(), flows.backward.copy()
    for t in range(len(forward)):
        take_forward = refined.forward_ok[t] & grown[t]
        take_backward = refined.backward_ok[t] & grown[t + 1]
        forward[t][take_forward] = forward_new[t][take_forward]
        backward[t][take_backward] = backward_new[t][take_backward]
    return FlowPairs.from_flows(forward, backward)


def _fill(frames: np.ndarray, holes: np.ndarray, flows: FlowPairs, *, fill: str, max_keyframes: int,
          cubic: bool, one_sided_prior: float) -> np.ndarray:
    """Propagate, then synthesise keyframes for what no frame shows and propagate their fill."""
    filled, remaining, one_sided = propagate_bidirectional(frames, holes, flows, cubic=cubic)
    if one_sided_prior > 0:
        for t in np.nonzero(one_sided.reshape(len(frames), -1).any(1))[0]:
            # the hedge is deliberately smooth (Telea): it tempers a doubtful copy, it adds no texture
            prior = fill_spatial(frames[t], holes[t], method="telea").astype(np.float32)
            mixed = (1 - one_sided_prior) * filled[t].astype(np.float32) + one_sided_prior * prior
            filled[t][one_sided[t]] = np.clip(np.rint(mixed[one_sided[t]]), 0, 255).astype(np.uint8)
    keyframes = 0
    while remaining.any() and keyframes < max_keyframes:
        counts = remaining.reshape(len(frames), -1).sum(1)
        key = int(np.argmax(counts))
        log.debug("keyframe %d: %d never-seen pixels", key, counts[key])
        filled[key] = fill_spatial(filled[key], remaining[key], method=fill)
        remaining[key] = False
        keyframes += 1
        # the keyframe's fill is now known content: carry it to the frames that still need it
        filled, remaining, _ = propagate_bidirectional(filled, remaining, flows, cubic=cubic)
    for t in np.nonzero(remaining.reshape(len(frames), -1).any(1))[0]:
        filled[t] = fill_spatial(filled[t], remaining[t], method=fill)
    return filled
