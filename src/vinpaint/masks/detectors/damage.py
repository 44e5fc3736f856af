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

import numpy as np

from ...arrays import dilate_mask
from ...errors import InvalidOptionError
from ...flow import complete_flow, estimate_pair_flow, make_flow_estimator, warp
from .. import MASK_SOURCES
from ..source import Progress, frame_stream
from ..postprocess import remove_small_components

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
    flows = [estimate_pair_flow(frame, n, scale=flow_scale, estimator=estimator) for n in neighbours]
    image = frame.astype(np.float32)
    damaged = _outliers(image, neighbours, flows, threshold, sensitivity, agreement)
    if damaged.any():
        hole = dilate_mask(damaged, max(2, round(2 / flow_scale)))
        flows = [complete_flow(f, hole) for f in flows]
        damaged = _outliers(image, neighbours, flows, threshold, sensitivity, agreement)
    damaged = remove_small_components(damaged, min_area)
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
def damage_masks(frames: np.ndarray, *, radius: int = 1, progress: Progress | None = None, **options) -> np.ndarray:
    """Dust, scratches and drop-outs: outliers against flow-aligned neighbours (Kokaram 1998).

    Shape: frames ``(T,H,W,3)`` uint8 RGB, or an iterable of ``(H,W,3)`` frames read one at a time;
    returns ``(T,H,W)`` bool.
    """
    _, frames = frame_stream(frames)
    masks = np.stack(list(iter_damage_masks(frames, radius=radius, **options)))
    if progress:
        progress(len(masks), len(masks))
    return masks
