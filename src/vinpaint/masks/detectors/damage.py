"""Film damage -- dust, dirt, scratches, drop-outs -- found as temporal outliers after flow alignment.

Damage on film or tape is present in one frame (dust, dirt, a drop-out) or wanders from frame to frame
(a scratch), while the scene is the same in neighbouring frames once motion is compensated.  Following
the classical detectors of Kokaram ("Motion Picture Restoration", Springer 1998; the spike detection
index SDI and its rank-order variant ROD), each frame is compared with its neighbours warped onto it
by optical flow (:mod:`vinpaint.flow`):

1. for frame ``t``, its ``2 * radius`` nearest frames (one-sided at the clip's ends) are aligned to
   it by flow estimated from ``t``;
2. the residual is the *smallest* difference between the frame and any aligned neighbour (the
   rank-order detector: damage differs from all of them, an occlusion or a flow error at a motion
   boundary is usually matched by one), and ``spread`` is the neighbours' per-pixel median absolute
   deviation from their median;
3. a pixel is damaged where the residual exceeds ``threshold`` grey levels, ``sensitivity`` robust
   standard deviations of the frame's residual, and ``agreement`` times the neighbours' spread
   (the neighbours agree with each other, not with this frame);
4. the flow inside the found damage is replaced by its harmonic completion from around it
   (:func:`vinpaint.flow.complete_flow`; damage corrupts flow estimated from the damaged frame), and
   steps 2-3 run again, which recovers large drop-outs;
5. specks below ``min_area`` pixels are dropped and the rest grown by ``grow`` pixels.

Memory: ``4 * radius + 1`` frames at a time (:func:`iter_damage_masks` streams).

Convention: frames ``(T,H,W,3)`` uint8 RGB, masks ``(T,H,W)`` bool True = damaged (see
:mod:`vinpaint.arrays`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator

import cv2
import numpy as np

from ...arrays import check_frames, to_gray
from ...composite import dilate_mask
from ...errors import InvalidOptionError
from ...flow import complete_flow, make_flow_estimator, resize_flow, warp
from .. import MASK_SOURCES

log = logging.getLogger(__name__)


def detect_damage(
    frame: np.ndarray,
    neighbours: list[np.ndarray],
    *,
    flow: str = "dis",
    flow_scale: float = 1.0,
    threshold: float = 40.0,
    sensitivity: float = 5.0,
    agreement: float = 3.0,
    min_area: int = 2,
    grow: int = 1,
    estimator=None,
) -> np.ndarray:
    """Damaged pixels of ``frame``, judged against its ``neighbours`` (any order, at least 2).

    Shape: frame and each neighbour ``(H,W,3)`` uint8 RGB; returns ``(H,W)`` bool.
    """
    if len(neighbours) < 2:
        raise InvalidOptionError(f"damage detection needs at least 2 neighbouring frames, got {len(neighbours)}")
    if threshold <= 0 or sensitivity <= 0 or agreement <= 0:
        raise InvalidOptionError("threshold, sensitivity and agreement must be > 0")
    if not 0 < flow_scale <= 1:
        raise InvalidOptionError(f"flow_scale must be in (0, 1], got {flow_scale}")
    estimator = estimator or make_flow_estimator(flow)
    h, w = frame.shape[:2]
    small = (max(8, round(w * flow_scale)), max(8, round(h * flow_scale)))
    gray = cv2.resize(to_gray(frame), small, interpolation=cv2.INTER_AREA)
    flows = [resize_flow(estimator(gray, cv2.resize(to_gray(n), small, interpolation=cv2.INTER_AREA)), (h, w))
             for n in neighbours]
    image = frame.astype(np.float32)
    damaged = _outliers(image, neighbours, flows, threshold, sensitivity, agreement)
    if damaged.any():
        hole = dilate_mask(damaged, max(2, round(2 / flow_scale)))
        flows = [complete_flow(f, hole) for f in flows]
        damaged = _outliers(image, neighbours, flows, threshold, sensitivity, agreement)
    damaged = _remove_small(damaged, min_area)
    return dilate_mask(damaged, grow)


def _outliers(image, neighbours, flows, threshold, sensitivity, agreement) -> np.ndarray:
    aligned = np.stack([warp(n, f).astype(np.float32) for n, f in zip(neighbours, flows)])
    reference = np.median(aligned, axis=0)
    spread = np.median(np.abs(aligned - reference), axis=0).max(-1)
    # Rank-order test (Kokaram's ROD): damage differs from *every* aligned neighbour, while a flow
    # error at a motion boundary or an occlusion is usually matched by at least one of them.
    residual = np.abs(image[None] - aligned).max(-1).min(0)
    noise = 1.4826 * float(np.median(residual))
    limit = np.maximum(max(threshold, sensitivity * noise), agreement * spread)
    return residual > limit


def _remove_small(mask: np.ndarray, min_area: int) -> np.ndarray:
    if min_area <= 1 or not mask.any():
        return mask
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    keep = stats[:, cv2.CC_STAT_AREA] >= min_area
    keep[0] = False
    return keep[labels]


def iter_damage_masks(frames: Iterable[np.ndarray], *, radius: int = 1, flow: str = "dis", **options) -> Iterator[np.ndarray]:
    """Stream :func:`detect_damage` over a clip: yields one ``(H,W)`` bool mask per frame, in order.

    Each frame is judged against the ``2 * radius`` nearest other frames: ``radius`` on each side,
    or one-sided at the clip's ends.  A clip of 1 or 2 frames has no judge and gets empty masks.
    """
    if radius < 1:
        raise InvalidOptionError(f"damage radius must be >= 1 frame, got {radius}")
    estimator = make_flow_estimator(flow)
    buffer: dict[int, np.ndarray] = {}
    iterator = iter(frames)
    read = 0  # frames read so far
    ended = False
    current = 0
    while True:
        while not ended and read <= current + 2 * radius:
            item = next(iterator, None)
            if item is None:
                ended = True
            else:
                buffer[read] = item
                read += 1
        if current >= read:
            return
        for old in [i for i in buffer if i < current - 2 * radius]:
            del buffer[old]
        nearest = sorted((i for i in buffer if i != current), key=lambda i: (abs(i - current), i))[: 2 * radius]
        if len(nearest) < 2:
            yield np.zeros(buffer[current].shape[:2], bool)
        else:
            neighbours = [buffer[i] for i in sorted(nearest)]
            yield detect_damage(buffer[current], neighbours, flow=flow, estimator=estimator, **options)
        current += 1


@MASK_SOURCES.register("damage")
def damage_masks(frames: np.ndarray, *, radius: int = 1, **options) -> np.ndarray:
    """Dust, scratches and drop-outs: outliers against flow-aligned neighbours (Kokaram 1998).

    Shape: frames ``(T,H,W,3)`` uint8 RGB; returns ``(T,H,W)`` bool.
    """
    frames = check_frames(frames)
    return np.stack(list(iter_damage_masks(frames, radius=radius, **options)))
