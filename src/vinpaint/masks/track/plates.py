"""Background plates for the mask tracker: what each pixel looks like when the object is not on it.

As a track advances, the frames it has already passed are kept with their tracked masks.  For the
frame being refined, the frames 2 to 10 steps behind it are aligned to it by the background's motion
(a homography fitted by RANSAC to the optical flow between neighbouring frames, chained), the
object's own pixels in them are left out, and their per-pixel median is the *plate*: the background
as it looked just before.  A pixel that matches its plate is background; one that differs strongly
is something that moved there.  This is motion-compensated background subtraction, as in Yi et al.,
"Detection of moving objects with non-stationary cameras in 5.8 ms", CVPR Workshops 2013 (a
homography-compensated background model).  The tracker adds the evidence, as log-odds, to its
colour and shape terms: it separates an object from a background of the same colours (dark hair
before dark leaves, a white shoe on white lines), which a colour model cannot.

A pixel gets no evidence where too few aligned frames see it, or where they disagree among
themselves (parallax, a moving occluder, a change of light): there the plate is not a background.
Pixels that other objects of the same track cover (:meth:`BackgroundMotion.excluding`) are no
background either and are left out, like the object's own.

Convention: see :mod:`vinpaint.arrays`.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import cv2
import numpy as np

from ...arrays import dilate_in_box

#: frames nearer than this to the refined frame are not used: the object barely left them
NEAREST = 2
#: ... nor frames further than this: the alignment drifts and the light changes
FURTHEST = 10
#: ... and of those only every this many-th (2, frames 2, 4, ... 10 back, is about 1.25x faster;
#: mean IoU bmx-trees / tennis / schoolgirls 0.634 / 0.798 / 0.826 against 0.637 / 0.815 / 0.812 with 1)
STRIDE = 1
#: a pixel needs this many aligned frames that see its background
MIN_SAMPLES = 3
#: levels (grey): aligned frames whose median deviation exceeds this do not agree on a background
MAX_SPREAD = 12.0
#: levels (mean absolute RGB difference from the plate): the evidence is 0 here ...
NEUTRAL = 20.0
#: ... and changes by one unit of log-odds every this many levels, up to +-LIMIT
SCALE = 5.0
LIMIT = 2.0
#: pixels the object's mask is grown by before its pixels are left out of a plate
OBJECT_MARGIN = 3
_DISC = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * OBJECT_MARGIN + 1,) * 2)
#: spacing in pixels of the flow samples the background homography is fitted to
GRID = 8


def background_homography(flow: np.ndarray) -> np.ndarray:
    """The ``(3,3)`` homography that best explains ``flow`` ``(H,W,2)``: RANSAC on a grid of its vectors.

    Maps pixel coordinates of the flow's source frame to its target frame; the identity where no
    homography can be fitted.
    """
    h, w = flow.shape[:2]
    ys, xs = np.mgrid[GRID // 2:h:GRID, GRID // 2:w:GRID]
    ys, xs = ys.ravel(), xs.ravel()
    source = np.stack([xs, ys], 1).astype(np.float32)
    if len(source) < 4:
        return np.eye(3)
    matrix, _ = cv2.findHomography(source, source + flow[ys, xs], cv2.RANSAC, 1.0)
    return np.eye(3) if matrix is None else matrix


class BackgroundMotion:
    """The background's homographies between neighbouring frames of a clip, fitted once.

    Shape: ``forward``, ``backward`` ``(T-1,H,W,2)`` float32, as :func:`vinpaint.flow.estimate_flow`
    returns them.  ``fitted``: the homographies ``(to_next, to_previous)`` of those fields, each a
    sequence of ``(3,3)``, where they are fitted already (the flows are then not read).
    """

    def __init__(self, forward: np.ndarray, backward: np.ndarray, *,
                 fitted: tuple[Sequence[np.ndarray], Sequence[np.ndarray]] | None = None) -> None:
        if fitted is not None:  # fitted already, e.g. by the threads that estimate the flow
            self.to_next, self.to_previous = fitted
        else:
            self.to_next = [background_homography(flow) for flow in forward]  # frame t -> t+1
            self.to_previous = [background_homography(flow) for flow in backward]  # frame t+1 -> t
        #: ``(T,H,W)`` bool or None: pixels other objects are known to cover (never background)
        self.others: np.ndarray | None = None

    def excluding(self, others: np.ndarray | None) -> BackgroundMotion:
        """The same motion, with ``others`` ``(T,H,W)`` bool (other objects' pixels) left out of every plate."""
        out = copy.copy(self)
        out.others = others
        return out

    def step(self, frame: int, direction: int) -> np.ndarray:
        """Homography from ``frame``'s pixels to those of the frame one step back along ``direction``."""
        return self.to_previous[frame - 1] if direction > 0 else self.to_next[frame]


class PlateHistory:
    """The frames one track has passed, aligned to the frame it is at; gives background evidence.

    Call :meth:`advance` each time the track moves on by one frame (``direction`` +1 or -1), then
    :meth:`evidence` for the frame it has reached.

    Shape: frames ``(T,H,W,3)`` uint8; masks ``(H,W)`` bool.
    """

    def __init__(self, frames: np.ndarray, motion: BackgroundMotion, direction: int) -> None:
        self.frames = frames
        self.motion = motion
        self.direction = direction
        # (frame index, homography from the current frame's pixels to that frame's, uint8 map that is
        # 1 where that frame shows background: off the object grown by OBJECT_MARGIN)
        self._passed: list[tuple[int, np.ndarray, np.ndarray]] = []
        self._current: int | None = None

    def advance(self, frame: int, previous: int, previous_mask: np.ndarray) -> None:
        """The track moved from ``previous`` (where the object was ``previous_mask``) to ``frame``."""
        step = self.motion.step(frame, self.direction)
        self._passed = [(index, matrix @ step, free) for index, matrix, free in self._passed]
        covered = previous_mask if self.motion.others is None else previous_mask | self.motion.others[previous]
        free = (~dilate_in_box(covered, _DISC)).view(np.uint8)
        self._passed.append((previous, step, free))
        del self._passed[:-FURTHEST]
        self._current = frame

    def evidence(self, box: tuple[slice, slice], where: np.ndarray | None = None) -> np.ndarray | None:
        """Log-odds ``(h,w)`` float32 that each pixel of ``box`` in the current frame is the object.

        Positive where the pixel differs from its plate, negative where it matches it, 0 where
        there is no plate; None where no frame far enough back has been passed yet.  ``where``
        ``(h,w)`` bool: the plate is computed only at these pixels (0 elsewhere); the values there
        are those of the whole box.
        """
        rows, cols = box
        size = (cols.stop - cols.start, rows.stop - rows.start)
        # the box's pixels to full-frame pixels, then on to each passed frame
        offset = np.array([[1, 0, cols.start], [0, 1, rows.start], [0, 0, 1]], np.float64)
        samples, seen = [], []
        for index, matrix, free in self._passed:
            distance = abs(index - self._current)
            if distance < NEAREST or (distance - NEAREST) % STRIDE:
                continue
            to_passed = matrix @ offset
            flags = cv2.WARP_INVERSE_MAP
            sample = cv2.warpPerspective(self.frames[index], to_passed, size, flags=cv2.INTER_LINEAR | flags)
            # the border reads 0: a pixel that falls outside the passed frame is not seen either
            sees = cv2.warpPerspective(free, to_passed, size, flags=cv2.INTER_NEAREST | flags)
            samples.append(sample if where is None else sample[where])
            seen.append((sees if where is None else sees[where]) > 0)
        if len(samples) < MIN_SAMPLES:
            return None
        current = self.frames[self._current][rows, cols]
        samples, seen, current = np.stack(samples), np.stack(seen), current if where is None else current[where]
        plate, spread, count = _median_plate(samples, seen)
        difference = np.abs(current.astype(np.float32) - plate)
        difference = (difference[..., 0] + difference[..., 1] + difference[..., 2]) / 3
        evidence = np.clip((difference - NEUTRAL) / SCALE, -LIMIT, LIMIT)
        evidence[(count < MIN_SAMPLES) | (spread > MAX_SPREAD)] = 0
        if where is None:
            return evidence.astype(np.float32)
        out = np.zeros(where.shape, np.float32)
        out[where] = evidence
        return out


_UNSEEN = 10**6  # above any real (three times) grey level
#: bits of a sort key that hold the sample's index (a plate has at most FURTHEST samples)
_INDEX_BITS = max(1, (FURTHEST - 1).bit_length())


def _batcher_pairs(n: int) -> list[tuple[int, int]]:
    """Compare-exchange pairs ``(i, j)``, ``i < j``, of Batcher's odd-even merge sort for ``n`` items.

    Built for the next power of two; pairs that reach past ``n`` are dropped (those items count as
    +inf, so the pairs would leave them in place).
    """
    size = 1 << max(0, (n - 1).bit_length())

    def merge(lo: int, hi: int, r: int):
        step = 2 * r
        if step < hi - lo:
            yield from merge(lo, hi, step)
            yield from merge(lo + r, hi, step)
            yield from ((i, i + r) for i in range(lo + r, hi - r, step))
        else:
            yield lo, lo + r

    def sort(lo: int, hi: int):
        if hi - lo >= 1:
            mid = lo + (hi - lo) // 2
            yield from sort(lo, mid)
            yield from sort(mid + 1, hi)
            yield from merge(lo, hi, 1)

    return [(i, j) for i, j in sort(0, size - 1) if j < n]


_NETWORKS = {n: _batcher_pairs(n) for n in range(1, FURTHEST + 1)}


def _sorted_rows(rows: list[np.ndarray]) -> list[np.ndarray]:
    """The ``N`` equal-shaped arrays sorted element-wise across the list (row ``k`` holds each
    element's ``k``-th smallest value), by a sorting network: for the few samples of a plate this is
    many times faster than a sort along a short axis."""
    rows = list(rows)
    for i, j in _NETWORKS.get(len(rows)) or _batcher_pairs(len(rows)):
        rows[i], rows[j] = np.minimum(rows[i], rows[j]), np.maximum(rows[i], rows[j])
    return rows


def _median_plate(samples: np.ndarray, seen: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-pixel median of the samples that see the background, by grey level.

    Shape: samples ``(N,...,3)`` uint8 (e.g. ``(N,h,w,3)``, or ``(N,P,3)`` for ``P`` chosen pixels),
    seen ``(N,...)`` bool; returns the plate ``(...,3)`` float32 (the sample of median grey level, the
    first such sample on a tie, so its colour is one that was seen), the median absolute deviation of
    the grey levels ``(...)`` float32 and the number of samples ``(...)`` int.
    (A sorting network over the ``N`` samples: ``np.nanmedian`` is ten times slower here, and a sort
    along the short axis several times slower.)
    """
    n = len(samples)
    shape = seen.shape[1:]
    samples = samples.reshape(n, -1, 3)
    seen = seen.reshape(n, -1)
    count = np.count_nonzero(seen, axis=0)
    middle = (np.maximum(count, 1) - 1) // 2
    # three times the grey level, in integers, with the sample's index in the low bits: the keys are
    # unique, so their order is that of a stable sort by grey level; unseen samples sort last
    grey = samples[..., 0].astype(np.int32)
    grey += samples[..., 1]
    grey += samples[..., 2]
    grey[~seen] = _UNSEEN
    keys = list((grey << _INDEX_BITS) | np.arange(n, dtype=np.int32)[:, None])
    picked = np.choose(middle, _sorted_rows(keys))
    chosen = picked & ((1 << _INDEX_BITS) - 1)
    centre = picked >> _INDEX_BITS
    pixels = np.arange(samples.shape[1])
    plate = samples[chosen, pixels].astype(np.float32)
    deviation = _sorted_rows(list(np.abs(grey - centre)))
    spread = np.choose(middle, deviation).astype(np.float32) / 3
    return plate.reshape(*shape, 3), spread.reshape(shape), count.reshape(shape)
