"""One click (or one box) -> the whole object: motion, colour and edges combined on one frame.

Two cues, then a graph cut:

1. **Motion** (when neighbouring frames are given).  Dense flow (DIS, Kroeger et al. ECCV 2016) from
   the frame to each neighbour; the camera's motion is a homography fitted robustly to the whole flow
   field (RANSAC, Fischler & Bolles 1981), and what the homography does not explain is the motion of
   independently moving things.  The minimum over the neighbours is kept: towards one neighbour the
   flow drags the background that the object is about to cover (or has just uncovered) along with
   it, a halo as wide as the object's displacement, which the neighbour on the other side does not
   have (where the least misses most of what the mean over the sides finds, the flow towards one
   side lost the object, and the mean is used).  The moving region connected to the click, snapped
   to SLIC superpixels (Achanta et al., TPAMI 2012) to move the flow's blurred outline onto image
   edges, is the object's first estimate: what moves together with the clicked pixel belongs to it
   (the motion-segmentation cue of Papazoglou & Ferrari, ICCV 2013).
2. **Colour and edges**: GrabCut (Rother et al., SIGGRAPH 2004) seeded with that estimate (probably
   object inside, probably background in a band around it, background further away, sure object at
   the positive clicks and sure background at the negative ones) finds the outline where colour
   changes.  With neighbours on both sides GrabCut's colour models also see the independent motion,
   as a third channel beside the frame's two main CIELAB components, so that background of the
   object's colours but still is set apart (not when a positive click sits on a part that does not
   move: the user has said that motion does not define the object).  A positive click off the
   moving region seeds its part as without motion, at half the reach.
   A negative click removes the region it marks, not only its own disc (:func:`_cut_at_negatives`).
   Without motion (a still object, or no neighbours given) the seed is probably object within
   ``radius`` of the clicks, probably background up to twice as far; when GrabCut keeps little more
   than the clicked discs (the ring holds the object's own colours: a large object) the reach doubles,
   up to half the frame; the cut is then repeated from the first segment's bounding box + 10 %, a
   better-shaped seed than a disc.

A box seeds GrabCut the classical way (outside = background, inside = probably object); with motion,
what moves inside the box (snapped to superpixels) is sure object, shrunk by 3 px and, with a single
neighbour, also by the object's displacement (the halo above).

The result carries a ``confidence`` in [0, 1]: its stability, the IoU with the same cut from seeds
reaching 1.5 times as far (a box 1.5 times as large); 0 when the segment is barely larger than the
click's own seed.  ``needs_more_clicks`` is set below 0.6.  Measured on the shared clips
(docs/masks.md) it does not predict the IoU well: it is a hint, not a guarantee.

Convention: frames ``(H,W,3)`` uint8 RGB, ``(N,H,W,3)`` for neighbours; masks ``(H,W)`` bool, True =
object; points ``(x, y)`` pixels, x = column (see :mod:`vinpaint.arrays`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from scipy import ndimage

from ..arrays import occupied_box
from ..errors import InvalidArrayError, InvalidOptionError

log = logging.getLogger(__name__)

#: below this confidence the result asks for another click
CONFIDENCE_FOR_ONE_CLICK = 0.6
#: a negative click removes the region reached from it in steps of at most this CIELAB difference
#: between neighbouring superpixels' means (OpenCV's 8-bit Lab)
NEGATIVE_STEP = 30.0



@dataclass(frozen=True)
class Segmentation:
    """A segment of one frame: ``mask`` ``(H,W)`` bool, its ``confidence`` in [0, 1], the cue it grew from."""

    mask: np.ndarray
    confidence: float
    needs_more_clicks: bool
    cue: str


def _check_frame(frame: np.ndarray, name: str = "frame") -> np.ndarray:
    frame = np.asarray(frame)
    if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
        raise InvalidArrayError(f"{name} must be (H, W, 3) uint8 RGB, got {frame.shape} {frame.dtype}")
    return frame


def independent_motion(frame: np.ndarray, neighbours: np.ndarray, *, scale: float | None = None) -> np.ndarray:
    """Per-pixel motion (px) not explained by the camera: the least over the neighbouring frames.

    The camera's motion between the frame and each neighbour is a homography fitted with RANSAC to
    the DIS flow sampled on a grid; the residual is the flow minus that homography's displacement.
    The minimum over neighbours before and after the frame cancels the halo each one alone has where
    the object covers or uncovers the background (give neighbours on both sides where they exist).

    Shape: frame ``(H,W,3)`` uint8, neighbours ``(N,H,W,3)`` uint8; returns ``(H,W)`` float32.

    Args:
        scale: compute the flow at this fraction of the size (default: 432 px on the longer side).
    """
    return _residual_motion(frame, neighbours, scale=scale).min(axis=0)


def _residual_motion(frame: np.ndarray, neighbours: np.ndarray, *, scale: float | None = None) -> np.ndarray:
    """The motion not explained by the camera towards each neighbour, ``(N,H,W)`` float32 px."""
    from ..flow import estimate_pair_flow

    frame = _check_frame(frame)
    neighbours = np.asarray(neighbours)
    if neighbours.ndim != 4 or neighbours.shape[1:] != frame.shape or neighbours.dtype != np.uint8:
        raise InvalidArrayError(f"neighbours must be (N, H, W, 3) uint8 like the frame {frame.shape}, got "
                                f"{neighbours.shape} {neighbours.dtype}")
    h, w = frame.shape[:2]
    if scale is None:
        scale = min(1.0, 432 / max(h, w))
    step = max(4, round(min(h, w) / 40))
    ys, xs = np.mgrid[step // 2 : h : step, step // 2 : w : step]
    grid = np.stack([xs.ravel(), ys.ravel()], 1).astype(np.float32)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    residuals = []
    for other in neighbours:
        flow = estimate_pair_flow(frame, other, scale=scale)
        moved = grid + flow[grid[:, 1].astype(int), grid[:, 0].astype(int)]
        homography, _ = cv2.findHomography(grid, moved, cv2.RANSAC, 1.0)
        if homography is None:
            homography = np.eye(3)
        denominator = homography[2, 0] * xx + homography[2, 1] * yy + homography[2, 2]
        camera_x = (homography[0, 0] * xx + homography[0, 1] * yy + homography[0, 2]) / denominator - xx
        camera_y = (homography[1, 0] * xx + homography[1, 1] * yy + homography[1, 2]) / denominator - yy
        residuals.append(np.hypot(flow[..., 0] - camera_x, flow[..., 1] - camera_y))
    return np.stack(residuals).astype(np.float32)


def _moving_threshold(motion: np.ndarray) -> float:
    """Residual motion (px) above which a pixel moves: ``median + 4 * 1.4826 * MAD``, at least 0.5 px."""
    level = float(np.median(motion))
    spread = 1.4826 * float(np.median(np.abs(motion - level)))
    return max(0.5, level + 4 * spread)


def moving_region(motion: np.ndarray, x: float, y: float) -> np.ndarray | None:
    """The region of independent motion that holds ``(x, y)``, or None when that pixel is still.

    A pixel moves when its residual motion is well above the frame's (mostly background) level:
    over ``median + 4 * 1.4826 * MAD`` and at least 0.5 px.
    """
    moving = motion > _moving_threshold(motion)
    moving = cv2.morphologyEx(moving.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8)) > 0
    _count, labels = cv2.connectedComponents(moving.astype(np.uint8), connectivity=8)
    _h, _w = motion.shape
    cx, cy = round(x), round(y)
    label = labels[cy, cx]
    if label == 0:
        near = labels[max(0, cy - 3) : cy + 4, max(0, cx - 3) : cx + 4]
        found = near[near > 0]
        if not found.size:
            return None
        label = int(np.bincount(found).argmax())
    region = labels == label
    if region.mean() > 0.4:
        log.debug("click segmentation: the moving region covers %.0f%% of the frame; motion ignored", 100 * region.mean())
        return None
    return ndimage.binary_fill_holes(region)


def segment_object(
    frame: np.ndarray,
    points: Sequence = (),
    *,
    box: Sequence[float] | None = None,
    neighbours: np.ndarray | None = None,
    radius: float | None = None,
    iterations: int = 5,
) -> Segmentation:
    """The object under the positive clicks (or in ``box``) of one frame, with its confidence.

    Shape:
        frame: ``(H,W,3)`` uint8 RGB.
        points: :class:`vinpaint.masks.click.Point` or ``(x, y)`` / ``(x, y, positive)`` tuples, pixels.
        box: ``(x, y, w, h)`` pixels around the object, or None.
        neighbours: ``(N,H,W,3)`` uint8 frames near this one (e.g. 3 before and 3 after) for the
            motion cue, or None (colour and edges only).  Two or more are taken to lie on both sides.
        returns: :class:`Segmentation`, its mask ``(H,W)`` bool.

    Args:
        radius: without motion, how far from a positive point the object may reach, in pixels
            (default: 12 % of the frame's smaller side).
        iterations: GrabCut iterations.

    Raises:
        InvalidOptionError: no positive point and no box, a point outside the frame, or an empty box.
    """
    from .click import RADIUS_FRACTION, _as_point

    frame = _check_frame(frame)
    h, w = frame.shape[:2]
    points = [_as_point(p) for p in points]
    for p in points:
        if not (0 <= p.x <= w - 1 and 0 <= p.y <= h - 1):
            raise InvalidOptionError(f"point ({p.x:g}, {p.y:g}) is outside the {w}x{h} frame")
    positives = [p for p in points if p.positive]
    rect = _check_box(box, h, w) if box is not None else None
    if not positives and rect is None:
        raise InvalidOptionError("give at least one positive point on the object (FRAME:x,y) or a box (x,y,w,h)")
    seed = max(2, round(min(h, w) / 80))
    residuals = _residual_motion(frame, neighbours) if neighbours is not None and len(neighbours) else None
    motion = None if residuals is None else residuals.min(axis=0)
    region, one_side = None, False
    if motion is not None:
        if positives:
            region = _moving_at(motion, positives)
            if len(residuals) >= 2:
                # where the flow towards one side lost the object, the least motion misses most of it:
                # then the mean over the sides gives the region (and motion is no GrabCut channel)
                either = _moving_at(residuals.mean(axis=0), positives)
                if either is not None and (region is None or region.sum() < 0.25 * either.sum()):
                    region, one_side = either, True
            region = _snap_to_superpixels(frame, region) if region is not None else None
        else:
            region = _moving_in_box(motion, rect)
    if rect is not None and region is not None:
        # what moves inside the box, snapped to superpixels, is sure object (shrunk by 3 px)
        region = _snap_to_superpixels(frame, region)
    if rect is not None:
        cue = "box" if region is None else "box+motion"
    else:
        cue = "colour" if region is None else "motion"
    radius = float(radius) if radius else RADIUS_FRACTION * min(h, w)
    # with motion, GrabCut's colour models see the independent motion as a third channel: only with
    # neighbours on both sides (the motion towards one neighbour alone has a halo where the object
    # covers the background, which the minimum over both sides removes), and only while every
    # positive click moves (a click on a still part says motion does not define the object)
    still = [p for p in positives if region is not None and not region[round(p.y), round(p.x)]]
    use_motion = region is not None and len(neighbours) >= 2 and not still and not one_side
    image = _colour_and_motion(frame, motion) if use_motion else frame
    # with one neighbour, the moving region spreads past the object by about its displacement
    halo = round(float(np.median(motion[region]))) if region is not None and len(neighbours) < 2 else 0

    def cut(grow: float, rect) -> np.ndarray:
        state = _seeds((h, w), points, rect, region, radius * grow, seed, grow, halo)
        segment = _grabcut(image, state, iterations)
        if positives:
            segment = _keep_parts(segment, positives, region)
        segment = _fill_holes(segment, [p for p in points if not p.positive])
        return _cut_at_negatives(frame, segment, points, seed)

    segment = cut(1.0, rect)
    while cue == "colour" and _tiny(segment, seed, len(positives)) and radius < 0.5 * min(h, w):
        # GrabCut kept little more than the clicked discs: the probably-background ring holds the
        # object's own colours, so the object reaches past it (a large object); reach twice as far
        radius *= 2
        segment = cut(1.0, rect)
    if cue == "colour" and segment.any():
        # without motion the disc of ``radius`` is a crude guess of the object's extent: cut again
        # from the first segment's bounding box (+10 %), GrabCut's own iteration (Rother et al. 2004)
        rect = _grown_box(segment, 0.1)
        segment = cut(1.0, rect)
        cue = "colour+box"
    # stability (the object's outline should not depend on how far the seed reaches): the same cut
    # from seeds reaching 1.5 times as far (or a box 1.5 times as large); their agreement (IoU) is
    # the confidence
    confidence = _confidence(segment, cut(1.5, rect), seed)
    needs_more = confidence < CONFIDENCE_FOR_ONE_CLICK
    log.debug("click segmentation: cue %s, %d px, confidence %.2f", cue, int(segment.sum()), confidence)
    return Segmentation(segment, confidence, needs_more, cue)


def _moving_at(motion: np.ndarray, positives) -> np.ndarray | None:
    """The union of the moving regions at the positive clicks (:func:`moving_region`), or None."""
    parts = [moving_region(motion, p.x, p.y) for p in positives]
    parts = [r for r in parts if r is not None]
    return np.logical_or.reduce(parts) if parts else None


def _snap_to_superpixels(frame: np.ndarray, region: np.ndarray) -> np.ndarray | None:
    """The SLIC superpixels (Achanta et al. TPAMI 2012) mostly inside ``region``: the flow's blurred
    outline moved onto the image's edges."""
    size = max(6, round(np.sqrt(region.sum()) / 8))
    lab = cv2.cvtColor(frame, cv2.COLOR_RGB2LAB)
    slic = cv2.ximgproc.createSuperpixelSLIC(lab, cv2.ximgproc.SLICO, size)
    slic.iterate(10)
    labels = slic.getLabels()
    inside = np.bincount(labels.ravel(), weights=region.ravel(), minlength=labels.max() + 1)
    total = np.bincount(labels.ravel(), minlength=labels.max() + 1)
    snapped = (inside / np.maximum(total, 1) > 0.6)[labels]
    return snapped if snapped.any() else None


def _check_box(box, h: int, w: int) -> tuple[int, int, int, int]:
    values = [float(v) for v in box]
    if len(values) != 4 or values[2] < 2 or values[3] < 2:
        raise InvalidOptionError(f"a box is (x, y, w, h) with w, h >= 2 pixels, got {tuple(box)!r}")
    x0, y0 = max(0, int(values[0])), max(0, int(values[1]))
    x1, y1 = min(w, int(np.ceil(values[0] + values[2]))), min(h, int(np.ceil(values[1] + values[3])))
    if x1 - x0 < 2 or y1 - y0 < 2:
        raise InvalidOptionError(f"the box {tuple(box)!r} is outside the {w}x{h} frame")
    return x0, y0, x1, y1


def _moving_in_box(motion: np.ndarray, rect) -> np.ndarray | None:
    x0, y0, x1, y1 = rect
    inside = motion[y0:y1, x0:x1]
    outside = np.ones(motion.shape, bool)
    outside[y0:y1, x0:x1] = False
    reference = motion[outside] if outside.any() else motion.ravel()
    level = float(np.median(reference))
    spread = 1.4826 * float(np.median(np.abs(reference - level)))
    moving = np.zeros(motion.shape, bool)
    moving[y0:y1, x0:x1] = inside > max(0.5, level + 4 * spread)
    if moving.sum() < 0.1 * inside.size:
        return None
    return moving


def _grown_box(segment: np.ndarray, fraction: float) -> tuple[int, int, int, int]:
    """The bounding box ``(x0, y0, x1, y1)`` (end exclusive) of ``segment`` grown by ``fraction`` of its size."""
    h, w = segment.shape
    ys, xs = np.nonzero(segment)
    dx = round(fraction * (xs.max() - xs.min() + 1)) + 1
    dy = round(fraction * (ys.max() - ys.min() + 1)) + 1
    return max(0, xs.min() - dx), max(0, ys.min() - dy), min(w, xs.max() + 1 + dx), min(h, ys.max() + 1 + dy)


def _disc(radius: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))


def _distance_to(points, h: int, w: int) -> np.ndarray:
    source = np.ones((h, w), np.uint8)
    for p in points:
        source[round(p.y), round(p.x)] = 0
    return cv2.distanceTransform(source, cv2.DIST_L2, 5)


def _seeds(shape, points, rect, region, radius: float, seed: int, grow: float, halo: int = 0) -> np.ndarray:
    """GrabCut's initial labels: sure/probable object and background from the clicks, box and moving region.

    ``halo``: how far (px) the moving region may reach past the object (its sure core is shrunk by that much).
    """
    h, w = shape
    state = np.full((h, w), cv2.GC_BGD, np.uint8)
    if rect is not None:
        x0, y0, x1, y1 = rect
        if grow != 1.0:
            dx, dy = round((grow - 1) / 2 * (x1 - x0)), round((grow - 1) / 2 * (y1 - y0))
            x0, y0, x1, y1 = max(0, x0 - dx), max(0, y0 - dy), min(w, x1 + dx), min(h, y1 + dy)
        state[y0:y1, x0:x1] = cv2.GC_PR_FGD
        if region is not None:
            core = cv2.erode(region.astype(np.uint8), _disc(3 + halo)) > 0
            state[core & (state == cv2.GC_PR_FGD)] = cv2.GC_FGD
    elif region is not None:
        reach = round(grow * (0.35 * float(np.sqrt(region.sum())) + 8))
        state[cv2.distanceTransform((~region).astype(np.uint8), cv2.DIST_L2, 5) <= reach] = cv2.GC_PR_BGD
        state[region] = cv2.GC_PR_FGD
        # a positive click on a part that does not move (a second click on a missed leg) seeds that part
        # as without motion, at half the reach
        still = [p for p in points if p.positive and not region[round(p.y), round(p.x)]]
        if still:
            distance = _distance_to(still, h, w)
            state[(distance <= radius) & (state == cv2.GC_BGD)] = cv2.GC_PR_BGD
            state[(distance <= radius / 2) & (state != cv2.GC_PR_FGD)] = cv2.GC_PR_FGD
    else:
        distance = _distance_to([p for p in points if p.positive], h, w)
        state[distance <= 2 * radius] = cv2.GC_PR_BGD
        state[distance <= radius] = cv2.GC_PR_FGD
    for p in points:
        cv2.circle(state, (round(p.x), round(p.y)), seed, cv2.GC_FGD if p.positive else cv2.GC_BGD, -1)
    return state


def _colour_and_motion(frame: np.ndarray, motion: np.ndarray) -> np.ndarray:
    """A 3-channel uint8 image for GrabCut: the frame's two main colour components (PCA of CIELAB) and
    the independent motion, 32 levels per moving threshold (:func:`moving_region`) and saturating at
    twice the threshold: the channel says moving or still, not how fast (an object's
    limbs move faster than its body)."""
    lab = cv2.cvtColor(frame, cv2.COLOR_RGB2LAB).reshape(-1, 3).astype(np.float32)
    mean = lab.mean(0)
    _, vectors = np.linalg.eigh(np.cov((lab - mean).T))
    colour = np.clip((lab - mean) @ vectors[:, ::-1][:, :2] + 128, 0, 255)
    moving = (np.minimum(motion / _moving_threshold(motion), 2.0) * 32).reshape(-1, 1)
    return np.concatenate([colour, moving], 1).reshape(frame.shape).astype(np.uint8)


def _grabcut(frame: np.ndarray, state: np.ndarray, iterations: int) -> np.ndarray:
    """GrabCut on the bounding box of the undecided pixels (the far background carries no information)."""
    h, w = state.shape
    ys, xs = np.nonzero(state != cv2.GC_BGD)
    margin = 8
    y0, y1 = max(0, ys.min() - margin), min(h, ys.max() + margin + 1)
    x0, x1 = max(0, xs.min() - margin), min(w, xs.max() + margin + 1)
    roi = np.ascontiguousarray(state[y0:y1, x0:x1])
    if not (roi == cv2.GC_BGD).any():
        roi[[0, -1], :] = cv2.GC_BGD
        roi[:, [0, -1]] = cv2.GC_BGD
    if not np.isin(roi, (cv2.GC_FGD, cv2.GC_PR_FGD)).any():
        return np.zeros((h, w), bool)
    background_model = np.zeros((1, 65), np.float64)
    object_model = np.zeros((1, 65), np.float64)
    cv2.setRNGSeed(0)  # GrabCut's k-means starts from random centres: one answer per input
    cv2.grabCut(np.ascontiguousarray(frame[y0:y1, x0:x1]), roi, None, background_model, object_model,
                iterations, cv2.GC_INIT_WITH_MASK)
    segment = np.zeros((h, w), bool)
    segment[y0:y1, x0:x1] = (roi == cv2.GC_FGD) | (roi == cv2.GC_PR_FGD)
    return segment


def _fill_holes(segment: np.ndarray, negatives) -> np.ndarray:
    """Fill the enclosed holes of ``segment`` except those holding a negative point."""
    holes = ndimage.binary_fill_holes(segment) & ~segment
    if negatives and holes.any():
        labels, _ = ndimage.label(holes)
        marked = {int(labels[round(p.y), round(p.x)]) for p in negatives} - {0}
        holes &= ~np.isin(labels, sorted(marked))
    return segment | holes


def _cut_at_negatives(frame: np.ndarray, segment: np.ndarray, points, seed: int) -> np.ndarray:
    """``segment`` without the part each negative click inside it lies in.

    GrabCut alone takes only a disc around a negative click when the wrongly taken region shares the
    object's colour model (sunlit ground beside a brown bear).  Here the segment is cut into SLIC
    superpixels (about 300), joined where they touch by edges weighing their mean CIELAB difference
    (+1).  A superpixel is removed when it is nearer, along that graph, to the negative clicks than to
    the positive ones (a geodesic partition, Bai & Sapiro, ICCV 2007) and the click reaches it in
    steps of at most :data:`NEGATIVE_STEP`: the region the click marks, not the object's own parts of
    a like colour beyond an edge (without the limit, two clicks on bmx-trees 40 fell from 0.48 to 0.35).  Without a positive click inside (a box), the segment's deepest pixel (the
    farthest from its outline) stands for the object.  The part holding the object is kept.

    GrabCut makes the click's own disc (radius ``seed``) background, so a click counts when it lies in
    the segment or in a hole no wider than that disc (GrabCut changed nothing else there); one further
    out means GrabCut already cut the region away, and cutting again would take the object's own parts
    of that colour.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import dijkstra

    if not segment.any():
        return segment
    # the region around a click in its own disc's hole is joined to the segment through the disc
    gap = cv2.distanceTransform((~segment).astype(np.uint8), cv2.DIST_L2, 3)
    reach = 1.5 * seed + 1
    negatives = [p for p in points if not p.positive and gap[round(p.y), round(p.x)] <= reach]
    if not negatives:
        return segment
    region = segment.copy()
    for p in negatives:
        cv2.circle(region.view(np.uint8), (round(p.x), round(p.y)), int(np.ceil(gap[round(p.y), round(p.x)])) + 2, 1, -1)
    inside = [p for p in points if p.positive and segment[round(p.y), round(p.x)]] + negatives
    box = occupied_box(region)
    y0, x0 = box[0].start, box[1].start
    crop = region[box]
    lab = cv2.cvtColor(np.ascontiguousarray(frame[box]), cv2.COLOR_RGB2LAB)
    slic = cv2.ximgproc.createSuperpixelSLIC(lab, cv2.ximgproc.SLICO, max(4, round(np.sqrt(crop.sum() / 300))))
    slic.iterate(10)
    labels = np.full(crop.shape, -1, np.int64)
    labels[crop] = np.unique(slic.getLabels()[crop], return_inverse=True)[1]
    count = int(labels.max()) + 1
    sizes = np.bincount(labels[crop], minlength=count)
    means = np.stack([np.bincount(labels[crop], weights=lab[..., c][crop].astype(np.float64), minlength=count)
                      for c in range(3)], axis=1) / np.maximum(sizes, 1)[:, None]
    pairs = [np.stack([a.ravel(), b.ravel()], 1) for a, b in ((labels[:, :-1], labels[:, 1:]), (labels[:-1], labels[1:]))]
    pairs = np.concatenate(pairs)
    pairs = np.unique(pairs[(pairs[:, 0] >= 0) & (pairs[:, 1] >= 0) & (pairs[:, 0] != pairs[:, 1])], axis=0)
    weights = np.linalg.norm(means[pairs[:, 0]] - means[pairs[:, 1]], axis=1) + 1.0
    graph = coo_matrix((np.concatenate([weights, weights]), (np.concatenate([pairs[:, 0], pairs[:, 1]]),
                                                             np.concatenate([pairs[:, 1], pairs[:, 0]]))),
                       shape=(count, count)).tocsr()

    def at(point) -> int:
        return int(labels[round(point.y) - y0, round(point.x) - x0])

    against = {at(p) for p in negatives}
    towards = {at(p) for p in inside if p.positive} - against
    if not towards:
        depth = cv2.distanceTransform(crop.astype(np.uint8), cv2.DIST_L2, 3)
        deepest = int(labels.ravel()[np.argmax(depth)])
        if deepest in against:
            return segment  # the negative click sits in the object's core: nothing to tell apart
        towards = {deepest}
    to_object = dijkstra(graph, indices=sorted(towards), min_only=True)
    to_negative = dijkstra(graph, indices=sorted(against), min_only=True)
    # the region a click marks reaches it through like colours only (steps of at most NEGATIVE_STEP)
    alike = graph.copy()
    alike.data[alike.data > NEGATIVE_STEP + 1.0] = 0
    alike.eliminate_zeros()
    marked = np.isfinite(dijkstra(alike, indices=sorted(against), min_only=True, unweighted=True))
    keep = np.append(~(marked & (to_negative < to_object)), False)  # index -1 (outside the segment): not kept
    cut = segment.copy()
    cut[box] &= keep[labels]
    count_parts, parts = cv2.connectedComponents(cut.astype(np.uint8), connectivity=8)
    held = {int(parts[round(p.y), round(p.x)]) for p in inside if p.positive} - {0}
    if not held and count_parts > 1:
        held = {int(np.argmax(np.bincount(parts[cut], minlength=count_parts)))}
    return np.isin(parts, sorted(held)) if held else cut


def _keep_parts(segment: np.ndarray, positives, region: np.ndarray | None) -> np.ndarray:
    """The connected parts of ``segment`` that hold a positive point (or, with motion, lie mostly in its region)."""
    count, labels = cv2.connectedComponents(segment.astype(np.uint8), connectivity=8)
    keep = {int(labels[round(p.y), round(p.x)]) for p in positives} - {0}
    if region is not None and count > 1:
        inside = np.bincount(labels[region], minlength=count)
        sizes = np.bincount(labels.ravel(), minlength=count)
        keep |= {i for i in range(1, count) if inside[i] > 0.5 * sizes[i]}
    if not keep:
        log.warning("GrabCut put every positive point in the background; keeping its whole result")
        return segment
    return np.isin(labels, sorted(keep))


def _tiny(segment: np.ndarray, seed: int, clicks: int) -> bool:
    """Whether ``segment`` is barely larger than the sure-object discs (radius ``seed``) of ``clicks`` clicks."""
    return int(segment.sum()) <= 4 * np.pi * seed**2 * max(1, clicks)


def _confidence(segment: np.ndarray, wider: np.ndarray, seed: int) -> float:
    """Agreement (IoU) of the segment with the one cut from seeds reaching further: a segment that
    follows the object's own outline barely changes, one that leaks or stops at the seed's reach does;
    0 for a segment barely larger than the click's own seed."""
    if _tiny(segment, seed, 1):
        return 0.0
    return float((segment & wider).sum() / max(1, (segment | wider).sum()))
