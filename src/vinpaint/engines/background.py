"""Whole-clip background as a source: long-range reference frames aligned to the frame.

The propagation engine sees one temporal window (``window + 2 * context`` frames) and the frames its
chained flow reaches.  A large object that moves slowly (a bear walking across the frame) hides
background that only frames far outside the window show; without them the engine synthesises it
(PatchMatch), which reads as a smear.  This module keeps a bounded set of *reference frames* from the
whole shot with their holes (every k-th frame, as ProPainter's ``ref_stride``, Zhou et al. ICCV 2023,
and E2FGVI's non-local frames, Li et al. CVPR 2022) and fills a window frame's never-seen pixels from
them:

1. a pre-pass (:func:`keep_references`) keeps up to ``count`` frames evenly spaced over the clip, with
   their holes, at most :data:`MAX_PIXELS` pixels each (a larger frame is kept reduced);
2. for a frame with pixels left after propagation, the frame is matched directly to the nearest
   reference of its shot that fits (the *anchor*): a homography fitted with MAGSAC++ (Barath et al.
   CVPR 2020) to ORB matches (Rublee et al. ICCV 2011) on the background outside both holes, near the
   hole; through it and the homographies chained between neighbouring references (each link fitted
   once per clip), every reference of the shot is mapped to the frame, which predicts cheaply which
   reference shows which never-seen pixel;
3. the references worth aligning are chosen (:func:`_choose_references`: per region the nearest that
   shows it whole, then greedily the one that shows most of the rest: a slow object uncovers its
   background only far away in time), and what moves in a reference (it differs from both
   neighbouring references aligned to it, :meth:`ClipBackground.moving`) is not read;
   each is aligned, nearest in time first: the chained homography is
   refined by DIS flow (Kroeger et al. ECCV 2016) between the frame and the warped reference around
   the hole, completed inside both holes (:func:`vinpaint.flow.complete_flow`), so parallax the plane
   misses is followed;
4. an alignment whose mean difference with the frame on the pixels both show around the hole is
   above ``max_residual`` levels is rejected (a bad fit copies the wrong place);
5. each connected region of never-seen pixels is taken whole from the nearest reference that shows all
   of it (one source per region, no average: Agarwala et al., photomontage, SIGGRAPH 2004); pixels no
   single reference shows whole are taken nearest-first, pixel by pixel; the rest is left to synthesis.

References never cross a shot cut.  Memory: ``count`` frames and holes at most :data:`MAX_PIXELS`
pixels each (24 references at 854x480: 24 * (1.23 MB + 0.41 MB) = 39 MB, plus their ORB descriptors,
64 KB each); per window, each alignment keeps a 3x3 matrix and a half-size float16 flow over the hole's box.

Convention: frames ``(H,W,3)`` uint8 RGB, holes ``(H,W)`` bool True = fill (:mod:`vinpaint.arrays`).
"""

from __future__ import annotations

import bisect
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np

from ..arrays import dilate_mask, to_uint8
from ..errors import InvalidOptionError
from ..flow import complete_flow
from .propagation import sample_points

log = logging.getLogger(__name__)

#: references kept by default (the count cap of the pre-pass)
DEFAULT_COUNT = 24
#: most pixels of one kept reference (1280x720); larger frames are kept reduced
MAX_PIXELS = 1280 * 720
#: ORB features per image
_FEATURES = 2000
#: known pixels this close to a hole are not used for features or residuals (object edge colour)
_EDGE = 6
#: margin around the hole's box where the flow refinement runs and features count as "near"
_MARGIN = 48


@dataclass
class Reference:
    """One kept frame of the clip: its index, its image and hole at the references' scale.

    Shape: ``image (h,w,3)`` uint8, ``hole (h,w)`` bool.
    """

    index: int
    image: np.ndarray
    hole: np.ndarray
    features: tuple | None = field(default=None, repr=False)  # (points (N,2) float32, descriptors), lazily
    _near_hole: np.ndarray | None = field(default=None, repr=False)

    @property
    def nbytes(self) -> int:
        return self.image.nbytes + self.hole.nbytes

    @property
    def near_hole(self) -> np.ndarray:
        """What is not read: the hole grown by 2 px (a bilinear read there would mix in the object's colour)
        and, once :meth:`ClipBackground.prepare` has run, what moves (:meth:`ClipBackground.moving`)."""
        if self._near_hole is None:
            self._near_hole = dilate_mask(self.hole, 2)
        return self._near_hole


@dataclass
class ClipBackground:
    """Reference frames of a whole clip, kept by :func:`keep_references`; the engine's ``background``.

    ``scale`` is the references' size over the frames' (1 unless frames exceed :data:`MAX_PIXELS`);
    ``cuts`` the clip's shot cuts (first frame of each new shot): a frame only uses references of its shot.
    :meth:`for_window` binds it to a window of the pipeline (which clip frame is the window's first).
    ``max_tries``: references aligned at most per frame; ``max_residual``: mean difference (levels)
    around the hole above which an alignment is rejected; ``refine``: the flow refinement;
    ``seam_levels``: if set, a region is taken from a reference only where it continues the fill on the
    region's ring within that many levels (:class:`_Seam`; off: measured, it removes the losses on
    clips whose hidden content moves, and the gain on the bear with them).
    """

    references: list[Reference]
    frame_shape: tuple[int, int]
    scale: float = 1.0
    cuts: Sequence[int] = ()
    max_tries: int = 8
    max_residual: float = 20.0
    refine: bool = True
    seam_levels: float | None = None
    _links: dict = field(default_factory=dict, repr=False)  # (i, j) -> homography reference i -> j, or None

    @property
    def nbytes(self) -> int:
        """Bytes held by the kept images and holes."""
        return sum(reference.nbytes for reference in self.references)

    def shot_of(self, index: int) -> int:
        return bisect.bisect_right(list(self.cuts), index)

    def for_window(self, first: int) -> WindowBackground:
        """This background for a window whose frame 0 is clip frame ``first``."""
        return WindowBackground(self, first)

    def features(self, position: int) -> tuple:
        """ORB points and descriptors of ``references[position]``, computed once."""
        reference = self.references[position]
        if reference.features is None:
            reference.features = _orb(reference.image, reference.hole)
        return reference.features

    def prepare(self, position: int) -> None:
        """Mark what moves in ``references[position]`` as unusable, once (:meth:`moving`)."""
        reference = self.references[position]
        if not getattr(reference, "_prepared", False):
            reference._prepared = True
            reference._near_hole = dilate_mask(reference.hole, 2) | self.moving(position)

    def moving(self, position: int, *, threshold: float = 24.0) -> np.ndarray:
        """Pixels of ``references[position]`` that differ from both neighbouring references aligned to it, ``(h,w)`` bool.

        A reference shows the scene at another time: whatever moved since (another animal, a
        passer-by, the unmasked part of the object) is not background, and copied into the hole it
        is a ghost.  Pixels that differ by more than ``threshold`` levels (mean absolute RGB, after a
        5x5 blur that forgives small misalignment) from every neighbour that shows them are such
        content, grown by 6 px.  A reference with no aligned neighbour has none marked.
        """
        reference = self.references[position]
        h, w = reference.hole.shape
        shot = self.shot_of(reference.index)
        blurred = cv2.blur(reference.image, (5, 5)).astype(np.int16)
        differs = np.ones((h, w), bool)
        seen_any = np.zeros((h, w), bool)
        for other in (position - 1, position + 1):
            if not 0 <= other < len(self.references) or self.shot_of(self.references[other].index) != shot:
                continue
            link = self.chain(position, other)
            if link is None:
                continue
            neighbour = self.references[other]
            flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
            warped = cv2.warpPerspective(cv2.blur(neighbour.image, (5, 5)), link, (w, h), flags=flags,
                                         borderMode=cv2.BORDER_REPLICATE)
            # the blur carries the hole's colour 2 px out: those pixels do not vote either
            known = cv2.warpPerspective((~dilate_mask(neighbour.hole, 4)).astype(np.uint8), link, (w, h),
                                        flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP, borderValue=0) > 0
            changed = np.abs(blurred - warped).mean(-1) > threshold
            differs &= changed | ~known  # a neighbour that does not show the pixel does not vote
            seen_any |= known
        return dilate_mask(differs & seen_any & ~dilate_mask(reference.hole, 4), 6)

    def chain(self, start: int, stop: int) -> np.ndarray | None:
        """Homography from ``references[start]`` to ``references[stop]`` through the neighbours between, or None.

        Each link (one reference to the next) is fitted once and kept: neighbours in the list are
        closest in time, so their fit holds where a direct match across the clip fails.
        """
        step = 1 if stop >= start else -1
        total = np.eye(3)
        for position in range(start, stop, step):
            key = (position, position + step)
            if key not in self._links:
                reverse = self._links.get((position + step, position), False)
                if reverse is not False:
                    self._links[key] = None if reverse is None else np.linalg.inv(reverse)
                else:
                    self._links[key] = fit_homography(self.features(position), self.features(position + step),
                                                      np.zeros((0, 0), bool))
            link = self._links[key]
            if link is None:
                return None
            total = link @ total
        return total


def reference_indices(frame_count: int, count: int = DEFAULT_COUNT) -> list[int]:
    """The frames :func:`keep_references` keeps: ``count`` indices evenly spaced over ``frame_count`` frames, ends included."""
    if count < 1 or frame_count < 1:
        raise InvalidOptionError(f"keep at least 1 reference of at least 1 frame, got {count} of {frame_count}")
    return np.unique(np.rint(np.linspace(0, frame_count - 1, min(count, frame_count))).astype(int)).tolist()


def keep_references(items: Iterable[tuple[np.ndarray, np.ndarray | None]], frame_count: int, *,
                    count: int = DEFAULT_COUNT, cuts: Sequence[int] = (), max_pixels: int = MAX_PIXELS,
                    **settings) -> ClipBackground:
    """The pre-pass: keep the frames of :func:`reference_indices` with their holes.

    ``items`` are ``(frame, hole)`` of every frame in order, read once; the hole may be None for a
    frame not kept (so the caller makes holes only for the kept ones).  Only the kept frames are held,
    at most ``max_pixels`` pixels each (larger ones reduced); a frame masked everywhere is dropped.
    ``settings`` go to :class:`ClipBackground` (``max_tries``, ``max_residual``, ``refine``).

    Shape: frame ``(H,W,3)`` uint8, hole ``(H,W)`` bool.
    """
    wanted = set(reference_indices(frame_count, count))
    references: list[Reference] = []
    shape, scale = None, 1.0
    for index, (frame, hole) in enumerate(items):
        if shape is None:
            shape = frame.shape[:2]
            scale = min(1.0, float(np.sqrt(max_pixels / (shape[0] * shape[1]))))
        if index not in wanted or hole is None:
            continue
        hole = np.asarray(hole, bool)
        if hole.all():
            continue  # shows nothing
        if scale < 1:
            size = (max(1, round(shape[1] * scale)), max(1, round(shape[0] * scale)))
            frame = cv2.resize(frame, size, interpolation=cv2.INTER_AREA)
            hole = cv2.resize(hole.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST) > 0
        references.append(Reference(index, np.ascontiguousarray(frame), hole.copy()))
    if shape is None:
        raise InvalidOptionError("no frames to keep references from")
    background = ClipBackground(references, shape, scale, tuple(cuts), **settings)
    log.debug("kept %d reference frames (%.1f MB)", len(references), background.nbytes / 1e6)
    return background


@dataclass
class _Alignment:
    """How a frame's pixel ``p`` (references' scale) is seen in a reference: ``homography(p + flow(p))``.

    ``flow`` is kept at half the size over the box ``corner`` (x0, y0) onward, float16 (a window's
    alignments are kept for the robust-flow pass: 0.16 MB for a 400x400 box); None without refinement.
    """

    homography: np.ndarray  # 3x3 float64
    flow: np.ndarray | None
    corner: tuple[int, int]
    residual: float

    def map(self, px: np.ndarray, py: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Reference positions of the frame's points ``px, py (N,)`` float32."""
        if self.flow is not None:
            x0, y0 = self.corner
            step = sample_points(self.flow.astype(np.float32), (px - x0) / 2, (py - y0) / 2) * 2
            px, py = px + step[:, 0], py + step[:, 1]
        return apply_homography(self.homography, px, py)


class WindowBackground:
    """A :class:`ClipBackground` bound to one window; the engine calls :meth:`fill` after propagation.

    Alignments found in the first pass are kept for the robust-flow passes (a 3x3 matrix each).
    """

    def __init__(self, clip: ClipBackground, first: int) -> None:
        self.clip, self.first = clip, first
        self._alignments: dict[tuple[int, int], _Alignment | None] = {}
        self._anchors: dict[int, tuple[int, np.ndarray] | None] = {}
        self._features: dict[int, tuple] = {}

    def fill(self, frames: np.ndarray, holes: np.ndarray, filled: np.ndarray, remaining: np.ndarray) -> int:
        """Fill ``remaining`` pixels of ``filled`` from aligned references, clearing them; in place.

        Returns the number of pixels filled.

        Shape: frames, filled ``(T,H,W,3)`` uint8; holes, remaining ``(T,H,W)`` bool (the window).
        """
        done = 0
        for t in np.nonzero(remaining.reshape(len(remaining), -1).any(1))[0]:
            done += self._fill_frame(int(t), frames[t], holes[t], filled[t], remaining[t])
        if done:
            log.debug("background: %d never-seen pixels filled from reference frames", done)
        return done

    def _candidates(self, t: int) -> list[int]:
        """Positions in the clip's references of the frame's shot, nearest in time first."""
        index = self.first + t
        shot = self.clip.shot_of(index)
        references = self.clip.references
        same = [i for i, r in enumerate(references) if r.index != index and self.clip.shot_of(r.index) == shot]
        return sorted(same, key=lambda i: abs(references[i].index - index))

    def _anchor(self, t: int, frame: np.ndarray, hole: np.ndarray) -> tuple[int, np.ndarray] | None:
        """A reference the frame is matched to directly (the nearest that fits), and that homography."""
        if t not in self._anchors:
            self._anchors[t] = None
            small_frame, small_hole = self._small(frame, hole)
            for position in self._candidates(t)[:3]:
                self.clip.prepare(position)
                homography = fit_homography(self._frame_features(t, frame, hole), self.clip.features(position),
                                            small_hole)
                if homography is not None and np.isfinite(
                        known_residual(small_frame, small_hole, self.clip.references[position], homography)):
                    self._anchors[t] = (position, homography)
                    break
        return self._anchors[t]

    def _predicted(self, t: int, frame: np.ndarray, hole: np.ndarray, position: int) -> np.ndarray | None:
        """Homography frame -> ``references[position]`` through the anchor and the chain, or None."""
        anchor = self._anchor(t, frame, hole)
        if anchor is None:
            return None
        start, homography = anchor
        link = self.clip.chain(start, position)
        return None if link is None else link @ homography

    def _fill_frame(self, t: int, frame: np.ndarray, hole: np.ndarray, filled: np.ndarray, remaining: np.ndarray) -> int:
        ys, xs = np.nonzero(remaining)
        count, labels = cv2.connectedComponents(remaining.astype(np.uint8), connectivity=8)
        label = labels[ys, xs]
        sizes = np.bincount(label, minlength=count)
        scale = self.clip.scale
        px, py = xs.astype(np.float32) * scale, ys.astype(np.float32) * scale
        # which references show which pixels, predicted from the chained homographies (cheap), so
        # only those worth it are aligned precisely
        predicted = {}
        for position in self._candidates(t):
            homography = self._predicted(t, frame, hole, position)
            if homography is not None:
                self.clip.prepare(position)
                predicted[position] = (homography, _shows(self.clip.references[position], px, py, homography=homography))
        predicted = {position: predicted[position] for position in _choose_references(predicted, label, sizes,
                                                                                        self.clip.max_tries)}
        seam = _Seam(remaining, labels, count, scale)
        taken = np.zeros(len(ys), bool)
        colours: list[tuple[np.ndarray, np.ndarray]] = []  # (colour, valid) of each usable reference
        for position, (homography, shows) in predicted.items():
            if taken.all():
                break
            if not (shows & ~taken).any():
                continue
            sampled = self._sample(t, frame, hole, position, homography=homography, px=px, py=py)
            if sampled is None:
                continue
            colour, valid = sampled
            # a region is taken from this reference only where it fits the fill around the region
            if self.clip.seam_levels is not None:
                valid &= seam.fits(self, t, frame, hole, position, homography, filled)[label]
            colours.append((colour, valid))
            # a region this reference shows whole, and no nearer one did: taken from it, one source
            shown = np.bincount(label[valid & ~taken], minlength=count)
            whole = (shown == sizes) & (sizes > 0)
            whole[0] = False
            pick = whole[label] & ~taken
            filled[ys[pick], xs[pick]] = to_uint8(colour[pick])
            taken |= pick
        for colour, valid in colours:  # the rest, nearest reference first, pixel by pixel
            pick = valid & ~taken
            filled[ys[pick], xs[pick]] = to_uint8(colour[pick])
            taken |= pick
        remaining[ys[taken], xs[taken]] = False
        return int(taken.sum())

    def _frame_features(self, t: int, frame: np.ndarray, hole: np.ndarray) -> tuple:
        if t not in self._features:
            self._features[t] = _orb(*self._small(frame, hole))
        return self._features[t]

    def _small(self, frame: np.ndarray, hole: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``frame`` and ``hole`` at the references' scale."""
        if self.clip.scale >= 1 or not self.clip.references:
            return frame, hole
        h, w = self.clip.references[0].hole.shape
        return (cv2.resize(frame, (w, h), interpolation=cv2.INTER_AREA),
                cv2.resize(hole.astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST) > 0)

    def _align(self, t: int, frame: np.ndarray, hole: np.ndarray, position: int,
               homography: np.ndarray) -> _Alignment | None:
        """The frame aligned to ``references[position]``: ``homography`` (the anchor's direct fit or the chain
        through it) refined by flow, checked on the pixels both show around the hole; None if it fails."""
        key = (t, position)
        if key not in self._alignments:
            reference = self.clip.references[position]
            small_frame, small_hole = self._small(frame, hole)
            flow, corner = refine_flow(small_frame, small_hole, reference, homography) if self.clip.refine else (None, (0, 0))
            alignment = _Alignment(homography, flow, corner, 0.0)
            alignment.residual = known_residual(small_frame, small_hole, reference, alignment)
            log.debug("frame %d / reference %d: residual %.1f", self.first + t, reference.index, alignment.residual)
            self._alignments[key] = alignment if alignment.residual <= self.clip.max_residual else None
        return self._alignments[key]

    def _sample(self, t: int, frame: np.ndarray, hole: np.ndarray, position: int, *, homography: np.ndarray,
                px: np.ndarray, py: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """Colours ``(N,3)`` float32 of ``references[position]`` at the frame's points ``px, py`` (references'
        scale), and where they are valid."""
        alignment = self._align(t, frame, hole, position, homography)
        if alignment is None:
            return None
        reference = self.clip.references[position]
        qx, qy = alignment.map(px, py)
        return sample_points(reference.image, qx, qy), _shows(reference, px, py, mapped=(qx, qy))


class _Seam:
    """The ring of pixels around each never-seen region of a frame, to check a reference against.

    A reference shows the scene at another time: where the hidden content itself moved (a walking
    animal behind the removed object), its pixels are the wrong time's, and they do not continue
    what surrounds the region.  A region is taken from a reference only where the reference's
    pixels on the region's 2-pixel ring differ from the frame's fill there by at most
    ``seam_levels`` on average (the seam cost of photomontage, Agarwala et al. 2004, as a test).
    """

    def __init__(self, remaining: np.ndarray, labels: np.ndarray, count: int, scale: float) -> None:
        ring = dilate_mask(remaining, 2) & ~remaining
        grown = cv2.dilate(labels.astype(np.float32), np.ones((5, 5), np.uint8))
        self.ys, self.xs = np.nonzero(ring)
        self.label = grown[self.ys, self.xs].astype(np.int64)
        self.count, self.scale = count, scale

    def fits(self, window: WindowBackground, t: int, frame: np.ndarray, hole: np.ndarray, position: int,
             homography: np.ndarray, filled: np.ndarray) -> np.ndarray:
        """``(count,)`` bool: the regions whose ring this reference continues (label 0 is never)."""
        alignment = window._align(t, frame, hole, position, homography)
        ok = np.zeros(self.count, bool)
        if alignment is None or not len(self.ys):
            return ok
        reference = window.clip.references[position]
        px, py = self.xs.astype(np.float32) * self.scale, self.ys.astype(np.float32) * self.scale
        qx, qy = alignment.map(px, py)
        shows = _shows(reference, px, py, mapped=(qx, qy))
        diff = np.abs(sample_points(reference.image, qx, qy) - filled[self.ys, self.xs]).mean(-1)
        seen = np.bincount(self.label[shows], minlength=self.count)
        total = np.bincount(self.label, minlength=self.count)
        mean = np.bincount(self.label[shows], diff[shows], minlength=self.count) / np.maximum(seen, 1)
        ok = (seen >= 0.5 * total) & (mean <= window.clip.seam_levels)
        ok[0] = False
        return ok


def _choose_references(predicted: dict, label: np.ndarray, sizes: np.ndarray, count: int) -> list[int]:
    """The references worth aligning, at most ``count``, in the order given (nearest in time first).

    ``predicted`` maps each candidate (nearest first) to its homography and the ``(N,)`` bool of the
    pixels it is predicted to show.  First, for each region (``label``, ``sizes``), the nearest
    candidate predicted to show it whole; then, greedily, the candidate that shows most of what the
    chosen ones do not (the far references: a slow object uncovers its background only far away in
    time), while it adds at least 1 % of the pixels.
    """
    chosen: list[int] = []
    covered = np.zeros(len(label), bool)
    whole_done = np.zeros(len(sizes), bool)
    whole_done[0] = True
    for position, (_, shows) in predicted.items():
        if len(chosen) >= count or whole_done.all():
            break
        whole = (np.bincount(label[shows], minlength=len(sizes)) == sizes) & ~whole_done
        if whole.any():
            chosen.append(position)
            whole_done |= whole
            covered |= shows
    while len(chosen) < count:
        gains = {position: int((shows & ~covered).sum()) for position, (_, shows) in predicted.items()
                 if position not in chosen}
        best = max(gains, key=gains.get, default=None)  # the first (nearest) of equal gains
        if best is None or gains[best] < max(1, 0.01 * len(label)):
            break
        chosen.append(best)
        covered |= predicted[best][1]
    order = list(predicted)
    return sorted(chosen, key=order.index)


def _shows(reference: Reference, px: np.ndarray, py: np.ndarray, *, homography: np.ndarray | None = None,
           mapped: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Whether the points ``px, py`` of the frame, mapped by ``homography`` (or already ``mapped``), land inside
    ``reference`` and clear of its hole, ``(N,)`` bool."""
    qx, qy = mapped if mapped is not None else apply_homography(homography, px, py)
    h, w = reference.hole.shape
    inside = (qx >= 0) & (qy >= 0) & (qx <= w - 1) & (qy <= h - 1)
    return inside & ~reference.near_hole[np.clip(np.rint(qy).astype(int), 0, h - 1), np.clip(np.rint(qx).astype(int), 0, w - 1)]


def _orb(image: np.ndarray, hole: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """ORB points ``(N,2)`` float32 and descriptors outside ``hole`` (grown by :data:`_EDGE`)."""
    known = (~dilate_mask(hole, _EDGE)).astype(np.uint8) * 255
    keypoints, descriptors = cv2.ORB_create(_FEATURES, fastThreshold=8).detectAndCompute(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY), known)
    return np.float32([k.pt for k in keypoints]).reshape(-1, 2), descriptors


def fit_homography(frame_features: tuple, reference_features: tuple, hole: np.ndarray, *,
                   min_inliers: int = 15) -> np.ndarray | None:
    """Homography frame -> reference from ORB matches (ratio test, MAGSAC++), or None if the fit is weak.

    Only the frame's features within twice :data:`_MARGIN` pixels of the hole's box are matched (the
    background next to the hole is what must line up, and fewer features match faster), unless they
    are too few; an empty ``hole`` matches all.
    """
    (points_a, descriptors_a), (points_b, descriptors_b) = frame_features, reference_features
    if descriptors_a is None or descriptors_b is None or len(points_a) < min_inliers or len(points_b) < min_inliers:
        return None
    ys, xs = np.nonzero(hole)
    if len(ys):  # only the frame's features near the hole are matched (fewer, and the ones that matter)
        x0, x1 = xs.min() - _MARGIN * 2, xs.max() + _MARGIN * 2
        y0, y1 = ys.min() - _MARGIN * 2, ys.max() + _MARGIN * 2
        near = (points_a[:, 0] >= x0) & (points_a[:, 0] <= x1) & (points_a[:, 1] >= y0) & (points_a[:, 1] <= y1)
        if near.sum() >= 2 * min_inliers:
            points_a, descriptors_a = points_a[near], descriptors_a[near]
    pairs = cv2.BFMatcher(cv2.NORM_HAMMING).knnMatch(descriptors_a, descriptors_b, k=2)
    good = [pair[0] for pair in pairs if len(pair) == 2 and pair[0].distance < 0.8 * pair[1].distance]
    if len(good) < min_inliers:
        return None
    a = np.float32([points_a[m.queryIdx] for m in good])
    b = np.float32([points_b[m.trainIdx] for m in good])
    homography, inliers = cv2.findHomography(a, b, cv2.USAC_MAGSAC, 2.0)
    if homography is None or inliers is None or int(inliers.sum()) < min_inliers:
        return None
    return homography


def apply_homography(homography: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Points ``xs, ys (N,)`` mapped by a 3x3 homography; float32."""
    h = homography
    z = h[2, 0] * xs + h[2, 1] * ys + h[2, 2]
    z = np.where(np.abs(z) < 1e-9, 1e-9, z)
    return ((h[0, 0] * xs + h[0, 1] * ys + h[0, 2]) / z).astype(np.float32), \
        ((h[1, 0] * xs + h[1, 1] * ys + h[1, 2]) / z).astype(np.float32)


def _box(hole: np.ndarray, margin: int) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(hole)
    h, w = hole.shape
    return (max(0, xs.min() - margin), max(0, ys.min() - margin), min(w, xs.max() + 1 + margin),
            min(h, ys.max() + 1 + margin))


def _warp_crop(reference: Reference, homography: np.ndarray, box: tuple[int, int, int, int]) -> tuple[np.ndarray, np.ndarray]:
    """The reference warped onto the frame's crop ``box``, and where it is valid (inside, outside its hole)."""
    x0, y0, x1, y1 = box
    shift = np.array([[1, 0, x0], [0, 1, y0], [0, 0, 1]], np.float64)
    matrix = homography @ shift  # crop -> reference
    size = (x1 - x0, y1 - y0)
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    warped = cv2.warpPerspective(reference.image, matrix, size, flags=flags, borderMode=cv2.BORDER_REPLICATE)
    known = (~reference.near_hole).astype(np.uint8)
    valid = cv2.warpPerspective(known, matrix, size, flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP,
                                borderMode=cv2.BORDER_CONSTANT, borderValue=0) > 0
    return warped, valid


def known_residual(frame: np.ndarray, hole: np.ndarray, reference: Reference, alignment: _Alignment | np.ndarray) -> float:
    """Mean absolute RGB difference (levels) of the aligned reference and the frame around the hole.

    ``alignment`` is an :class:`_Alignment` or a homography.  Measured on every other pixel both show
    within :data:`_MARGIN` of the hole's box, at least :data:`_EDGE` pixels from the hole
    (object-coloured edge pixels are not background).  Infinite where they share less than a
    quarter of the frame's known pixels there.
    """
    if isinstance(alignment, np.ndarray):
        alignment = _Alignment(alignment, None, (0, 0), 0.0)
    x0, y0, x1, y1 = _box(hole, _MARGIN)
    known = ~dilate_mask(hole[y0:y1, x0:x1], _EDGE)[::2, ::2]
    ys, xs = np.nonzero(known)
    px, py = (xs * 2 + x0).astype(np.float32), (ys * 2 + y0).astype(np.float32)
    qx, qy = alignment.map(px, py)
    seen = _shows(reference, px, py, mapped=(qx, qy))
    if seen.sum() < max(1, len(ys)) / 4:
        return float("inf")
    diff = np.abs(sample_points(reference.image, qx[seen], qy[seen]) - frame[py[seen].astype(int), px[seen].astype(int)])
    return float(diff.mean())


def refine_flow(frame: np.ndarray, hole: np.ndarray, reference: Reference, homography: np.ndarray
                ) -> tuple[np.ndarray, tuple[int, int]]:
    """DIS flow from the frame to the warped reference around the hole, completed inside both holes.

    Computed at half the size (the correction is smooth, and a window's alignments are kept).
    Returns the flow ``(h/2,w/2,2)`` float16 in half-size pixels over the hole's box grown by
    :data:`_MARGIN`, and the box's top-left corner ``(x0, y0)``: the frame's pixel ``p`` is seen in
    the reference at ``homography(p + 2 * flow((p - corner) / 2))`` (:meth:`_Alignment.map`).
    """
    box = _box(hole, _MARGIN)
    x0, y0, x1, y1 = box
    warped, valid = _warp_crop(reference, homography, box)
    half = (max(1, (x1 - x0 + 1) // 2), max(1, (y1 - y0 + 1) // 2))
    gray_a = cv2.resize(cv2.cvtColor(np.ascontiguousarray(frame[y0:y1, x0:x1]), cv2.COLOR_RGB2GRAY), half,
                        interpolation=cv2.INTER_AREA)
    gray_b = cv2.resize(cv2.cvtColor(warped, cv2.COLOR_RGB2GRAY), half, interpolation=cv2.INTER_AREA)
    flow = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM).calc(gray_a, gray_b, None)
    unknown = dilate_mask(hole[y0:y1, x0:x1], _EDGE * 2) | ~valid
    unknown = cv2.resize(unknown.astype(np.uint8), half, interpolation=cv2.INTER_NEAREST) > 0
    if unknown.all():
        return np.zeros_like(flow, dtype=np.float16), (x0, y0)
    return complete_flow(flow.astype(np.float32), unknown).astype(np.float16), (x0, y0)
