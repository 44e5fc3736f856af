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
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import cv2
import numpy as np

from ...arrays import dilate_in_box, disc
from ...flow import estimate_pair_flow, make_flow_estimator
from .plates import background_homography
from .settings import TRACKER_SETTINGS, TrackerSettings

#: how a mask moves from frame to frame: ``flow`` (per pixel, along the object-smoothed flow),
#: ``similarity`` (rigidly: rotation, scale and shift fitted to the flow inside the mask by RANSAC),
#: ``auto`` (per object, whichever tracks it more consistently there and back from its anchor)
MOTION_MODELS = ("auto", "flow", "similarity")

#: the ring around a mask on which the background's similarity is fitted: 3-12 pixels out
_RING_OUTER, _RING_INNER = disc(12), disc(3)


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
    with PendingFlows(frames, method=method, scale=scale, workers=workers) as pending:
        for done in range(1, len(pending) + 1):
            pending.wait(done - 1)
            if progress is not None:
                progress(done, len(pending))
        return pending.fields()


class PendingFlows:
    """:func:`estimate_tracking_flows` started on threads, read while it runs: the caller tracks
    the first frames while the later pairs are still being estimated.

    :attr:`forward` and :attr:`backward` are sequences of ``(H,W,2)`` float32 fields; reading item ``i``
    waits for pair ``i`` (an error of its thread is raised there).  With ``homographies``, the
    threads also fit each field's background homography
    (:func:`vinpaint.masks.track.plates.background_homography`), read likewise from
    :attr:`to_next` (frame t -> t+1) and :attr:`to_previous` (frame t+1 -> t).  Use it as a context
    manager, or call :meth:`close`: pairs not started yet are then dropped.
    """

    def __init__(self, frames: np.ndarray, *, method: str | None = None, scale: float = 1.0,
                 workers: int | None = None, homographies: bool = False) -> None:
        t, h, w = frames.shape[:3]
        pairs = max(t - 1, 0)
        forward = np.empty((pairs, h, w, 2), np.float32)
        backward = np.empty_like(forward)
        to_next: list[np.ndarray | None] = [None] * pairs
        to_previous: list[np.ndarray | None] = [None] * pairs
        local = threading.local()

        def pair(index: int) -> None:
            if not hasattr(local, "estimate"):
                local.estimate = tracking_flow_estimator() if method is None else make_flow_estimator(method)
            first, second = frames[index], frames[index + 1]
            forward[index] = estimate_pair_flow(first, second, scale=scale, estimator=local.estimate)
            backward[index] = estimate_pair_flow(second, first, scale=scale, estimator=local.estimate)
            if homographies:
                to_next[index] = background_homography(forward[index])
                to_previous[index] = background_homography(backward[index])

        self._arrays = forward, backward
        self._pool = ThreadPoolExecutor(max(1, workers or min(8, os.cpu_count() or 1)))
        self._futures = [self._pool.submit(pair, index) for index in range(pairs)]
        self.forward = _Waiting(forward, self._futures)
        self.backward = _Waiting(backward, self._futures)
        self.to_next = _Waiting(to_next, self._futures)
        self.to_previous = _Waiting(to_previous, self._futures)

    def __len__(self) -> int:
        return len(self._futures)

    def wait(self, index: int) -> None:
        """Wait for pair ``index`` (raises its thread's error)."""
        self._futures[index].result()

    def done(self) -> int:
        """How many pairs are estimated so far."""
        return sum(future.done() for future in self._futures)

    def fields(self) -> tuple[np.ndarray, np.ndarray]:
        """The ``(T-1,H,W,2)`` forward and backward flows, once every pair is estimated."""
        for future in self._futures:
            future.result()
        return self._arrays

    def close(self) -> None:
        """Drop the pairs not started and wait for the running ones."""
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> PendingFlows:
        return self

    def __exit__(self, *_) -> None:
        self.close()


class _Waiting(Sequence):
    """A sequence whose item ``i`` is read once ``futures[i]`` is done."""

    def __init__(self, items, futures: list) -> None:
        self._items, self._futures = items, futures

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, index):
        if isinstance(index, slice):
            for future in self._futures[index]:
                future.result()
        else:
            self._futures[index].result()
        return self._items[index]


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
    ring = dilate_in_box(mask, _RING_OUTER) & ~dilate_in_box(mask, _RING_INNER)
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
