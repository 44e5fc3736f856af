"""How a mask moves from one frame to the next: flow averaged over the object, rigid similarity fits.

The flow that carries a mask is averaged over the object's own reliable pixels by normalised
convolution (Knutsson & Westin 1993), so one wrong vector on a thin limb does not tear the mask.
The rigid model fits a similarity (rotation, scale, shift) to the flow inside the mask with RANSAC,
leaving out the mask's pixels that move with the background (fitted on a ring around the mask): a
motion segmentation by dominant-motion layers (Wang & Adelson, IEEE TIP 1994).

Shapes: masks ``(H,W)`` bool; flow ``(H,W,2)`` float32 ``(dx, dy)``; similarities ``(2,3)`` float64.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import cv2
import numpy as np

from ...flow import estimate_pair_flow, make_flow_estimator
from .morphology import dilate
from .settings import TRACKER_SETTINGS, TrackerSettings

#: how a mask moves from frame to frame: ``flow`` (per pixel, along the object-smoothed flow),
#: ``similarity`` (rigidly: rotation, scale and shift fitted to the flow inside the mask by RANSAC),
#: ``auto`` (per object, whichever tracks it more consistently there and back from its anchor)
MOTION_MODELS = ("auto", "flow", "similarity")


def tracking_flow_estimator(*, iterations: int = 5):
    """Farnebäck (SCIA 2003) with a 9-pixel window, 5 levels: ``(gray_a, gray_b) -> (H,W,2)`` flow.

    ``iterations``: Farnebäck's iterations at each pyramid level.
    """

    def estimate(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return cv2.calcOpticalFlowFarneback(a, b, None, 0.5, 5, 9, iterations, 5, 1.1, 0)

    return estimate


def estimate_tracking_flows(frames: np.ndarray, *, method: str | None = None, scale: float = 1.0,
                            progress: Callable[[int, int], None] | None = None,
                            workers: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Forward and backward flow of every neighbouring pair, the pairs spread over threads.

    The same fields :func:`vinpaint.flow.estimate_flow` returns (each pair is computed alone, so the
    result does not depend on the threads); OpenCV's estimators release the GIL, so ``workers``
    threads (default: the CPU count, at most 8) run them side by side.  ``method``: a name in
    :data:`vinpaint.flow.FLOW_ESTIMATORS`, None for :func:`tracking_flow_estimator`; each thread has
    its own estimator (DIS keeps state).

    Shape: frames ``(T,H,W,3)`` uint8 RGB; returns ``(T-1,H,W,2)`` float32 twice, ``forward[t]``
    maps frame t to t+1, ``backward[t]`` frame t+1 to t.  ``progress(pairs_done, pairs)`` in order.
    """
    t, h, w = frames.shape[:3]
    forward = np.empty((max(t - 1, 0), h, w, 2), np.float32)
    backward = np.empty_like(forward)
    local = threading.local()

    def pair(index: int) -> None:
        if not hasattr(local, "estimate"):
            local.estimate = tracking_flow_estimator() if method is None else make_flow_estimator(method)
        first, second = frames[index], frames[index + 1]
        forward[index] = estimate_pair_flow(first, second, scale=scale, estimator=local.estimate)
        backward[index] = estimate_pair_flow(second, first, scale=scale, estimator=local.estimate)

    with ThreadPoolExecutor(max(1, workers or min(8, os.cpu_count() or 1))) as pool:
        for done, _ in enumerate(pool.map(pair, range(t - 1)), 1):
            if progress is not None:
                progress(done, t - 1)
    return forward, backward


def object_flow(flow: np.ndarray, weight: np.ndarray, sigma: float) -> np.ndarray:
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


class SimilarityFit(NamedTuple):
    """The object's and the background's similarities (``(2,3)`` float64, or None), as fitted on one flow."""

    object: np.ndarray | None
    background: np.ndarray | None

    def background_pixels(self, where: np.ndarray, flow_back: np.ndarray, *,
                          settings: TrackerSettings = TRACKER_SETTINGS) -> np.ndarray:
        """``(H,W)`` bool: the ``where`` pixels whose motion the background's similarity explains
        (within ``settings.background_tolerance`` pixels) better than the object's.

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
        out[ys, xs] = (off_background < off_object) & (off_background < settings.background_tolerance)
        return out


def fit_similarity(mask: np.ndarray, flow: np.ndarray, *, velocity: np.ndarray | None = None,
                   settings: TrackerSettings = TRACKER_SETTINGS) -> SimilarityFit:
    """The similarities (rotation, scale, shift) of the object in ``mask`` and of its surroundings.

    Both are fitted with RANSAC (``cv2.estimateAffinePartial2D``) to ``flow``: the background's on a
    ring 3-12 pixels around the mask, the object's on the mask's pixels.  An occluder's vectors
    inside the mask are RANSAC's outliers.  When the object moves against the background (its
    ``velocity``, the last similarity fitted while it was in view, or else the fit on all its
    pixels, moves its centre more than ``settings.background_tolerance`` pixels away from where the
    background's would), the object's similarity is fitted again without the pixels the
    background's explains within that tolerance: a thin object's mask is mostly its edges, whose
    vectors are the background's, and left in they win the vote and the mask slides off with the
    camera (they are kept where fewer than a fifth of the pixels would remain).

    Shape: mask ``(H,W)`` bool; flow ``(H,W,2)`` float32 from the mask's frame to the next;
    velocity ``(2,3)`` or None.
    """
    tolerance = settings.background_tolerance
    ys, xs = np.nonzero(mask)
    if len(xs) < 9:
        return SimilarityFit(None, None)
    ring = dilate(mask, 12) & ~dilate(mask, 3)
    background = _ransac_similarity(*np.nonzero(ring), flow, threshold=1.0, samples=settings.fit_samples)
    plain = _ransac_similarity(ys, xs, flow, threshold=2.0, samples=settings.fit_samples)
    reference = plain if velocity is None else velocity
    if background is None or reference is None:
        return SimilarityFit(plain, background)
    centre = np.array([xs.mean(), ys.mean()])
    if np.linalg.norm(reference @ [*centre, 1.0] - background @ [*centre, 1.0]) <= tolerance:
        return SimilarityFit(plain, background)  # it moves with the background: nothing to tell apart
    here = np.stack([xs, ys], 1).astype(np.float32)
    own = np.linalg.norm(here + flow[ys, xs] - (here @ background[:, :2].T + background[:, 2]), axis=1) > tolerance
    if own.sum() < max(9, 0.2 * len(xs)):
        return SimilarityFit(plain, background)
    return SimilarityFit(_ransac_similarity(ys[own], xs[own], flow, threshold=2.0, samples=settings.fit_samples),
                         background)


def _ransac_similarity(ys: np.ndarray, xs: np.ndarray, flow: np.ndarray, *, threshold: float,
                       samples: int) -> np.ndarray | None:
    """Similarity ``(2,3)`` fitted by RANSAC to the flow at (at most ``samples`` of) the given pixels."""
    if len(xs) < 9:
        return None
    step = max(1, len(xs) // samples)
    source = np.ascontiguousarray(np.stack([xs, ys], 1).astype(np.float32)[::step])
    target = np.ascontiguousarray(source + flow[ys[::step], xs[::step]])
    matrix, _ = cv2.estimateAffinePartial2D(source, target, method=cv2.RANSAC, ransacReprojThreshold=threshold)
    return matrix


def move_affine(mask: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """``(H,W)`` bool ``mask`` moved by the ``(2,3)`` affine ``matrix`` (nearest neighbour)."""
    h, w = mask.shape
    return cv2.warpAffine(mask.astype(np.uint8), matrix, (w, h), flags=cv2.INTER_NEAREST) > 0


def move_by_median(mask: np.ndarray, flow: np.ndarray, where: np.ndarray) -> np.ndarray:
    """Shift ``mask`` by the median of ``flow`` over ``where`` (the object's overall motion)."""
    if not where.any():
        return mask
    dx, dy = np.median(flow[where], axis=0)
    matrix = np.float32([[1, 0, dx], [0, 1, dy]])
    h, w = mask.shape
    return cv2.warpAffine(mask.astype(np.uint8), matrix, (w, h), flags=cv2.INTER_NEAREST) > 0
