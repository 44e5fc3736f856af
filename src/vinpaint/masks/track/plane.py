"""Planar tracking: a region on a keyframe followed through a clip as a homography per frame.

The corner-pin tracker of compositing tools (Mocha's planar tracker, After Effects' corner pin), built
from two classical pieces:

1. **prediction** -- corners (Shi & Tomasi 1994) inside the tracked region of the previous frame are
   followed with pyramidal Lucas-Kanade flow (Bouguet 2000) and a homography is fitted to them with
   RANSAC (Fischler & Bolles 1981), so points on an occluder or off the plane are voted out;
2. **refinement against the keyframe** -- the prediction is refined by maximising the enhanced
   correlation coefficient between the keyframe's region and the current frame (ECC, Evangelidis &
   Psarakis 2008, ``cv2.findTransformECC`` with ``MOTION_HOMOGRAPHY``).  Every frame is aligned to
   the keyframe itself, so errors do not accumulate (no drift), and ECC is invariant to a change of
   gain and offset, so the surface may brighten or darken.  Occlusion: pixels whose residual after a
   first alignment is an outlier (a hand in front of the poster) are left out and ECC runs again.

Convention: frames ``(T,H,W,3)`` uint8 RGB; ``homographies[t]`` ``(3,3)`` float64 maps keyframe pixel
coordinates ``(x, y, 1)`` to frame ``t``'s (pixel centres at integers); corners ``(4,2)`` float ``(x, y)``
in the order top-left, top-right, bottom-right, bottom-left.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from ...arrays import check_frames
from ...errors import InvalidArrayError, InvalidOptionError, MaskMismatchError

log = logging.getLogger(__name__)

#: LK/RANSAC prediction: corners per frame, reprojection threshold (px).
_FEATURES = 400
_RANSAC_PX = 1.5
#: ECC stops after this many iterations or when the warp changes by less than this.
_ECC_ITERATIONS = 80
_ECC_EPS = 1e-5
#: a pixel whose colour residual exceeds this many robust sigmas, and this many levels, is an outlier (occluder).
_OUTLIER_SIGMAS = 4.0
_OUTLIER_LEVELS = 20.0
#: refinement passes: (blur of the occluder test in px, ECC's Gaussian pre-filter size), coarse to fine.
_PASSES = ((4.0, 9), (3.0, 5), (3.0, 3), (3.0, 3))
#: corners: pixels left out along the quad's edge (they mix the surface with what is around it);
#: a mask (an object): pixels added around it (its outline is often all the texture it has).
_EDGE = 3
_OUTLINE = 2
#: an ECC alignment correlating less than this with the keyframe is not taken
_MIN_SCORE = 0.6
#: ECC may move the predicted corners by at most this much (px); more is a wrong optimum.
_MAX_CORRECTION = 6.0


@dataclass(frozen=True)
class PlaneTrack:
    """A tracked plane.

    Attributes:
        homographies: ``(T,3,3)`` float64, keyframe -> frame ``t`` (the keyframe's is the identity).
        corners: ``(T,4,2)`` float64, the quad the picture goes on, in each frame.
        region: ``(H,W)`` bool, the tracked region on the keyframe.
        keyframe: index of the keyframe.
        scores: ``(T,)`` float, the ECC correlation of each frame with the keyframe (1 = identical up
            to gain and offset; NaN where ECC did not converge and the prediction was kept).
    """

    homographies: np.ndarray
    corners: np.ndarray
    region: np.ndarray
    keyframe: int
    scores: np.ndarray

    def region_in(self, t: int) -> np.ndarray:
        """The keyframe region carried into frame ``t``: ``(H,W)`` bool (nearest-neighbour warp)."""
        h, w = self.region.shape
        moved = cv2.warpPerspective(self.region.astype(np.uint8), self.homographies[t], (w, h), flags=cv2.INTER_NEAREST)
        return moved.astype(bool)


def parse_corners(text: str) -> tuple[int, np.ndarray]:
    """``"FRAME:x1,y1,x2,y2,x3,y3,x4,y4"`` -> ``(frame, corners (4,2))``, corners in any order.

    The corners are put in the order top-left, top-right, bottom-right, bottom-left.
    """
    match = re.fullmatch(r"\s*(\d+)\s*:\s*(.+)", str(text))
    numbers = match.group(2).split(",") if match else []
    try:
        values = [float(n) for n in numbers]
    except ValueError:
        values = []
    if not match or len(values) != 8:
        raise InvalidOptionError(f"corners {text!r} must be FRAME:x1,y1,x2,y2,x3,y3,x4,y4 (pixels), e.g. 0:10,10,90,12,88,60,12,58")
    return int(match.group(1)), order_corners(np.array(values, np.float64).reshape(4, 2))


def order_corners(corners: np.ndarray) -> np.ndarray:
    """Four ``(x, y)`` points in the order top-left, top-right, bottom-right, bottom-left (``(4,2)`` float64)."""
    corners = np.asarray(corners, np.float64).reshape(4, 2)
    centre = corners.mean(axis=0)
    angles = np.arctan2(corners[:, 1] - centre[1], corners[:, 0] - centre[0])
    ordered = corners[np.argsort(angles)]  # clockwise on screen (y down), starting anywhere
    start = int(np.argmin(ordered.sum(axis=1)))  # top-left: smallest x + y
    return np.roll(ordered, -start, axis=0)


def quad_mask(corners: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """The pixels whose centres lie strictly inside the convex quad ``corners`` ``(4,2)``: ``(H,W)`` bool."""
    corners = order_corners(corners)
    h, w = shape
    low = np.clip(np.floor(corners.min(axis=0)).astype(int), 0, [w, h])
    high = np.clip(np.ceil(corners.max(axis=0)).astype(int) + 1, 0, [w, h])
    mask = np.zeros(shape, bool)
    ys, xs = np.mgrid[low[1] : high[1], low[0] : high[0]]
    inside = np.ones(ys.shape, bool)
    for start, end in zip(corners, np.roll(corners, -1, axis=0)):
        dx, dy = end - start
        inside &= dx * (ys - start[1]) - dy * (xs - start[0]) > 0  # left of each edge, y pointing down
    mask[low[1] : high[1], low[0] : high[0]] = inside
    return mask


def region_corners(region: np.ndarray) -> np.ndarray:
    """The quad around a mask: its minimum-area rectangle, corners ordered (``(4,2)`` float64)."""
    ys, xs = np.nonzero(region)
    points = np.stack([xs, ys], axis=1).astype(np.float32)
    box = cv2.boxPoints(cv2.minAreaRect(points))
    return order_corners(box)


def track_plane(
    frames: np.ndarray,
    region: np.ndarray,
    *,
    keyframe: int = 0,
    progress: Callable[[int, int | None], None] | None = None,
) -> PlaneTrack:
    """Track a planar region from ``keyframe`` through the whole clip (forward and backward).

    Args:
        frames: ``(T,H,W,3)`` uint8 RGB.
        region: on the keyframe, either a mask ``(H,W)`` (non-zero = the surface; the picture's quad
            is its minimum-area rectangle) or four corners ``(4,2)`` ``(x, y)`` (the quad itself).
        keyframe: the frame ``region`` is drawn on; pick one where the surface is unoccluded.

    Returns: a :class:`PlaneTrack`.
    """
    frames = check_frames(frames)
    t_count, h, w = frames.shape[:3]
    if not 0 <= keyframe < t_count:
        raise InvalidOptionError(f"keyframe {keyframe} is outside the clip (0-{t_count - 1})")
    key_region, quad = _region_and_quad(region, (h, w))
    if key_region.sum() < 64:
        raise MaskMismatchError(f"the region has {int(key_region.sum())} pixels on frame {keyframe}; "
                                "a surface of at least 64 pixels (8x8) is needed to track it")
    grays = [cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY) for frame in frames]
    is_mask = np.asarray(region).ndim == 2 and np.asarray(region).shape == (h, w)
    support = _grow(key_region, _OUTLINE) if is_mask else _grow(key_region, -_EDGE)
    if support.sum() < 16:
        support = key_region
    template = _Template(grays[keyframe], frames[keyframe], support)
    homographies = np.zeros((t_count, 3, 3))
    homographies[keyframe] = np.eye(3)
    scores = np.full(t_count, np.nan)
    scores[keyframe] = 1.0
    done = 1
    for step in (1, -1):
        previous = np.eye(3)
        velocity = np.eye(3)
        for t in range(keyframe + step, t_count if step > 0 else -1, step):
            motion = _predict(grays[t - step], grays[t], support, previous)
            if motion is None:
                log.debug("frame %d: too few tracked points, constant motion assumed", t)
                motion = velocity
            prediction = motion @ previous
            if not _plausible(prediction, previous, quad):
                log.debug("frame %d: the tracked points fold the plane, constant motion assumed", t)
                prediction = velocity @ previous
            refined, score = template.align(grays[t], prediction, frames[t])
            if not _plausible(refined, previous, quad):
                refined, score = prediction, float("nan")
            homographies[t], scores[t] = refined, score
            velocity = refined @ np.linalg.inv(previous)
            previous = refined
            done += 1
            if progress:
                progress(done, t_count)
    corners = np.stack([_apply(hom, quad) for hom in homographies])
    return PlaneTrack(homographies, corners, key_region, keyframe, scores)


# --------------------------------------------------------------------------------------------------
def _region_and_quad(region, shape) -> tuple[np.ndarray, np.ndarray]:
    region = np.asarray(region)
    if region.shape == (4, 2) or region.shape == (8,):
        quad = order_corners(region)
        return quad_mask(quad, shape), quad
    if region.ndim != 2:
        raise InvalidArrayError(f"region must be a keyframe mask (H, W) or four corners (4, 2), got shape {region.shape}")
    if region.shape != shape:
        raise MaskMismatchError(f"the region mask is {region.shape[1]}x{region.shape[0]}, the video is {shape[1]}x{shape[0]}")
    mask = region.astype(bool)
    if not mask.any():
        raise MaskMismatchError("the region mask is empty; mark the surface with non-zero pixels")
    return mask, region_corners(mask)


def _apply(homography: np.ndarray, points: np.ndarray) -> np.ndarray:
    return cv2.perspectiveTransform(points.reshape(-1, 1, 2).astype(np.float64), homography).reshape(-1, 2)


def _plausible(homography: np.ndarray, previous: np.ndarray, quad: np.ndarray) -> bool:
    """Whether going from ``previous`` to ``homography`` keeps the quad convex and changes its shape little.

    Between two frames a surface may move, turn and zoom but hardly deform: its four sides and two
    diagonals must all scale by about the same factor (within 25 % of each other).
    """
    now, before = _apply(homography, quad), _apply(previous, quad)
    if not np.isfinite(now).all() or not cv2.isContourConvex(now.astype(np.float32).reshape(-1, 1, 2)):
        return False
    pairs = [(0, 1), (1, 2), (2, 3), (3, 0), (0, 2), (1, 3)]
    ratios = np.array([np.linalg.norm(now[a] - now[b]) / max(np.linalg.norm(before[a] - before[b]), 1e-6) for a, b in pairs])
    return bool(ratios.max() <= 1.25 * ratios.min())


def _grow(mask: np.ndarray, pixels: int) -> np.ndarray:
    """``mask`` grown (``pixels`` > 0) or shrunk (< 0) by a square of that radius."""
    kernel = np.ones((2 * abs(pixels) + 1, 2 * abs(pixels) + 1), np.uint8)
    operation = cv2.dilate if pixels > 0 else cv2.erode
    return operation(mask.astype(np.uint8), kernel, borderType=cv2.BORDER_CONSTANT, borderValue=0) > 0


def _predict(before: np.ndarray, after: np.ndarray, support: np.ndarray, previous: np.ndarray) -> np.ndarray | None:
    """Homography from ``before`` to ``after`` fitted to LK-tracked corners on the support (RANSAC)."""
    h, w = before.shape
    where = cv2.warpPerspective(support.astype(np.uint8), previous, (w, h), flags=cv2.INTER_NEAREST)
    points = cv2.goodFeaturesToTrack(before, _FEATURES, 0.01, 4, mask=where, blockSize=5)
    if points is None or len(points) < 8:
        return None
    moved, status, _ = cv2.calcOpticalFlowPyrLK(before, after, points, None, winSize=(21, 21), maxLevel=3)
    back, status_back, _ = cv2.calcOpticalFlowPyrLK(after, before, moved, None, winSize=(21, 21), maxLevel=3)
    good = (status.ravel() == 1) & (status_back.ravel() == 1) & (np.linalg.norm(back - points, axis=2).ravel() < 0.5)
    if good.sum() < 8:
        return None
    homography, inliers = cv2.findHomography(points[good], moved[good], cv2.RANSAC, _RANSAC_PX)
    if homography is None or inliers.sum() < 8:
        return None
    return homography


class _Template:
    """The keyframe's region, cropped, and ECC alignment of a frame to it.

    The frame is resampled into the keyframe's crop (rectified) by the current estimate; pixels off
    the surface, and pixels whose colour does not match the keyframe's (occluders, after a
    per-channel gain), are replaced by the keyframe's own; ECC then finds the small homography left,
    and the loop runs again from the refined estimate (each pass shrinks what the replaced pixels
    hold back).
    """

    def __init__(self, gray: np.ndarray, colour: np.ndarray, region: np.ndarray) -> None:
        ys, xs = np.nonzero(region)
        self.shape = gray.shape
        self.x0, self.y0 = int(xs.min()), int(ys.min())
        x1, y1 = int(xs.max()) + 1, int(ys.max()) + 1
        self.size = (x1 - self.x0, y1 - self.y0)
        self.image = gray[self.y0 : y1, self.x0 : x1].astype(np.float32)
        self.colour = colour[self.y0 : y1, self.x0 : x1].astype(np.float32)
        self.inside = region[self.y0 : y1, self.x0 : x1].astype(bool)
        self.region = region
        self.offset = np.array([[1, 0, self.x0], [0, 1, self.y0], [0, 0, 1]], np.float64)

    def align(self, gray: np.ndarray, prediction: np.ndarray, colour: np.ndarray) -> tuple[np.ndarray, float]:
        """Refine ``prediction`` (keyframe -> this frame) by ECC; returns the homography and its ECC score."""
        homography, score = prediction, float("nan")
        for blur, smoothing in _PASSES:
            warp = homography @ self.offset
            flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
            rectified = cv2.warpPerspective(gray.astype(np.float32), warp, self.size, flags=flags, borderMode=cv2.BORDER_REPLICATE)
            rectified_colour = cv2.warpPerspective(colour.astype(np.float32), warp, self.size, flags=flags,
                                                   borderMode=cv2.BORDER_REPLICATE)
            hidden = self.outliers(rectified_colour, blur=blur)
            if (self.inside & ~hidden).sum() < max(64, 0.3 * self.inside.sum()):
                hidden[:] = False  # most of it "differs": the estimate is off, not the surface hidden
            # ECC's own mask moves with the warp and lets it slide off the surface's edges (a biased
            # optimum); pixels off the surface or hidden take the keyframe's values instead
            valid = self.inside & ~hidden
            gain, offset = np.polyfit(self.image[valid], rectified[valid], 1)
            rectified = np.where(valid, rectified, gain * self.image + offset).astype(np.float32)
            criteria = (cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS, _ECC_ITERATIONS, _ECC_EPS)
            try:
                found, residual = cv2.findTransformECC(self.image, rectified, np.eye(3, dtype=np.float32),
                                                       cv2.MOTION_HOMOGRAPHY, criteria, None, smoothing)
            except cv2.error as error:
                log.debug("ECC did not converge: %s", str(error).strip().splitlines()[-1])
                break
            refined = warp @ residual.astype(np.float64) @ np.linalg.inv(self.offset)
            refined /= refined[2, 2]
            if found < _MIN_SCORE:
                log.debug("ECC found no good match (correlation %.2f); the estimate is kept", found)
                break
            if _corner_shift(refined, prediction, self.region) > _MAX_CORRECTION:
                log.debug("ECC moved the corners by more than %s px; the estimate is kept", _MAX_CORRECTION)
                break
            homography, score = refined, float(found)
        return homography, score

    def outliers(self, rectified_colour: np.ndarray, *, blur: float) -> np.ndarray:
        """Pixels of the rectified frame that do not look like the keyframe's (after a per-channel gain): ``(h,w)`` bool.

        Both are blurred by ``blur`` px so that a slightly wrong estimate does not make texture edges outliers.
        """
        expected = cv2.GaussianBlur(self.colour, (0, 0), blur)
        seen = cv2.GaussianBlur(rectified_colour, (0, 0), blur)
        where = self.inside
        residual = np.zeros(where.shape, np.float32)
        for c in range(3):
            want, got = expected[..., c][where], seen[..., c][where]
            gain = np.median(got / np.maximum(want, 1.0))  # the median ratio: robust to what covers under half
            residual[where] = np.maximum(residual[where], np.abs(got - gain * want))
        sigma = 1.4826 * np.median(residual[where]) + 2.0
        outliers = (residual > max(_OUTLIER_SIGMAS * sigma, _OUTLIER_LEVELS)) & where
        outliers = cv2.morphologyEx(outliers.astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
        return cv2.dilate(outliers, np.ones((7, 7), np.uint8)).astype(bool)


def _corner_shift(a: np.ndarray, b: np.ndarray, region: np.ndarray) -> float:
    """Largest distance between the region's bounding-box corners carried by ``a`` and by ``b`` (px)."""
    ys, xs = np.nonzero(region)
    box = np.array([[xs.min(), ys.min()], [xs.max(), ys.min()], [xs.max(), ys.max()], [xs.min(), ys.max()]], np.float64)
    return float(np.linalg.norm(_apply(a, box) - _apply(b, box), axis=1).max())
