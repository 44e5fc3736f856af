"""Metrics of a filled video: fill quality against a truth, temporal consistency, seams and blur.

Pure functions on arrays in the package convention (:mod:`vinpaint.arrays`): frames ``(T,H,W,3)``
uint8 RGB, masks ``(T,H,W)`` bool with True = the filled hole.  :func:`evaluate` runs all that is
defined for the inputs it is given and returns an :class:`EvalReport`.

With a truth (completion tests, the truth is known):

``psnr``, ``psnr_hole``
    Peak signal-to-noise ratio in dB on 0-255 values, per frame, then the mean over frames (as the
    field reports it).  ``_hole`` uses only the pixels inside the hole.  Higher is better; identical
    frames give ``inf``.
``ssim``, ``ssim_hole``
    Structural similarity (Wang et al., IEEE TIP 2004): 11x11 gaussian window with sigma 1.5,
    K1 = 0.01, K2 = 0.03, L = 255, per RGB channel then averaged; whole-frame SSIM is the mean of the
    SSIM map without its 5-pixel border (as scikit-image), ``_hole`` the mean of the map over the
    hole.  1 is identical; higher is better.
``ewarp``, ``ewarp_hole``
    Warping error of Lai et al., "Learning Blind Video Temporal Consistency", ECCV 2018: for each
    pair (t, t+1), frame t+1 of the *result* is warped to t with the flow of the *reference* frames
    (the truth when given, otherwise the result itself), and the squared RGB distance with values
    in [0, 1] (``||V_t(i) - W(V_t+1)(i)||²``, the *sum* of the three channels' squared differences)
    is averaged over the non-occluded pixels; the score is the mean over frame pairs.  Non-occluded
    = forward-backward consistent (Sundaram et al. ECCV 2010: ``|f + b(x+f)|² < 0.01(|f|² +
    |b(x+f)|²) + 0.5``) and not on a motion boundary (``|∇u|² + |∇v|² <= 0.01|f|² + 0.002``), the
    thresholds of Lai et al.'s code.  Flow: OpenCV DIS, medium preset (Lai et al. used FlowNet 2).
    ``_hole`` restricts the average to pixels inside the hole of frame t or whose match in frame t+1
    is inside that frame's hole.  Lower is better.  The largest possible value is 3 (black against
    white); figures of this definition are three times a per-channel mean.  Absolute values depend
    on the flow and the occlusion mask (Lai et al. report DAVIS with FlowNet 2 and their occlusion
    masks), so compare methods measured in the same run, not with published tables.

Without a truth (object removal), and also with one:

``flicker_hole``
    Mean absolute change (0-255) between flow-aligned consecutive frames inside the hole, over the
    same non-occluded pixels as ``ewarp_hole``.  Lower is better.
``boundary``
    Seam strength: mean gradient magnitude on the hole's edge (one pixel either side) divided by the
    mean gradient magnitude of the unmasked ring 3-8 pixels outside it.  About 1 = no visible seam;
    above 1 a seam; lower is better down to 1.
``sharpness``
    Texture inside the hole (mean gradient magnitude, the edge's 2 pixels left out) divided by the
    same in the ring 3-12 pixels outside it.  A diffusion fill gives 0.1-0.4; a fill as textured as
    its surroundings about 1.  Higher is better up to about 1.
``changed_outside``
    Number of pixels outside the hole (any channel) that differ from the original input, summed over
    frames.  vinpaint promises 0 for lossless outputs.  Needs the original (or a truth, which equals
    the input outside the hole in a completion test).
``q``
    A combined no-truth quality score in [0, 100], higher is better (see :data:`Q_WEIGHTS`).

Per-frame values of each metric are kept in :attr:`EvalReport.per_frame` (``None`` where a metric is
undefined for that frame, such as a frame with an empty hole).  Frame-averaged figures use only the
frames whose hole is not empty: a frame without a hole is copied and says nothing about the fill.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

import cv2
import numpy as np

from ..arrays import check_frames, check_masks, dilate_mask, erode_mask
from ..errors import InvalidArrayError
from ..flow import consistency, estimate_flow, motion_boundaries, warp

log = logging.getLogger(__name__)

#: Weights of the combined score ``q`` (they sum to 1).  Each term is mapped to [0, 1], 1 = perfect:
#: ``temporal = exp(-flicker_hole / 10)``, ``sharpness = min(sharpness, 1)``,
#: ``seam = min(1, 1 / boundary)``, ``outside = 1 - changed_outside / pixels outside the hole``.
#: Terms that cannot be computed are left out and the others' weights renormalised.
Q_WEIGHTS: dict[str, float] = {"temporal": 0.4, "sharpness": 0.25, "seam": 0.25, "outside": 0.1}

#: Scale (0-255 units) of the flicker term of ``q``: a mean hole change of 10 levels scores exp(-1).
FLICKER_SCALE = 10.0

SSIM_SIGMA = 1.5
SSIM_WINDOW = 11
_SSIM_C1 = (0.01 * 255) ** 2
_SSIM_C2 = (0.03 * 255) ** 2

SUMMARY_KEYS = (
    "psnr", "ssim", "psnr_hole", "ssim_hole", "ewarp", "ewarp_hole", "flicker_hole", "boundary", "sharpness",
    "changed_outside", "q",
)


# --------------------------------------------------------------------------------------------- #
# per-frame building blocks


def psnr(a: np.ndarray, b: np.ndarray, mask: np.ndarray | None = None) -> float:
    """PSNR in dB of two images on 0-255 values, over all pixels or only where ``mask`` is True.

    Shape: a, b ``(H,W,3)`` (or ``(H,W)``); mask ``(H,W)`` bool or None.
    Returns ``inf`` when identical, ``nan`` when ``mask`` is empty.
    """
    diff = a.astype(np.float64) - b.astype(np.float64)
    if mask is not None:
        if not mask.any():
            return math.nan
        diff = diff[mask]
    mse = float(np.mean(diff**2))
    return math.inf if mse == 0 else 10 * math.log10(255.0**2 / mse)


def ssim_map(a: np.ndarray, b: np.ndarray, *, window: int = SSIM_WINDOW,
             border: int = cv2.BORDER_REFLECT) -> np.ndarray:
    """Per-pixel SSIM (Wang et al. 2004, gaussian window, sigma 1.5), averaged over the RGB channels.

    Shape: a, b ``(H,W,3)`` or ``(H,W)`` uint8 (0-255); returns ``(H,W)`` float64.

    Args:
        window: side of the gaussian window in pixels (odd).
        border: OpenCV border mode of the window at the image's edge.
    """
    a = a.astype(np.float64)
    b = b.astype(np.float64)

    def blur(x: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(x, (window, window), SSIM_SIGMA, borderType=border)

    mu_a, mu_b = blur(a), blur(b)
    var_a = blur(a * a) - mu_a**2
    var_b = blur(b * b) - mu_b**2
    cov = blur(a * b) - mu_a * mu_b
    value = ((2 * mu_a * mu_b + _SSIM_C1) * (2 * cov + _SSIM_C2)) / (
        (mu_a**2 + mu_b**2 + _SSIM_C1) * (var_a + var_b + _SSIM_C2)
    )
    return value.mean(-1) if value.ndim == 3 else value


def ssim(a: np.ndarray, b: np.ndarray, mask: np.ndarray | None = None) -> float:
    """Mean SSIM: over the frame without a 5-pixel border, or over ``mask``'s pixels.

    Shape: a, b ``(H,W,3)`` uint8; mask ``(H,W)`` bool or None.  ``nan`` when ``mask`` is empty.
    """
    value = ssim_map(a, b)
    if mask is not None:
        return float(value[mask].mean()) if mask.any() else math.nan
    pad = (SSIM_WINDOW - 1) // 2
    if value.shape[0] > 2 * pad and value.shape[1] > 2 * pad:
        value = value[pad:-pad, pad:-pad]
    return float(value.mean())


def gradient_magnitude(frame: np.ndarray) -> np.ndarray:
    """Sobel gradient magnitude of the luma of ``(H,W,3)`` uint8 RGB; ``(H,W)`` float32."""
    gray = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY).astype(np.float32)
    gx = cv2.Sobel(gray, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(gray, cv2.CV_32F, 0, 1, ksize=3)
    return np.sqrt(gx * gx + gy * gy)


def _ring(hole: np.ndarray, inner: int, outer: int) -> np.ndarray:
    """Pixels between ``inner`` (exclusive) and ``outer`` (inclusive) pixels outside ``hole``."""
    return dilate_mask(hole, outer) & ~dilate_mask(hole, inner)


def boundary_error(frame: np.ndarray, hole: np.ndarray) -> float:
    """Seam strength: mean gradient on the hole's edge / mean gradient 3-8 px outside the hole.

    About 1 means the edge is as busy as its surroundings (no seam); lower is better down to 1.

    Shape: frame ``(H,W,3)`` uint8, hole ``(H,W)`` bool.  ``nan`` when undefined (no hole, or a
    hole that leaves no ring, or a flat ring).
    """
    if not hole.any() or hole.all():
        return math.nan
    grad = gradient_magnitude(frame)
    edge = dilate_mask(hole, 1) & ~erode_mask(hole, 1)
    ring = _ring(hole, 2, 8)
    if not ring.any() or not edge.any():
        return math.nan
    reference = float(grad[ring].mean())
    return float(grad[edge].mean()) / reference if reference > 0 else math.nan


def sharpness_ratio(frame: np.ndarray, hole: np.ndarray) -> float:
    """Texture inside the hole / texture in the ring 3-12 px outside it (mean gradient magnitude).

    The hole's outer 2 pixels are left out (they hold the seam, which :func:`boundary_error` scores).
    A blurred fill scores well below 1, a fill as textured as its surroundings about 1.

    Shape: frame ``(H,W,3)`` uint8, hole ``(H,W)`` bool.  ``nan`` when undefined.
    """
    if not hole.any() or hole.all():
        return math.nan
    grad = gradient_magnitude(frame)
    inside = erode_mask(hole, 2)
    if not inside.any():
        inside = hole
    ring = _ring(hole, 2, 12)
    if not ring.any():
        return math.nan
    reference = float(grad[ring].mean())
    return float(grad[inside].mean()) / reference if reference > 0 else math.nan


# --------------------------------------------------------------------------------------------- #
# temporal reference: flow and non-occlusion from the reference frames


@dataclass(frozen=True)
class TemporalReference:
    """Flow and non-occlusion masks of a reference clip, to align consecutive frames.

    Shape: ``forward`` ``(T-1,H,W,2)`` float32, ``forward[t]`` maps frame t to t+1; ``valid``
    ``(T-1,H,W)`` bool, True where pixel (x, y) of frame t is visible in frame t+1 (Lai et al.'s
    non-occlusion mask, on frame t's grid).  ``source`` names the frames it came from.
    """

    forward: np.ndarray
    valid: np.ndarray
    flow: str = "dis"
    source: str = "truth"


def temporal_reference(frames: np.ndarray, *, flow: str = "dis", source: str = "truth") -> TemporalReference:
    """Flow between neighbouring frames and Lai et al.'s non-occlusion mask, from ``frames``.

    Shape: frames ``(T,H,W,3)`` uint8; see :class:`TemporalReference` for the result.
    """
    frames = check_frames(frames)
    forward, backward = estimate_flow(frames, method=flow)
    valid = np.empty(forward.shape[:3], bool)
    for t in range(len(forward)):
        valid[t] = consistency(forward[t], backward[t]) & ~motion_boundaries(forward[t])
    return TemporalReference(forward, valid, flow=flow, source=source)


def warping_errors(
    result: np.ndarray, reference: TemporalReference, region: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Per-pair warping error (Lai et al. 2018) and flicker (mean absolute change, 0-255).

    For each pair (t, t+1): ``result[t+1]`` warped to t with ``reference.forward[t]``; then, over the
    pixels of ``reference.valid[t]`` (and ``region[t]`` when given), the mean of the squared RGB
    distance on [0, 1] values (summed over the three channels, as Lai et al.'s
    ``||V_t(i) - W(V_t+1)(i)||²``) and the mean absolute difference in 0-255 (averaged over channels).

    Convention: ``E_warp(t) = (1 / sum_i M_t(i)) * sum_i M_t(i) * sum_c (V_t(i,c) - W(V_t+1)(i,c))²``
    with ``V`` in [0, 1], so a pair's value lies in [0, 3].

    Shape: result ``(T,H,W,3)`` uint8; region ``(T-1,H,W)`` bool or None.
    Returns: two ``(T-1,)`` float64 arrays; ``nan`` for a pair with no pixel to average.  Without a
    region, a pair with no valid pixel is averaged over the whole frame (as Lai et al.'s code falls
    back to), still summing the channels so that every pair is on the same scale.
    """
    pairs = len(result) - 1
    if reference.forward.shape[:3] != (pairs, *result.shape[1:3]):
        raise InvalidArrayError(
            f"the flow reference covers {reference.forward.shape[0] + 1} frames of "
            f"{reference.forward.shape[2]}x{reference.forward.shape[1]}, the result has {len(result)} of "
            f"{result.shape[2]}x{result.shape[1]}"
        )
    squared = np.full(pairs, math.nan)
    absolute = np.full(pairs, math.nan)
    for t in range(pairs):
        use = reference.valid[t] if region is None else reference.valid[t] & region[t]
        if not use.any():
            if region is not None:
                continue
            use = np.ones_like(use)
        aligned = warp(result[t + 1], reference.forward[t]).astype(np.float64)
        diff = result[t].astype(np.float64)[use] - aligned[use]
        squared[t] = float(np.mean(np.sum((diff / 255.0) ** 2, axis=-1)))
        absolute[t] = float(np.mean(np.abs(diff)))
    return squared, absolute


def hole_pairs(holes: np.ndarray, reference: TemporalReference) -> np.ndarray:
    """Pixels of frame t in its hole, or whose match in frame t+1 lies in that frame's hole.

    Shape: holes ``(T,H,W)`` bool; returns ``(T-1,H,W)`` bool on frame t's grid.
    """
    out = np.empty((len(holes) - 1, *holes.shape[1:]), bool)
    for t in range(len(holes) - 1):
        landed = warp(holes[t + 1].astype(np.float32), reference.forward[t]) > 0
        out[t] = holes[t] | landed
    return out


# --------------------------------------------------------------------------------------------- #
# the report


@dataclass
class EvalReport:
    """What :func:`evaluate` measured.  ``None`` = not computed (no truth, no original, undefined).

    ``per_frame`` maps each metric to a list, one value a frame (warping metrics: one a frame pair,
    value i for pair (i, i+1)), ``None`` where undefined.
    """

    frames: int
    psnr: float | None = None
    ssim: float | None = None
    psnr_hole: float | None = None
    ssim_hole: float | None = None
    ewarp: float | None = None
    ewarp_hole: float | None = None
    flicker_hole: float | None = None
    boundary: float | None = None
    sharpness: float | None = None
    changed_outside: int | None = None
    q: float | None = None
    hole_fraction: float = 0.0
    flow: str = "dis"
    flow_source: str | None = None
    per_frame: dict[str, list] = field(default_factory=dict)

    def to_dict(self) -> dict:
        """Plain dict for JSON: the summary keys, ``frames``, ``per_frame`` and how flow was taken."""
        out = {key: getattr(self, key) for key in SUMMARY_KEYS}
        out.update(frames=self.frames, hole_fraction=self.hole_fraction, flow=self.flow, flow_source=self.flow_source,
                   q_weights=dict(Q_WEIGHTS), per_frame={k: list(v) for k, v in self.per_frame.items()})
        return out

    def summary(self) -> dict[str, float | int | None]:
        """The summary metrics alone."""
        return {key: getattr(self, key) for key in SUMMARY_KEYS}


def _mean(values: np.ndarray) -> float | None:
    """Mean of the defined values (``inf`` counts; ``nan`` is skipped); None when none is defined."""
    values = np.asarray(values, np.float64)
    values = values[~np.isnan(values)]
    if values.size == 0:
        return None
    if np.isinf(values).any():
        return math.inf
    return float(values.mean())


def _listed(values) -> list:
    return [None if isinstance(v, float) and math.isnan(v) else (int(v) if isinstance(v, np.integer) else float(v))
            for v in np.asarray(values).tolist()]


def quality_score(
    *, flicker_hole: float | None, sharpness: float | None, boundary: float | None, outside_fraction: float | None,
    weights: dict[str, float] | None = None,
) -> float | None:
    """Combined no-truth score in [0, 100] from :data:`Q_WEIGHTS` (see there); None if no term."""
    weights = weights or Q_WEIGHTS
    terms = {}
    if flicker_hole is not None and math.isfinite(flicker_hole):
        terms["temporal"] = math.exp(-flicker_hole / FLICKER_SCALE)
    if sharpness is not None and math.isfinite(sharpness):
        terms["sharpness"] = min(max(sharpness, 0.0), 1.0)
    if boundary is not None and math.isfinite(boundary) and boundary > 0:
        terms["seam"] = min(1.0, 1.0 / boundary)
    if outside_fraction is not None:
        terms["outside"] = 1.0 - min(max(outside_fraction, 0.0), 1.0)
    total = sum(weights.get(name, 0.0) for name in terms)
    if not terms or total <= 0:
        return None
    return 100.0 * sum(weights.get(name, 0.0) * value for name, value in terms.items()) / total


def evaluate(
    result: np.ndarray,
    masks: np.ndarray,
    *,
    truth: np.ndarray | None = None,
    original: np.ndarray | None = None,
    dilate: int = 0,
    flow: str = "dis",
    reference: TemporalReference | None = None,
    temporal: bool = True,
) -> EvalReport:
    """Measure a filled clip: against ``truth`` when given, and its temporal consistency and seams.

    Args:
        result: the filled clip.
        masks: the hole that was filled (non-zero = hole); grown by ``dilate`` pixels first, so pass
            the mask and ``--dilate`` you gave ``vinpaint remove``.
        truth: the true frames (completion tests).  Enables ``psnr``, ``ssim``, their ``_hole``
            versions, and takes the warping-error flow from the truth.
        original: the input that was filled; enables ``changed_outside``.  Without it, ``truth`` is
            used for that (a completion test's truth equals its input outside the hole).
        flow: flow estimator for the warping error (:data:`vinpaint.flow.FLOW_ESTIMATORS`).
        reference: a precomputed :func:`temporal_reference` (of the truth, or of ``result``), to
            share the flow between engines; None computes it.
        temporal: False skips the flow-based metrics (``ewarp``, ``ewarp_hole``, ``flicker_hole``).

    Shape:
        result, truth, original: ``(T,H,W,3)`` uint8 RGB.  masks: ``(T,H,W)`` or ``(H,W)``.

    References:
        Wang et al., "Image quality assessment: from error visibility to structural similarity",
        IEEE TIP 2004.  Lai et al., "Learning Blind Video Temporal Consistency", ECCV 2018.
    """
    result = check_frames(result, name="result")
    holes = check_masks(masks, result.shape)
    if dilate:
        holes = dilate_mask(holes, dilate)
    for name, other in (("truth", truth), ("original", original)):
        if other is not None and np.shape(other) != result.shape:
            raise InvalidArrayError(
                f"{name} is {np.shape(other)}, the result is {result.shape}; they must have the same frames and size"
            )
    if truth is not None:
        truth = check_frames(truth, name="truth")
    if original is not None:
        original = check_frames(original, name="original")
    t_count = len(result)
    has_hole = holes.reshape(t_count, -1).any(1)
    report = EvalReport(frames=t_count, hole_fraction=float(holes.mean()), flow=flow)
    per = report.per_frame

    if truth is not None:
        values = {key: np.full(t_count, math.nan) for key in ("psnr", "ssim", "psnr_hole", "ssim_hole")}
        for t in range(t_count):
            smap = ssim_map(result[t], truth[t])
            values["psnr"][t] = psnr(result[t], truth[t])
            pad = (SSIM_WINDOW - 1) // 2
            inner = smap[pad:-pad, pad:-pad] if min(smap.shape) > 2 * pad else smap
            values["ssim"][t] = float(inner.mean())
            if has_hole[t]:
                values["psnr_hole"][t] = psnr(result[t], truth[t], holes[t])
                values["ssim_hole"][t] = float(smap[holes[t]].mean())
        for key, series in values.items():
            per[key] = _listed(series)
            setattr(report, key, _mean(series[has_hole]) if has_hole.any() else _mean(series))

    boundary = np.array([boundary_error(result[t], holes[t]) for t in range(t_count)])
    sharp = np.array([sharpness_ratio(result[t], holes[t]) for t in range(t_count)])
    per["boundary"], per["sharpness"] = _listed(boundary), _listed(sharp)
    report.boundary, report.sharpness = _mean(boundary), _mean(sharp)

    source = original if original is not None else truth
    outside_fraction = None
    if source is not None:
        changed = ((result != source).any(-1) & ~holes).reshape(t_count, -1).sum(1)
        per["changed_outside"] = _listed(changed)
        report.changed_outside = int(changed.sum())
        outside = int((~holes).sum())
        outside_fraction = report.changed_outside / outside if outside else 0.0

    if temporal and t_count >= 2:
        if reference is None:
            ref_frames = truth if truth is not None else result
            reference = temporal_reference(ref_frames, flow=flow, source="truth" if truth is not None else "result")
        report.flow, report.flow_source = reference.flow, reference.source
        whole, _ = warping_errors(result, reference)
        region = hole_pairs(holes, reference)
        in_hole, flicker = warping_errors(result, reference, region)
        per["ewarp"], per["ewarp_hole"], per["flicker_hole"] = _listed(whole), _listed(in_hole), _listed(flicker)
        report.ewarp, report.ewarp_hole, report.flicker_hole = _mean(whole), _mean(in_hole), _mean(flicker)

    report.q = quality_score(flicker_hole=report.flicker_hole, sharpness=report.sharpness, boundary=report.boundary,
                             outside_fraction=outside_fraction)
    return report

