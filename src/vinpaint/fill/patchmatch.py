"""Exemplar-based hole filling: multi-scale PatchMatch texture synthesis.

The filler registered as ``patchmatch`` in :data:`vinpaint.fill.SPATIAL_FILLERS` copies texture
from around the hole into it, so a large hole is textured like its surroundings instead of smeared
(compare ``telea`` and ``ns``), while edges that cross the hole are continued.

Method (Wexler, Shechtman and Irani, "Space-time completion of video", PAMI 2007; Newson et al.,
"Video inpainting of complex scenes", SIAM J. Imaging Sciences 2014):

1. Work on a crop: the hole's bounding box plus a margin (the *source band*), one crop per group of
   nearby hole components, so the cost follows the hole, not the frame.
2. Build an image pyramid of the crop (2x2 means over known pixels only) with the hole grown at each
   level.  Each pixel carries CIE-Lab colour plus two texture features, the local mean of
   ``|dL/dx|`` and ``|dL/dy|`` (Newson et al.), which make the patch distance see edges and texture
   energy, not only colour.
3. Levels are added until the hole is about a patch thick, and dropped again where a coarse level
   has fewer fully-known patches than patches overlapping the hole (its few sources would be copied
   everywhere).  At the coarsest level, initialise the hole with a smooth Navier-Stokes fill
   (Bertalmio et al. CVPR 2001, ``cv2.inpaint``) that carries the isophotes of the boundary into the
   hole: the structure that the finer levels then texture.
4. At each level alternate (expectation-maximisation): find for every patch overlapping the hole its
   nearest fully-known patch with PatchMatch (Barnes et al., SIGGRAPH 2009: random initialisation or
   the coarser level's field upsampled, propagation of good offsets from scan-order neighbours, random
   search at halving radii), then set each hole pixel to the similarity-weighted mean of the pixels
   that the overlapping patches' matches put on it (patch voting, Wexler et al.; weights
   ``exp(-d / 2 sigma^2)``, sigma^2 = 75th percentile of the distances, times the patch's confidence:
   the mean of ``gamma ** -distance`` into the hole over its pixels, 1 for known ones).
5. The finest level's last vote takes each pixel from the single best overlapping match instead of a
   mean, which keeps the fill as sharp as the source (Newson et al.'s final reconstruction).

The kernels are compiled with numba (``cache=True``: the first call in a fresh install compiles for a
few seconds, later processes load the cached machine code).  A seeded private random generator makes
the result deterministic for a given ``seed``.

Convention: see :mod:`vinpaint.arrays` (frames ``(H,W,3)`` uint8 RGB; masks bool, True = fill).
"""

from __future__ import annotations

import logging

import cv2
import numpy as np
from numba import njit

from ..arrays import to_uint8
from ..errors import InvalidArrayError, InvalidOptionError
from .registry import SPATIAL_FILLERS

logger = logging.getLogger(__name__)

_MIN_SOURCES = 16  # fewer fully-known patches than this at the finest level: fall back to Navier-Stokes
_MIN_SOURCE_RATIO = 1.0  # a coarse level needs this many known patches per patch that overlaps the hole


# ---------------------------------------------------------------------------------------------------
# compiled kernels
# ---------------------------------------------------------------------------------------------------


@njit(cache=True, inline="always")
def _next_random(state: np.ndarray) -> np.uint64:
    """xorshift64*: a small private generator, so results do not depend on numba's global state."""
    x = state[0]
    x ^= x >> np.uint64(12)
    x ^= x << np.uint64(25)
    x ^= x >> np.uint64(27)
    state[0] = x
    return x * np.uint64(2685821657736338717)


@njit(cache=True, inline="always")
def _random_int(state: np.ndarray, n: int) -> int:
    """Uniform integer in ``[0, n)``."""
    return int((_next_random(state) >> np.uint64(33)) % np.uint64(n))


@njit(cache=True, fastmath=True, nogil=True)
def _patch_distance(img, ty, tx, sy, sx, r, limit):
    """Sum of squared differences between the patches centred on (ty,tx) and (sy,sx).

    Only the target patch's pixels inside the image count (the source patch always lies inside);
    stops early once the sum passes ``limit``.  Each patch row is one contiguous run of
    ``width * channels`` floats, which the compiler vectorises.
    """
    h, w, c = img.shape
    y0 = -r if ty >= r else -ty
    y1 = r if ty + r < h else h - 1 - ty
    x0 = -r if tx >= r else -tx
    x1 = r if tx + r < w else w - 1 - tx
    flat = img.reshape(h, w * c)
    run = (x1 - x0 + 1) * c
    t0 = (tx + x0) * c
    s0 = (sx + x0) * c
    acc = np.float32(0.0)
    for dy in range(y0, y1 + 1):
        trow = flat[ty + dy]
        srow = flat[sy + dy]
        for j in range(run):
            d = trow[t0 + j] - srow[s0 + j]
            acc += d * d
        if acc >= limit:
            return acc
    return acc


@njit(cache=True, nogil=True)
def _patch_count(h, w, y, x, r):
    """Number of pixels of the patch centred on (y,x) that lie inside an (h,w) image."""
    ny = min(r, h - 1 - y) + min(r, y) + 1
    nx = min(r, w - 1 - x) + min(r, x) + 1
    return ny * nx


@njit(cache=True, nogil=True)
def _score_field(img, ty, tx, nnf, nnfd, valid, sources, r, seed):
    """Distances of the current field; entries pointing at an invalid source get a random valid one."""
    h, w, _ = img.shape
    state = np.array([np.uint64(seed) * np.uint64(6364136223846793005) + np.uint64(1442695040888963407)])
    for i in range(ty.shape[0]):
        y, x = ty[i], tx[i]
        sy, sx = nnf[y, x, 0], nnf[y, x, 1]
        if sy < 0 or sy >= h or sx < 0 or sx >= w or not valid[sy, sx]:
            j = _random_int(state, sources.shape[0])
            sy, sx = sources[j, 0], sources[j, 1]
            nnf[y, x, 0], nnf[y, x, 1] = sy, sx
        nnfd[y, x] = _patch_distance(img, y, x, sy, sx, r, np.inf)


@njit(cache=True, fastmath=True, nogil=True)
def _patchmatch(img, ty, tx, is_target, nnf, nnfd, valid, r, iterations, phase, seed):
    """Improve the nearest-neighbour field in place (Barnes et al. 2009).

    Targets are visited in raster order on even sweeps (counted from ``phase``), in reverse on odd; each
    tries the shifted matches of its two already-visited neighbours (propagation), then random
    candidates around its best match at radii halving from the crop size down to one pixel.
    """
    h, w, _ = img.shape
    n = ty.shape[0]
    state = np.array([np.uint64(seed) * np.uint64(6364136223846793005) + np.uint64(1442695040888963407)])
    for it in range(iterations):
        step = 1 if (it + phase) % 2 == 0 else -1
        for k in range(n):
            i = k if step == 1 else n - 1 - k
            y, x = ty[i], tx[i]
            by, bx, bd = nnf[y, x, 0], nnf[y, x, 1], nnfd[y, x]
            # propagation from the left/right and upper/lower neighbour
            for m in range(2):
                ny = y - step if m == 1 else y
                nx = x - step if m == 0 else x
                if ny < 0 or ny >= h or nx < 0 or nx >= w or not is_target[ny, nx]:
                    continue
                cy = nnf[ny, nx, 0] + (y - ny)
                cx = nnf[ny, nx, 1] + (x - nx)
                if cy < 0 or cy >= h or cx < 0 or cx >= w or not valid[cy, cx]:
                    continue
                if cy == by and cx == bx:
                    continue
                d = _patch_distance(img, y, x, cy, cx, r, bd)
                if d < bd:
                    by, bx, bd = cy, cx, d
            # random search around the best match
            radius = max(h, w)
            while radius >= 1:
                y0 = max(by - radius, 0)
                y1 = min(by + radius, h - 1)
                x0 = max(bx - radius, 0)
                x1 = min(bx + radius, w - 1)
                cy = y0 + _random_int(state, y1 - y0 + 1)
                cx = x0 + _random_int(state, x1 - x0 + 1)
                if valid[cy, cx] and (cy != by or cx != bx):
                    d = _patch_distance(img, y, x, cy, cx, r, bd)
                    if d < bd:
                        by, bx, bd = cy, cx, d
                radius //= 2
            nnf[y, x, 0], nnf[y, x, 1], nnfd[y, x] = by, bx, bd


@njit(cache=True, fastmath=True, nogil=True)
def _vote(img, hy, hx, nnf, nnfd, conf, r, inv_two_sigma2, best_only, out):
    """Patch voting (Wexler et al. 2007): each hole pixel from the matches of its overlapping patches.

    ``best_only`` takes the pixel from the overlapping patch with the smallest distance per pixel;
    otherwise a mean weighted by ``exp(-d * inv_two_sigma2)``.
    """
    h, w, c = img.shape
    acc = np.empty(c, dtype=np.float64)
    # each patch's distance per pixel and vote weight, once a patch instead of once for every pixel it
    # covers (the exponential was most of the vote's time); the same expressions as before, so the
    # same values
    dist = np.empty((h, w), dtype=np.float64)
    weight = np.empty((h, w), dtype=np.float64)
    for qy in range(h):
        for qx in range(w):
            d = nnfd[qy, qx] / _patch_count(h, w, qy, qx, r)
            dist[qy, qx] = d
            weight[qy, qx] = conf[qy, qx] * np.exp(-d * inv_two_sigma2) + 1e-12
    for i in range(hy.shape[0]):
        y, x = hy[i], hx[i]
        acc[:] = 0.0
        wsum = 0.0
        best = np.inf
        for dy in range(-r, r + 1):
            qy = y + dy
            if qy < 0 or qy >= h:
                continue
            for dx in range(-r, r + 1):
                qx = x + dx
                if qx < 0 or qx >= w:
                    continue
                d = dist[qy, qx]
                sy = nnf[qy, qx, 0] - dy
                sx = nnf[qy, qx, 1] - dx
                if best_only:
                    if d < best:
                        best = d
                        for k in range(c):
                            acc[k] = img[sy, sx, k]
                        wsum = 1.0
                else:
                    wgt = weight[qy, qx]
                    for k in range(c):
                        acc[k] += wgt * img[sy, sx, k]
                    wsum += wgt
        for k in range(c):
            out[y, x, k] = acc[k] / wsum


# ---------------------------------------------------------------------------------------------------
# pyramid and crop helpers (NumPy / OpenCV)
# ---------------------------------------------------------------------------------------------------


def _downsample(img: np.ndarray, hole: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Halve ``img`` by 2x2 means; a coarse pixel is hole if any of its four children is.

    Known coarse pixels therefore depend on known fine pixels only.
    """
    h, w = hole.shape
    ph, pw = h % 2, w % 2
    if ph or pw:
        img = np.pad(img, ((0, ph), (0, pw), (0, 0)), mode="edge")
        hole = np.pad(hole, ((0, ph), (0, pw)), mode="edge")
    hh, ww = img.shape[0] // 2, img.shape[1] // 2
    small = img.reshape(hh, 2, ww, 2, -1).mean(axis=(1, 3), dtype=np.float32)
    small_hole = hole.reshape(hh, 2, ww, 2).any(axis=(1, 3))
    return small, small_hole


def _texture_features(lab: np.ndarray, hole: np.ndarray, size: int) -> np.ndarray:
    """Newson et al.'s texture features: local means of ``|dL/dx|`` and ``|dL/dy|`` over known pixels.

    Shape: lab ``(h,w,3)`` float32, hole ``(h,w)`` bool; returns ``(h,w,2)`` float32 (0 where no
    known gradient lies within the window; such pixels are inside the hole and get filled).
    """
    lum = lab[..., 0]
    gx = np.zeros_like(lum)
    gy = np.zeros_like(lum)
    gx[:, 1:-1] = np.abs(lum[:, 2:] - lum[:, :-2]) * 0.5
    gy[1:-1, :] = np.abs(lum[2:, :] - lum[:-2, :]) * 0.5
    known = ~cv2.dilate(hole.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)  # gradient needs no hole pixel
    weight = cv2.boxFilter(known.astype(np.float32), -1, (size, size), normalize=False)
    feats = np.empty(lum.shape + (2,), np.float32)
    for k, g in enumerate((gx, gy)):
        total = cv2.boxFilter(np.where(known, g, 0).astype(np.float32), -1, (size, size), normalize=False)
        feats[..., k] = np.where(weight > 0, total / np.maximum(weight, 1e-6), 0)
    return feats


def _crop_boxes(hole: np.ndarray, margin: int | None, minimum: int) -> list[tuple[int, int, int, int]]:
    """Boxes (y0, y1, x0, x1) covering the hole's components plus a margin, merged where they overlap.

    The margin is ``margin`` or, if None, half the component's larger side (at least ``minimum``).
    No box holds part of a hole whose box it was not merged with, so boxes can be filled separately.
    """
    h, w = hole.shape
    count, _, stats, _ = cv2.connectedComponentsWithStats(hole.astype(np.uint8), connectivity=8)
    boxes = []
    for i in range(1, count):
        x, y, bw, bh = (int(v) for v in stats[i, :4])
        m = margin if margin is not None else max(minimum, max(bw, bh) // 2)
        boxes.append([max(y - m, 0), min(y + bh + m, h), max(x - m, 0), min(x + bw + m, w)])
    merged = True
    while merged:
        merged = False
        for i in range(len(boxes)):
            for j in range(i + 1, len(boxes)):
                a, b = boxes[i], boxes[j]
                if a[0] < b[1] and b[0] < a[1] and a[2] < b[3] and b[2] < a[3]:
                    boxes[i] = [min(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), max(a[3], b[3])]
                    del boxes[j]
                    merged = True
                    break
            if merged:
                break
    return [tuple(int(v) for v in b) for b in boxes]


def _sources_and_targets(hole: np.ndarray, r: int):
    """Valid source centres (whole patch known and inside) and target centres (patch overlaps the hole)."""
    h, w = hole.shape
    kernel = np.ones((2 * r + 1, 2 * r + 1), np.uint8)
    touched = cv2.dilate(hole.astype(np.uint8), kernel, borderType=cv2.BORDER_CONSTANT, borderValue=0).astype(bool)
    valid = ~touched
    valid[:r, :] = False
    valid[h - r :, :] = False
    valid[:, :r] = False
    valid[:, w - r :] = False
    ty, tx = np.nonzero(touched)
    sources = np.argwhere(valid).astype(np.int32)
    return valid, touched, ty.astype(np.int32), tx.astype(np.int32), sources


def _smooth_init(img: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """Navier-Stokes fill of every channel (Bertalmio et al. 2001): continues isophotes into the hole."""
    mask = hole.astype(np.uint8)
    out = img.copy()
    for k in range(img.shape[2]):
        out[..., k] = cv2.inpaint(np.ascontiguousarray(img[..., k]), mask, 3, cv2.INPAINT_NS)
    return out


def _level_count(hole: np.ndarray, r: int, levels: int | None) -> int:
    """Levels so that the coarsest hole is about a patch thick (or ``levels`` if given)."""
    if levels is not None:
        return levels
    depth = float(cv2.distanceTransform(np.pad(hole, 1).astype(np.uint8), cv2.DIST_L2, 3).max())
    n = 1
    while depth / 2 ** (n - 1) > r + 1 and min(hole.shape) / 2**n >= 2 * (2 * r + 1):
        n += 1
    return n


# ---------------------------------------------------------------------------------------------------
# the filler
# ---------------------------------------------------------------------------------------------------


def _fill_crop(rgb: np.ndarray, hole: np.ndarray, *, patch_size: int, iterations: int, search_iterations: int,
               levels: int | None, texture_weight: float, gamma: float, final_vote: str, seed: int) -> np.ndarray:
    """Fill ``hole`` in one crop; returns the crop, uint8 RGB, equal to ``rgb`` outside ``hole``."""
    r = patch_size // 2
    lab = cv2.cvtColor(rgb.astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab)
    feats = _texture_features(lab, hole, patch_size) * np.float32(np.sqrt(texture_weight))
    img = np.concatenate([lab, feats], axis=2)
    img[hole] = 0.0

    pyramid = [(img, hole)]
    for _ in range(_level_count(hole, r, levels) - 1):
        pyramid.append(_downsample(*pyramid[-1]))
    setups = [_sources_and_targets(h, r) for _, h in pyramid]
    # a coarse level with few known patches per unknown one copies its few sources everywhere: drop it
    while len(pyramid) > 1 and len(setups[-1][4]) < max(_MIN_SOURCES, _MIN_SOURCE_RATIO * len(setups[-1][2])):
        pyramid.pop()
        setups.pop()
    if len(setups[0][4]) < _MIN_SOURCES:
        logger.info("patchmatch: %d known patches around a %d-pixel hole, using Navier-Stokes",
                    len(setups[0][4]), int(hole.sum()))
        out = cv2.inpaint(rgb, hole.astype(np.uint8), 5, cv2.INPAINT_NS)
        return np.where(hole[..., None], out, rgb)

    coarsest = len(pyramid) - 1
    current = None
    nnf = None
    for level in range(coarsest, -1, -1):
        img, lhole = pyramid[level]
        img = img.copy()
        valid, is_target, ty, tx, sources = setups[level]
        hy, hx = np.nonzero(lhole)
        hy, hx = hy.astype(np.int32), hx.astype(np.int32)
        h, w = lhole.shape
        if current is None:
            img = _smooth_init(img, lhole)
            new_nnf = np.full((h, w, 2), -1, np.int32)
        else:
            up = cv2.resize(current, (w, h), interpolation=cv2.INTER_LINEAR)
            img[lhole] = up[lhole]
            # upsample the field: a fine pixel's match is twice its parent's, plus its offset in the parent
            yy, xx = np.mgrid[0:h, 0:w]
            py = np.minimum(yy // 2, nnf.shape[0] - 1)
            px = np.minimum(xx // 2, nnf.shape[1] - 1)
            new_nnf = np.stack([2 * nnf[py, px, 0] + (yy - 2 * py), 2 * nnf[py, px, 1] + (xx - 2 * px)], axis=2)
            new_nnf = np.where(nnf[py, px, :1] < 0, -1, new_nnf).astype(np.int32)
        nnf = new_nnf
        nnfd = np.zeros((h, w), np.float32)
        conf = _confidence(lhole, r, gamma)
        level_seed = (seed * 7919 + level * 104729) % 2**62  # non-negative, fits the generator's uint64
        _score_field(img, ty, tx, nnf, nnfd, valid, sources, r, level_seed)
        if current is not None:
            # Newson et al.: the finer level starts from the coarse field's vote, not from a blurred upsampling
            out = img.copy()
            _vote(img, hy, hx, nnf, nnfd, conf, r, 1.0 / (2.0 * _sigma2(nnfd, ty, tx, h, w, r)), False, out)
            img = out
            _score_field(img, ty, tx, nnf, nnfd, valid, sources, r, level_seed)
        em_steps = iterations if level == 0 else iterations + 2
        for step in range(em_steps):
            sweeps = search_iterations + 2 if level == coarsest else search_iterations  # random start: converge
            _patchmatch(img, ty, tx, is_target, nnf, nnfd, valid, r, sweeps, step, level_seed + step + 1)
            best_only = final_vote == "best" and level == 0 and step == em_steps - 1
            sigma2 = _sigma2(nnfd, ty, tx, h, w, r)
            out = img.copy()
            _vote(img, hy, hx, nnf, nnfd, conf, r, 1.0 / (2.0 * sigma2), best_only, out)
            img = out
            if step < em_steps - 1:
                # refresh distances against the new estimate before the next search
                _score_field(img, ty, tx, nnf, nnfd, valid, sources, r, level_seed)
        current = img

    lab_out = np.ascontiguousarray(current[..., :3])
    rgb_out = cv2.cvtColor(lab_out, cv2.COLOR_Lab2RGB)
    rgb_out = to_uint8(rgb_out * 255.0)
    return np.where(hole[..., None], rgb_out, rgb)


def _confidence(hole: np.ndarray, r: int, gamma: float) -> np.ndarray:
    """Wexler et al.'s vote weight of each patch: mean over it of 1 (known) or gamma^-distance (hole)."""
    dist = cv2.distanceTransform(hole.astype(np.uint8), cv2.DIST_L2, 3)
    pixel = np.where(hole, gamma ** -dist, 1.0).astype(np.float32)
    return cv2.blur(pixel, (2 * r + 1, 2 * r + 1), borderType=cv2.BORDER_REPLICATE)


def _sigma2(nnfd: np.ndarray, ty: np.ndarray, tx: np.ndarray, h: int, w: int, r: int) -> float:
    """75th percentile of the per-pixel patch distances (Wexler et al.'s sigma^2)."""
    ny = np.minimum(r, h - 1 - ty) + np.minimum(r, ty) + 1
    nx = np.minimum(r, w - 1 - tx) + np.minimum(r, tx) + 1
    d = nnfd[ty, tx] / (ny * nx)
    return max(float(np.percentile(d, 75)), 1e-3)


@SPATIAL_FILLERS.register("patchmatch")
def fill_patchmatch(frame: np.ndarray, hole: np.ndarray, *, patch_size: int = 7, iterations: int = 2,
                    search_iterations: int = 1, levels: int | None = None, margin: int | None = None,
                    texture_weight: float = 16.0, gamma: float = 1.3, final_vote: str = "best",
                    seed: int = 0) -> np.ndarray:
    """Multi-scale PatchMatch texture synthesis (Barnes et al. 2009; Wexler et al. 2007; Newson et al. 2014).

    Copies patches from a band around the hole into it, coarse to fine, starting from a Navier-Stokes
    fill so edges continue through the hole.  Sharp and textured where ``telea``/``ns`` smear.

    Args:
        frame: the image.
        hole: True where to fill.
        patch_size: odd patch side in pixels (>= 3); larger keeps bigger structures, costs more.
        iterations: expectation-maximisation steps (search + vote) at the finest level (>= 1); the
            coarser levels, which cost a quarter as much each, do two more.
        search_iterations: PatchMatch sweeps per step (>= 1).
        levels: pyramid levels; None chooses them so the coarsest hole is about a patch thick.
        margin: width in pixels of the source band around each hole component's bounding box;
            None = half the component's larger side, at least ``6 * patch_size``.
        texture_weight: weight of the gradient-magnitude features in the patch distance (>= 0; 0 =
            colour only, which lets smooth areas win over texture and gives flatter fills).
        gamma: a patch's vote is weighted by the mean over its pixels of 1 (known) or
            ``gamma ** -distance_into_the_hole`` (Wexler et al.'s confidence; >= 1, 1 = no weighting), so
            matches anchored on the known boundary count more than those in the hole's middle.
        final_vote: ``"best"`` takes each pixel of the last vote from the single most similar
            overlapping patch (sharp); ``"mean"`` keeps the weighted mean (smoother, slightly higher PSNR).
        seed: random seed; the result is deterministic for a given seed.

    Shape:
        frame: ``(H,W,3)`` uint8 RGB.  hole: ``(H,W)`` bool, True = fill.
        returns: ``(H,W,3)`` uint8, equal to ``frame`` outside ``hole``.

    Raises:
        InvalidArrayError: frame not ``(H,W,3)`` uint8, or hole not a bool array of shape ``(H,W)``.
        InvalidOptionError: an option out of its range.
    """
    frame = np.asarray(frame)
    hole = np.asarray(hole)
    if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
        raise InvalidArrayError(f"frame must be (H, W, 3) uint8 RGB, got {frame.shape} {frame.dtype}")
    if hole.shape != frame.shape[:2] or hole.dtype != np.bool_:
        raise InvalidArrayError(
            f"hole must be a bool array of shape {frame.shape[:2]}, got {hole.shape} {hole.dtype} "
            "(convert a 0/255 mask with mask > 0)")
    if not isinstance(patch_size, (int, np.integer)) or patch_size < 3 or patch_size % 2 == 0:
        raise InvalidOptionError(f"patch_size must be an odd integer >= 3, got {patch_size!r}")
    for name, value in (("iterations", iterations), ("search_iterations", search_iterations)):
        if not isinstance(value, (int, np.integer)) or value < 1:
            raise InvalidOptionError(f"{name} must be an integer >= 1, got {value!r}")
    if levels is not None and (not isinstance(levels, (int, np.integer)) or levels < 1):
        raise InvalidOptionError(f"levels must be None or an integer >= 1, got {levels!r}")
    if margin is not None and (not isinstance(margin, (int, np.integer)) or margin < 1):
        raise InvalidOptionError(f"margin must be None or an integer >= 1, got {margin!r}")
    if final_vote not in ("best", "mean"):
        raise InvalidOptionError(f"final_vote must be 'best' or 'mean', got {final_vote!r}")
    if not gamma >= 1:
        raise InvalidOptionError(f"gamma must be >= 1, got {gamma!r}")
    if not texture_weight >= 0:
        raise InvalidOptionError(f"texture_weight must be >= 0, got {texture_weight!r}")

    out = frame.copy()
    if not hole.any():
        return out
    if hole.all():
        return np.full_like(frame, 128)  # nothing to copy from, as fill_spatial does

    for i, (y0, y1, x0, x1) in enumerate(_crop_boxes(hole, margin, 6 * patch_size)):
        crop_hole = hole[y0:y1, x0:x1]
        filled = _fill_crop(frame[y0:y1, x0:x1], crop_hole, patch_size=int(patch_size), iterations=int(iterations),
                            search_iterations=int(search_iterations), levels=levels,
                            texture_weight=float(texture_weight), gamma=float(gamma), final_vote=final_vote,
                            seed=int(seed) + 31 * i)
        out[y0:y1, x0:x1][crop_hole] = filled[crop_hole]
    return out
