"""The live engine: causal, frame by frame, for streams and webcams (no look-ahead).

Each frame's hole is filled from the previous *output* frame carried along the motion, and only
what the past cannot give (the first frame, a shot cut, background entering the hole from beyond the
frame's edge) is invented by a fast spatial filler (Telea).  A static background therefore stays
exactly as it was filled (no flicker), and a moving one follows the camera.

Per frame, with the state ``(previous output, its sub-pixel offsets, the last motion)``:

1. **Flow** from the current frame to the previous output (DIS, Kroeger et al. ECCV 2016, fast preset,
   at ``flow_scale`` of the size, over the whole frame), its hole first painted with the previous
   output moved on by the last motion, so neither the object nor a still patch drags the flow
   around the hole (DIS' coarse levels see far past the hole's edge).
2. **Checks** on a band of known pixels around the hole: band pixels whose colour the previous
   output, warped by their flow, does not reproduce, or whose flow the flow back does not undo
   (forward-backward check, Sundaram et al. ECCV 2010) -- occlusion edges, wrong matches -- are
   left out; if most of the band fails, the scene changed (a cut) and the state is dropped.
3. **Flow completion** inside the hole from the weighted band by pull-push interpolation (Gortler
   et al., *The Lumigraph*, SIGGRAPH 1996): a smooth fill like the harmonic one of
   :func:`vinpaint.flow.complete_flow`, in a fixed number of resizes, with no linear system to
   factorise, whatever the hole does from frame to frame.
4. **Copy without resampling**: each hole pixel takes a pixel of the previous output near where the
   flow points, the one whose content lies nearest to that point, and the sub-pixel remainder is
   carried in an offset field that the next frame's choice accounts for (error diffusion along the
   motion).  Content is never interpolated, so hundreds of frames of propagation add no blur, and
   positions stay within about half a pixel of where the estimated motion takes them.
5. **Re-anchoring**: the mismatch of mean colour between the frame just outside the hole and the
   fill just inside it (lighting, exposure) is added to the carried pixels of the output, past a
   small dead zone that keeps noise from flickering the fill: the zeroth-order term of membrane
   cloning (Farbman et al., *Coordinates for Instant Image Cloning*, SIGGRAPH 2009), blind to
   texture.  The past keeps the pixels as carried, so the shift never accumulates.

Convention: frames ``(H,W,3)`` uint8 RGB, holes ``(H,W)`` bool (True = fill), flow ``(H,W,2)``
float32 ``(dx, dy)``; see :mod:`vinpaint.arrays`.
"""

from __future__ import annotations

import logging

import cv2
import numpy as np
from numba import njit

from ..arrays import to_gray
from ..errors import InvalidArrayError, InvalidOptionError
from ..fill import SPATIAL_FILLERS, fill_spatial
from ..fill.poisson import pull_push
from ..flow import make_flow_estimator
from . import ENGINES

log = logging.getLogger(__name__)

#: known pixels around the hole whose flow feeds the completion, at flow scale (pixels)
_BAND = 6
#: hole growth at flow scale before completion: DIS patches near the hole see the painted hole
_GUARD = 8
#: grey-level error above which a band pixel's flow counts as wrong
_PHOTOMETRIC_TOLERANCE = 24.0
#: fraction of the band that must fail the checks for the state to be dropped (a cut)
_RESET_FRACTION = 0.6
#: small pixels of context around the band for the flow back (the forward-backward check)
_BACK_MARGIN = 16
#: width of the rings either side of the hole's edge read by the re-anchoring (full-size pixels)
_RING = 2
#: grey levels of mismatch across the edge ignored by the re-anchoring (noise)
_DEAD_ZONE = 2.0
#: ...plus this share of the ring's contrast (standard deviation), which two rings of texture differ by
_TEXTURE_SHARE = 0.25


def _box(mask: np.ndarray, margin: int) -> tuple[slice, slice]:
    """The bounding box of ``mask`` grown by ``margin``, clipped to the image, as slices."""
    rows, columns = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    h, w = mask.shape
    return (slice(max(rows[0] - margin, 0), min(rows[-1] + margin + 1, h)),
            slice(max(columns[0] - margin, 0), min(columns[-1] + margin + 1, w)))


def _upsampled(flow: np.ndarray, hw: tuple[int, int], box: tuple[slice, slice]) -> np.ndarray:
    """``flow`` (at a fraction of the size ``hw``) resampled to full size on ``box`` only, vectors scaled.

    Shape: flow ``(h,w,2)`` float32; returns ``(box height, box width, 2)`` float32.
    """
    (sh, sw), (h, w) = flow.shape[:2], hw
    ys = ((np.arange(box[0].start, box[0].stop, dtype=np.float32) + 0.5) * (sh / h) - 0.5)[:, None]
    xs = ((np.arange(box[1].start, box[1].stop, dtype=np.float32) + 0.5) * (sw / w) - 0.5)[None, :]
    map_x, map_y = np.broadcast_to(xs, (len(ys), xs.shape[1])), np.broadcast_to(ys, (len(ys), xs.shape[1]))
    out = cv2.remap(flow, np.ascontiguousarray(map_x), np.ascontiguousarray(map_y), cv2.INTER_LINEAR,
                    borderMode=cv2.BORDER_REPLICATE)
    out[..., 0] *= w / sw
    out[..., 1] *= h / sh
    return out


def _grow(mask: np.ndarray, pixels: int) -> np.ndarray:
    if pixels <= 0:
        return mask
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * pixels + 1, 2 * pixels + 1))
    return cv2.dilate(mask.view(np.uint8), kernel).view(bool)


@njit(cache=True)
def _carry(where, flow, top, left, previous, previous_offset, out, offset, carried):  # pragma: no cover - compiled
    """Copy into ``out`` at ``where`` (a crop at ``top, left``) the previous output's pixel along ``flow``.

    Of the 3x3 pixels around the flow's target, the one whose content (pixel + its offset) lies
    nearest to the target is copied, and the remainder becomes the pixel's offset.  ``carried``
    marks the pixels whose target lies inside the frame (the others are left for the spatial fill).
    """
    h, w = previous_offset.shape[0], previous_offset.shape[1]
    for y in range(where.shape[0]):
        for x in range(where.shape[1]):
            if not where[y, x]:
                continue
            gy, gx = top + y, left + x
            ty, tx = gy + flow[y, x, 1], gx + flow[y, x, 0]
            carried[y, x] = -0.5 < tx < w - 0.5 and -0.5 < ty < h - 0.5
            ny, nx = int(np.rint(ty)), int(np.rint(tx))
            best, by, bx, ry, rx = np.inf, 0, 0, 0.0, 0.0
            for dy in range(-1, 2):
                cy = min(max(ny + dy, 0), h - 1)
                for dx in range(-1, 2):
                    cx = min(max(nx + dx, 0), w - 1)
                    ey = cy + previous_offset[cy, cx, 1] - ty
                    ex = cx + previous_offset[cy, cx, 0] - tx
                    distance = ex * ex + ey * ey
                    if distance < best:
                        best, by, bx, ry, rx = distance, cy, cx, ey, ex
            out[gy, gx, 0] = previous[by, bx, 0]
            out[gy, gx, 1] = previous[by, bx, 1]
            out[gy, gx, 2] = previous[by, bx, 2]
            if carried[y, x]:
                offset[gy, gx, 0] = rx
                offset[gy, gx, 1] = ry


class LiveInpainter:
    """Stateful causal inpainter: call it on each frame in order; it returns the filled frame.

    Args (as :func:`inpaint_live`'s): ``fill``, ``flow``, ``flow_scale``, ``reanchor``.

    Shape: ``inpainter(frame, hole)``: frame ``(H,W,3)`` uint8 RGB, hole ``(H,W)`` bool; returns
    ``(H,W,3)`` uint8, equal to ``frame`` outside ``hole``.

    Flow is computed on the whole frame at ``flow_scale``; the rest of the work on a box around the hole.

    Example::

        live = LiveInpainter()
        for frame, hole in stream:
            show(live(frame, hole))
    """

    def __init__(self, *, fill: str = "telea", flow: str = "dis-fast", flow_scale: float = 0.5,
                 reanchor: bool = True) -> None:
        SPATIAL_FILLERS.get(fill)  # an unknown filler is reported before the first frame
        if not 0 < flow_scale <= 1:
            raise InvalidOptionError(f"flow_scale must be in (0, 1], got {flow_scale}")
        self.fill, self.flow_scale, self.reanchor = fill, float(flow_scale), bool(reanchor)
        # one estimator a direction: DIS keeps its buffers between calls on images of one size
        self._estimate, self._estimate_back = make_flow_estimator(flow), make_flow_estimator(flow)
        self.reset()

    def reset(self) -> None:
        """Forget the past (a shot cut): the next frame's hole is filled spatially."""
        self._previous: np.ndarray | None = None  # last output, (H,W,3) uint8, as carried (not re-anchored)
        self._previous_gray: np.ndarray | None = None  # its luma at flow scale
        self._motion: np.ndarray | None = None  # (H,W,2) float32: the last flow to the frame before, completed
        self._offset: np.ndarray | None = None  # (H,W,2) float32: its pixels' content truly lies at pixel + offset

    @property
    def has_past(self) -> bool:
        """Whether a previous frame is held (the next hole can be filled from it)."""
        return self._previous is not None

    def __call__(self, frame: np.ndarray, hole: np.ndarray) -> np.ndarray:
        if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
            raise InvalidArrayError(f"frame must be (H, W, 3) uint8 RGB, got {frame.shape} {frame.dtype}")
        hole = np.ascontiguousarray(hole, dtype=bool)
        if hole.shape != frame.shape[:2]:
            raise InvalidArrayError(f"hole is {hole.shape[1]}x{hole.shape[0]}, frame is {frame.shape[1]}x{frame.shape[0]}")
        if self._previous is not None and self._previous.shape != frame.shape:
            log.info("frame size changed from %s to %s: the live fill starts afresh", self._previous.shape, frame.shape)
            self.reset()
        h, w = hole.shape
        offset = np.zeros((h, w, 2), np.float32)
        filled = None
        if not hole.any():
            out = np.ascontiguousarray(frame)
        elif hole.all():  # nothing to compare with: the past stays, or grey before any
            out = self._previous.copy() if self._previous is not None else np.full_like(frame, 128)
            offset = self._offset if self._offset is not None else offset
        else:
            out = frame.copy()
            filled = self._from_past(frame, hole, offset, out) if self._previous is not None else None
            missing = hole if filled is None else hole & ~filled
            if missing.any():
                box = _box(missing, 16)
                out[box] = fill_spatial(out[box], missing[box], method=self.fill)
        self._previous, self._offset = out, offset
        self._previous_gray = self._small_gray(out)
        if self.reanchor and filled is not None:
            return self._reanchored(frame, hole, filled, out)  # the past keeps the carried pixels as they were
        return out

    def _small_gray(self, image: np.ndarray) -> np.ndarray:
        gray = to_gray(image)
        if self.flow_scale == 1:
            return gray
        h, w = gray.shape
        return cv2.resize(gray, (max(8, round(w * self.flow_scale)), max(8, round(h * self.flow_scale))),
                          interpolation=cv2.INTER_AREA)

    def _from_past(self, frame: np.ndarray, hole: np.ndarray, offset: np.ndarray, out: np.ndarray) -> np.ndarray | None:
        """Fill ``out`` inside ``hole`` from the previous output; returns the pixels carried (None: a cut).

        ``offset`` receives the sub-pixel offsets of the carried pixels.
        """
        # 1. flow at flow scale over the whole frame (large motions need the context), from this frame
        #    (its hole painted with the past, so the object does not drag the flow) to the previous output
        painted = frame.copy()
        box = _box(hole, 0)
        np.copyto(painted[box], self._predicted(box), where=hole[box][..., None])
        gray = self._small_gray(painted)
        sh, sw = gray.shape
        small_hole = cv2.resize(hole.view(np.uint8), (sw, sh), interpolation=cv2.INTER_AREA) > 0
        small_hole |= cv2.resize(hole.view(np.uint8), (sw, sh), interpolation=cv2.INTER_NEAREST) > 0
        near = _box(small_hole, _GUARD + _BAND + 1)  # the completion works on a box around the hole
        guarded = _grow(small_hole[near], _GUARD)
        band = _grow(guarded, _BAND) & ~guarded
        flow = np.zeros((sh, sw, 2), np.float32)  # where the band is empty (hole nearly everywhere): the past stays
        if band.any():
            estimated = self._estimate(gray, self._previous_gray)[near]
            # 2. checks on the band: does the previous output, warped, give this frame's pixels, and
            #    does the flow back from the previous output return where it started (Sundaram et al.
            #    2010; the flow back is computed on a box around the hole's surroundings only)?
            ys, xs = np.nonzero(band)
            top, left = near[0].start, near[1].start
            source_x = (left + xs + estimated[ys, xs, 0]).astype(np.float32)
            source_y = (top + ys + estimated[ys, xs, 1]).astype(np.float32)
            seen = cv2.remap(self._previous_gray, source_x[None], source_y[None], cv2.INTER_LINEAR,
                             borderMode=cv2.BORDER_REPLICATE)[0]
            error = np.abs(seen.astype(np.float32) - gray[near][ys, xs])
            back_box = _box(small_hole, _GUARD + _BAND + 1 + _BACK_MARGIN)
            back = self._estimate_back(np.ascontiguousarray(self._previous_gray[back_box]),
                                  np.ascontiguousarray(gray[back_box]))
            returned = cv2.remap(back, (source_x - np.float32(back_box[1].start))[None],
                                 (source_y - np.float32(back_box[0].start))[None], cv2.INTER_LINEAR,
                                 borderMode=cv2.BORDER_REPLICATE)[0]
            forward = estimated[ys, xs]
            loop = ((forward + returned) ** 2).sum(axis=1)
            agree = loop < 0.01 * ((forward ** 2).sum(axis=1) + (returned ** 2).sum(axis=1)) + 0.5
            consistent = (error < _PHOTOMETRIC_TOLERANCE) & agree
            changed = 1 - float(consistent.mean())
            if changed > _RESET_FRACTION:
                log.debug("%.0f %% of the hole's surroundings changed: the live fill starts afresh", 100 * changed)
                self.reset()
                return None
            # 3. complete the flow inside the (guarded) hole from the consistent band, by pull-push
            known = np.zeros(band.shape, bool)
            known[ys, xs] = consistent
            flow[near] = pull_push(estimated, known)
        # 4. carry the nearest pixel along the flow, with the sub-pixel remainder
        crop = hole[box]
        carried = np.zeros(crop.shape, bool)
        self._motion = np.zeros(hole.shape + (2,), np.float32)
        self._motion[box] = _upsampled(flow, hole.shape, box)
        _carry(crop, self._motion[box], box[0].start, box[1].start, self._previous, self._offset, out, offset, carried)
        filled = np.zeros_like(hole)
        filled[box] = carried
        return filled

    def _predicted(self, box: tuple[slice, slice]) -> np.ndarray:
        """The previous output on ``box`` moved on by the last motion (constant motion): what the hole should show.

        Painting the hole with it before the flow is computed keeps the hole from pulling the flow
        around it towards zero (DIS' coarse levels see far past the hole's edge).
        """
        if self._motion is None or self._motion.shape[:2] != self._previous.shape[:2]:
            return self._previous[box]
        motion = self._motion[box]
        map_x = motion[..., 0] + np.arange(box[1].start, box[1].stop, dtype=np.float32)[None, :]
        map_y = motion[..., 1] + np.arange(box[0].start, box[0].stop, dtype=np.float32)[:, None]
        return cv2.remap(self._previous, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)

    @staticmethod
    def _reanchored(frame: np.ndarray, hole: np.ndarray, filled: np.ndarray, out: np.ndarray) -> np.ndarray:
        """``out`` with ``out[filled]`` shifted by the mismatch of mean colour across the hole's edge, past a dead zone.

        The mean over the whole edge (the frame just outside the hole against the fill just inside
        it) is blind to texture, which differs from one side of the edge to the other by as much
        one way as the other, and sees what lighting, exposure and drift change.  The dead zone keeps
        noise from flickering the fill; a slow fade is followed to within it.  The shift is made on
        each output afresh and never enters the past, so it cannot accumulate.
        """
        box = _box(hole, _RING + 1)
        crop, carried = hole[box], filled[box]
        outer = _grow(crop, _RING) & ~crop
        inner = crop & carried & _grow(~crop, _RING)
        if not outer.any() or not inner.any():
            return out
        around = frame[box][outer].astype(np.float32)
        mismatch = around.mean(axis=0) - out[box][inner].mean(axis=0)
        # the means of two rings of texture differ by chance in proportion to the texture's contrast
        dead_zone = _DEAD_ZONE + _TEXTURE_SHARE * around.std(axis=0)
        mismatch = np.sign(mismatch) * np.maximum(np.abs(mismatch) - dead_zone, 0)
        if not mismatch.any():
            return out
        shifted = out.copy()
        region = shifted[box]
        region[carried] = np.clip(region[carried] + mismatch.astype(np.float32), 0, 255).astype(np.uint8)
        return shifted


@ENGINES.register("live", description="causal, frame by frame, no look-ahead: streams and webcams (--preset live)")
def inpaint_live(
    frames: np.ndarray,
    holes: np.ndarray,
    *,
    fill: str = "telea",
    flow: str = "dis-fast",
    flow_scale: float = 0.5,
    reanchor: bool = True,
) -> np.ndarray:
    """Causal inpainting: each frame's hole from the previous output carried along the flow.

    Frames are taken in order and never look ahead; frames with an empty hole (context) only update
    the past.  :class:`LiveInpainter` is the same, one frame at a time, and is what
    :func:`vinpaint.pipeline.remove_stream` runs for this engine (no window, no look-ahead).

    Args:
        fill: spatial filler for what the past does not show (:data:`vinpaint.fill.SPATIAL_FILLERS`).
        flow: flow estimator (:data:`vinpaint.flow.FLOW_ESTIMATORS`); DIS fast keeps up with a stream.
        flow_scale: flow is computed at this fraction of the size (0 < scale <= 1).
        reanchor: match the fill to lighting changes at the hole's edge (membrane correction).

    Shape: frames ``(T,H,W,3)`` uint8, holes ``(T,H,W)`` bool; returns ``(T,H,W,3)`` uint8.
    """
    inpainter = LiveInpainter(fill=fill, flow=flow, flow_scale=flow_scale, reanchor=reanchor)
    return np.stack([inpainter(frame, hole) for frame, hole in zip(frames, holes)])


#: the pipeline streams a causal engine through this class, one frame at a time
inpaint_live.causal = LiveInpainter
