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

import cv2
import numpy as np

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
    returns them.
    """

    def __init__(self, forward: np.ndarray, backward: np.ndarray) -> None:
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
        free = (cv2.dilate(covered.astype(np.uint8), _DISC) == 0).astype(np.uint8)
        self._passed.append((previous, step, free))
        del self._passed[:-FURTHEST]
        self._current = frame

    def evidence(self, box: tuple[slice, slice]) -> np.ndarray | None:
        """Log-odds ``(h,w)`` float32 that each pixel of ``box`` in the current frame is the object.

        Positive where the pixel differs from its plate, negative where it matches it, 0 where
        there is no plate; None where no frame far enough back has been passed yet.
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
            samples.append(cv2.warpPerspective(self.frames[index], to_passed, size, flags=cv2.INTER_LINEAR | flags))
            # the border reads 0: a pixel that falls outside the passed frame is not seen either
            seen.append(cv2.warpPerspective(free, to_passed, size, flags=cv2.INTER_NEAREST | flags) > 0)
        if len(samples) < MIN_SAMPLES:
            return None
        plate, spread, count = _median_plate(np.stack(samples), np.stack(seen))
        difference = np.abs(self.frames[self._current][rows, cols].astype(np.float32) - plate)
        difference = (difference[..., 0] + difference[..., 1] + difference[..., 2]) / 3
        evidence = np.clip((difference - NEUTRAL) / SCALE, -LIMIT, LIMIT)
        evidence[(count < MIN_SAMPLES) | (spread > MAX_SPREAD)] = 0
        return evidence.astype(np.float32)


_UNSEEN = 10**6  # above any real (three times) grey level


def _median_plate(samples: np.ndarray, seen: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-pixel median of the samples that see the background, by grey level.

    Shape: samples ``(N,h,w,3)`` uint8, seen ``(N,h,w)`` bool; returns the plate ``(h,w,3)``
    float32 (the sample of median grey level, so its colour is one that was seen), the median
    absolute deviation of the grey levels ``(h,w)`` float32 and the number of samples ``(h,w)`` int.
    (A sort along the short first axis: ``np.nanmedian`` is ten times slower here.)
    """
    count = seen.sum(0)
    # three times the grey level, in integers (sorted faster than floats), pixels first and samples last
    grey = samples[..., 0].astype(np.int32) + samples[..., 1] + samples[..., 2]
    grey[~seen] = _UNSEEN  # sorted last
    grey = np.ascontiguousarray(np.moveaxis(grey, 0, -1))
    middle = ((np.maximum(count, 1) - 1) // 2)[..., None]
    chosen = np.take_along_axis(np.argsort(grey, axis=-1, kind="stable"), middle, -1)
    plate = np.take_along_axis(samples, np.moveaxis(chosen, -1, 0)[..., None], 0)[0].astype(np.float32)
    deviation = np.sort(np.abs(grey - np.take_along_axis(grey, chosen, -1)), axis=-1)
    spread = np.take_along_axis(deviation, middle, -1)[..., 0].astype(np.float32) / 3
    return plate, spread, count
