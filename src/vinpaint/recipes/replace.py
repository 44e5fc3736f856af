"""Recipe: put a picture or a clip on a tracked surface, or swap an object for a picture.

The corner-pin insert of compositing tools (Mocha's Insert, After Effects' corner pin), on arrays and
on files:

1. the region (a keyframe mask or four corners) is tracked as a plane through the clip
   (:func:`vinpaint.masks.track.plane.track_plane`: a homography per frame, refined against the keyframe);
2. the replacement is warped onto the tracked quad every frame, and made to look as if it belongs:

   * **light** -- a per-frame, per-channel gain measured on the tracked surface against the keyframe
     (the median ratio of the frame to the keyframe warped onto it, so an occluder covering less than
     half of the surface does not bias it): the surface darkens, turns warmer, the picture follows;
   * **blur** -- the frame's motion blur, measured along the track: the keyframe's surface is blurred
     with a line kernel along the corners' motion for a few exposure fractions and the one that best
     matches the frame is applied to the picture;
   * **grain** -- the frame's noise level on the surface (Immerkaer 1996's fast estimate, over the
     flattest pixels) minus the picture's, added as Gaussian noise;
   * **occluders** -- pixels that differ from the tracked surface's appearance (the keyframe warped,
     lit and blurred as above) by more than ``occluder_threshold`` levels are something in front of
     it (a hand) and keep the input's pixels, on top of the picture;

3. ``remove_first``: the object (the region's mask, or masks for every frame) is removed with the
   engine first (:func:`vinpaint.pipeline.remove_stream`) and the picture, scaled to fit inside the
   object's tracked box, goes where it was -- a product or a sign swapped for another.

Outside the tracked quad (and, with ``remove_first``, the engine's dilated object mask) every pixel
is the input's, bit for bit.  Arrays follow :mod:`vinpaint.arrays`; a replacement is ``(h,w,3|4)``
uint8 (RGB or RGBA, alpha 255 = opaque) or a clip of them ``(T',h,w,3|4)``, looped if shorter.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..arrays import check_frames, dilate_mask, to_uint8
from ..errors import InvalidArrayError, InvalidOptionError, UnreadableInputError
from ..io import EncodeOptions, check_output, open_masks, open_video, read_frames
from ..io.images import IMAGE_EXTENSIONS
from ..masks.track.plane import PlaneTrack, order_corners, parse_corners, track_plane
from ..pipeline import RemoveOptions, remove_stream
from .common import JobResult, Progress, _rewrite

#: how the picture fills the tracked quad
FITS = ("stretch", "contain")
#: exposure fractions tried when matching motion blur (0 = sharp, 1 = the shutter open the whole frame)
_EXPOSURES = (0.0, 0.25, 0.5, 0.75, 1.0)
#: motion under this many pixels a frame is not blurred
_MIN_BLUR_MOTION = 1.0
#: the surface's pixels this far inside its edge measure light, blur and grain
_EDGE = 2


@dataclass(frozen=True)
class Replacement:
    """What :func:`replace_with_details` did.

    Attributes:
        frames: ``(T,H,W,3)`` uint8, the result.
        track: the plane followed (:class:`~vinpaint.masks.track.plane.PlaneTrack`).
        changed: ``(T,H,W)`` bool, where the result may differ from the input (the picture's quad, and
            with ``remove_first`` the engine's dilated object mask); everywhere else it equals the input.
        occluders: ``(T,H,W)`` bool, pixels kept in front of the picture.
        gains: ``(T,3)`` float, the light measured on the surface against the keyframe, per channel.
    """

    frames: np.ndarray
    track: PlaneTrack
    changed: np.ndarray
    occluders: np.ndarray
    gains: np.ndarray


def replace(frames: np.ndarray, region: np.ndarray, replacement: np.ndarray, **options) -> np.ndarray:
    """Put ``replacement`` on the surface ``region`` marks and follow it through the clip.

    Shape:
        frames: ``(T,H,W,3)`` uint8 RGB.  region: a keyframe mask ``(H,W)`` or corners ``(4,2)`` ``(x, y)``.
        replacement: ``(h,w,3|4)`` or ``(T',h,w,3|4)`` uint8.  returns: ``(T,H,W,3)`` uint8.

    Options are :func:`replace_with_details`'s.

    Example::

        from vinpaint.recipes import replace
        out = replace(frames, np.array([[40, 30], [200, 35], [198, 150], [42, 140]]), logo_rgba, keyframe=0)
    """
    return replace_with_details(frames, region, replacement, **options).frames


def replace_with_details(
    frames: np.ndarray,
    region: np.ndarray,
    replacement: np.ndarray,
    *,
    keyframe: int = 0,
    target: np.ndarray | None = None,
    fit: str | None = None,
    light: bool = True,
    blur: bool = True,
    grain: bool = True,
    occluders: bool = True,
    occluder_threshold: float = 30.0,
    remove_first: bool = False,
    object_masks: np.ndarray | None = None,
    remove_options: RemoveOptions | None = None,
    seed: int = 0,
    track: PlaneTrack | None = None,
) -> Replacement:
    """:func:`replace`, returning the track, the changed pixels, the occluders and the measured light too.

    Args:
        keyframe: the frame ``region`` is drawn on (the surface should be unoccluded there).
        target: corners ``(4,2)`` on the keyframe where the picture goes, on the tracked plane (track a
            large textured surface -- a whole banner -- and put the picture on a small part of it);
            default the region's own quad.
        fit: ``"stretch"`` (corner pin: the picture's corners on the quad's) or ``"contain"`` (scaled
            to fit inside the quad, aspect kept, centred); default stretch, contain with ``remove_first``.
        light, blur, grain, occluders: match the surface's light, motion blur and grain; keep what
            passes in front of it on top.
        occluder_threshold: levels (0-255) a pixel must differ from the surface's expected look to count
            as in front of it.
        remove_first: remove the object first (``object_masks`` ``(T,H,W)``, or the region tracked
            through the clip) with the engine, then insert the picture where it was.
        remove_options: the engine's options for ``remove_first``.
        seed: the grain's random seed (the output is deterministic).
        track: a plane tracked before (skips tracking).
    """
    frames = check_frames(frames)
    t_count, h, w = frames.shape[:3]
    pictures = _check_replacement(replacement)
    fit = fit or ("contain" if remove_first else "stretch")
    if fit not in FITS:
        raise InvalidOptionError(f"fit must be one of {', '.join(FITS)}, got {fit!r}")
    if not 0 <= occluder_threshold <= 255:
        raise InvalidOptionError(f"occluder_threshold must be 0-255 levels, got {occluder_threshold}")
    track = track or track_plane(frames, region, keyframe=keyframe)
    if object_masks is not None:
        object_masks = np.asarray(object_masks).astype(bool)
        if object_masks.shape != (t_count, h, w):
            raise InvalidArrayError(f"object_masks must have shape {(t_count, h, w)}, got {object_masks.shape}")
    masks = object_masks if object_masks is not None else _tracked_masks(track, t_count)
    inserter = SurfaceInserter(track, frames[track.keyframe], pictures, fit=fit, light=light, blur=blur, grain=grain,
                               occluders=occluders, occluder_threshold=occluder_threshold,
                               clip_to_region=not remove_first and np.asarray(region).ndim == 2, seed=seed,
                               target=target)
    out = np.empty_like(frames)
    changed = np.zeros((t_count, h, w), bool)
    hidden = np.zeros((t_count, h, w), bool)
    gains = np.ones((t_count, 3))
    stream = insert_stream(iter(frames), inserter, masks if remove_first else None, remove_options, total=t_count)
    for t, result in enumerate(stream):
        out[t], changed[t], hidden[t], gains[t] = result.frame, result.changed, result.occluders, result.gain
    return Replacement(out, track, changed, hidden, gains)


def insert_stream(images: Iterable[np.ndarray], inserter: SurfaceInserter, remove_masks: Iterable[np.ndarray] | None,
                  remove_options: RemoveOptions | None = None, *, total: int | None = None) -> Iterator[_Inserted]:
    """Insert along a track frame after frame, removing ``remove_masks`` with the engine first when given.

    ``images`` are the input's ``(H,W,3)`` uint8 frames in order; yields one result a frame.
    """
    if remove_masks is None:
        for t, image in enumerate(images):
            yield inserter.insert(t, image, image)
        return
    options = remove_options or RemoveOptions()
    originals: deque[np.ndarray] = deque()
    masks: deque[np.ndarray] = deque()

    def remembered(items, store):
        for item in items:
            store.append(item)
            yield item

    filled = remove_stream(remembered(images, originals), remembered(remove_masks, masks), options, total=total)
    for t, base in enumerate(filled):
        result = inserter.insert(t, originals.popleft(), base)
        grown = dilate_mask(np.asarray(masks.popleft(), bool), options.dilate)
        yield _Inserted(result.frame, result.changed | grown, result.occluders, result.gain)


def _tracked_masks(track: PlaneTrack, count: int) -> np.ndarray:
    return np.stack([track.region_in(t) for t in range(count)])


# --------------------------------------------------------------------------------------------------
# one frame
@dataclass(frozen=True)
class _Inserted:
    frame: np.ndarray
    changed: np.ndarray
    occluders: np.ndarray
    gain: np.ndarray


class SurfaceInserter:
    """Inserts the picture into one frame after another along a :class:`PlaneTrack` (the streaming core).

    ``insert(t, frame, base)`` puts picture ``t`` (looped) on the tracked quad of ``frame``, over
    ``base`` (the frame itself, or the frame with the object removed).
    """

    def __init__(self, track: PlaneTrack, key_frame: np.ndarray, pictures: np.ndarray, *, fit: str, light: bool,
                 blur: bool, grain: bool, occluders: bool, occluder_threshold: float, clip_to_region: bool,
                 seed: int, target: np.ndarray | None = None) -> None:
        self.track = track
        self.key = key_frame.astype(np.float32)
        self.pictures = pictures
        self.light, self.blur, self.grain, self.occluders = light, blur, grain, occluders
        self.threshold = occluder_threshold
        self.clip_to_region = clip_to_region
        self.seed = seed
        quad = track.corners[track.keyframe] if target is None else order_corners(target)
        self.placement = _placement(pictures.shape[1:3], quad, fit)
        self.surface = _erode(track.region, _EDGE)
        if self.surface.sum() < 16:
            self.surface = track.region

    def insert(self, t: int, frame: np.ndarray, base: np.ndarray) -> _Inserted:
        h, w = frame.shape[:2]
        homography = self.track.homographies[t]
        picture = self.pictures[t % len(self.pictures)].astype(np.float32)
        mapping = homography @ self.placement
        flags = cv2.INTER_LINEAR
        alpha = cv2.warpPerspective(picture[..., 3] / 255.0, mapping, (w, h), flags=flags)
        covered = cv2.warpPerspective(np.ones(picture.shape[:2], np.float32), mapping, (w, h), flags=flags) > 0
        if self.clip_to_region:
            alpha *= cv2.warpPerspective(self.track.region.astype(np.float32), homography, (w, h), flags=flags)
        colour = cv2.warpPerspective(picture[..., :3] * (picture[..., 3:] / 255.0), mapping, (w, h), flags=flags)
        covered &= alpha > 0
        if not covered.any():
            return _Inserted(base.copy(), covered, np.zeros((h, w), bool), np.ones(3))
        # work on the box around the surface and the picture only
        surface = cv2.warpPerspective(self.surface.astype(np.uint8), homography, (w, h), flags=cv2.INTER_NEAREST) > 0
        ys, xs = np.nonzero(covered | surface)
        y0, y1 = max(0, ys.min() - 8), min(h, ys.max() + 9)
        x0, x1 = max(0, xs.min() - 8), min(w, xs.max() + 9)
        box = (slice(y0, y1), slice(x0, x1))
        seen = frame[box].astype(np.float32)
        surface = surface[box]
        expected = cv2.warpPerspective(self.key, _shifted(homography, x0, y0), (x1 - x0, y1 - y0), flags=flags)
        gain = _surface_gain(seen, expected, surface) if self.light and surface.sum() >= 16 else np.ones(3, np.float32)
        kernel = self._blur_kernel(t, seen, expected * gain, surface) if self.blur else None
        if kernel is not None:
            expected = cv2.filter2D(expected, -1, kernel)
        hidden, front = np.zeros(surface.shape, np.float32), seen
        if self.occluders:
            hidden, front = _occluders(seen, expected * gain, cv2.warpPerspective(
                self.track.region.astype(np.uint8), _shifted(homography, x0, y0), (x1 - x0, y1 - y0),
                flags=cv2.INTER_NEAREST) > 0, self.threshold)
        layer, coverage = colour[box] * gain, alpha[box]
        if kernel is not None:
            layer, coverage = cv2.filter2D(layer, -1, kernel), cv2.filter2D(coverage, -1, kernel)
        if self.grain:
            layer = self._add_grain(t, layer, coverage, seen, surface & (hidden == 0))
        inside = covered[box]
        coverage = np.where(inside, np.clip(coverage, 0, 1), 0).astype(np.float32)
        below = base[box].astype(np.float32)
        mixed = below * (1 - coverage[..., None]) + layer * (inside[..., None])
        mixed = front * hidden[..., None] + mixed * (1 - hidden[..., None])
        out = base.copy()
        window = out[box]
        window[inside] = to_uint8(mixed[inside])
        occluded = np.zeros((h, w), bool)
        occluded[box] = (hidden > 0.5) & inside
        return _Inserted(out, covered, occluded, gain)

    def _blur_kernel(self, t: int, seen: np.ndarray, expected: np.ndarray, surface: np.ndarray) -> np.ndarray | None:
        """The line kernel along the track's motion that makes the keyframe's surface look most like this frame's."""
        corners = self.track.corners
        before, after = corners[max(t - 1, 0)], corners[min(t + 1, len(corners) - 1)]
        span = max(1, min(t + 1, len(corners) - 1) - max(t - 1, 0))
        motion = (after - before).mean(axis=0) / span
        if np.hypot(*motion) < _MIN_BLUR_MOTION or surface.sum() < 16:
            return None
        best, best_error = None, np.inf
        for exposure in _EXPOSURES:
            kernel = _line_kernel(motion * exposure) if exposure else None
            candidate = cv2.filter2D(expected, -1, kernel) if kernel is not None else expected
            error = float(np.abs(candidate[surface] - seen[surface]).mean())
            if error < best_error:
                best, best_error = kernel, error
        return best

    def _add_grain(self, t: int, layer: np.ndarray, coverage: np.ndarray, seen: np.ndarray,
                   surface: np.ndarray) -> np.ndarray:
        inside = coverage > 0.99
        if surface.sum() < 64 or inside.sum() < 64:
            return layer
        wanted = noise_level(seen, surface)
        has = noise_level(layer, inside)
        extra = np.sqrt(max(0.0, wanted**2 - has**2))
        if extra < 0.5:
            return layer
        rng = np.random.default_rng((self.seed, t))
        return layer + rng.normal(0.0, extra, layer.shape).astype(np.float32) * coverage[..., None]


def noise_level(image: np.ndarray, where: np.ndarray, *, flattest: float = 0.3) -> float:
    """Standard deviation of the Gaussian noise in each channel of ``image`` ``(H,W,3)`` over ``where``'s flattest pixels (levels).

    Immerkaer (1996), "Fast noise variance estimation": the mean absolute response to the Laplacian
    difference mask, times ``sqrt(pi / 2) / 6``, over the ``flattest`` fraction of ``where``'s pixels
    (lowest gradient), so texture and edges count little.
    """
    image = image.astype(np.float32)
    channels = [image[..., c] for c in range(image.shape[2])] if image.ndim == 3 else [image]
    gray = sum(channels) / len(channels)
    mask = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], np.float32)
    smooth = cv2.GaussianBlur(gray, (0, 0), 1.0)
    gradient = np.hypot(cv2.Sobel(smooth, cv2.CV_32F, 1, 0), cv2.Sobel(smooth, cv2.CV_32F, 0, 1))
    inner = _erode(where, 1)
    if inner.sum() < 16:
        return 0.0
    chosen = inner & (gradient <= np.quantile(gradient[inner], flattest))
    levels = [np.abs(cv2.filter2D(channel, -1, mask, borderType=cv2.BORDER_REFLECT))[chosen].mean() for channel in channels]
    return float(np.sqrt(np.pi / 2) / 6 * np.mean(levels))


# --------------------------------------------------------------------------------------------------
def _check_replacement(replacement) -> np.ndarray:
    """``(h,w,3|4)`` or ``(T',h,w,3|4)`` uint8 -> ``(T',h,w,4)`` uint8 RGBA."""
    pictures = np.asarray(replacement)
    if pictures.ndim == 3:
        pictures = pictures[None]
    if pictures.ndim != 4 or pictures.shape[-1] not in (3, 4) or min(pictures.shape[:3]) < 1:
        raise InvalidArrayError(f"the replacement must be an image (h, w, 3|4) or a clip (T, h, w, 3|4), got {pictures.shape}")
    if pictures.dtype != np.uint8:
        raise InvalidArrayError(f"the replacement must be uint8 (0-255), got dtype {pictures.dtype}")
    if pictures.shape[-1] == 3:
        pictures = np.concatenate([pictures, np.full((*pictures.shape[:3], 1), 255, np.uint8)], axis=-1)
    return pictures


def _placement(size: tuple[int, int], quad: np.ndarray, fit: str) -> np.ndarray:
    """Homography from the picture's pixels to the keyframe: its corners on ``quad`` (stretch) or inside it (contain)."""
    ph, pw = size
    corners = np.array([[-0.5, -0.5], [pw - 0.5, -0.5], [pw - 0.5, ph - 0.5], [-0.5, ph - 0.5]], np.float32)
    unit = np.array([[0, 0], [1, 0], [1, 1], [0, 1]], np.float32)
    if fit == "contain":
        quad_w = (np.linalg.norm(quad[1] - quad[0]) + np.linalg.norm(quad[2] - quad[3])) / 2
        quad_h = (np.linalg.norm(quad[3] - quad[0]) + np.linalg.norm(quad[2] - quad[1])) / 2
        scale = min(quad_w / pw, quad_h / ph)
        u, v = pw * scale / quad_w, ph * scale / quad_h
        unit = np.array([[(1 - u) / 2, (1 - v) / 2], [(1 + u) / 2, (1 - v) / 2], [(1 + u) / 2, (1 + v) / 2],
                         [(1 - u) / 2, (1 + v) / 2]], np.float32)
    square_to_quad = cv2.getPerspectiveTransform(np.array([[0, 0], [1, 0], [1, 1], [0, 1]], np.float32),
                                                 quad.astype(np.float32)).astype(np.float64)
    picture_to_square = cv2.getPerspectiveTransform(corners, unit).astype(np.float64)
    return square_to_quad @ picture_to_square


def _shifted(homography: np.ndarray, x0: int, y0: int) -> np.ndarray:
    """``homography`` followed by moving the origin to ``(x0, y0)`` (for a cropped box)."""
    return np.array([[1, 0, -x0], [0, 1, -y0], [0, 0, 1]], np.float64) @ homography


def _surface_gain(seen: np.ndarray, expected: np.ndarray, surface: np.ndarray) -> np.ndarray:
    """Per-channel median ratio of the frame to the keyframe's surface, both blurred (``(3,)`` float32)."""
    seen = cv2.GaussianBlur(seen, (0, 0), 2.0)[surface]
    expected = cv2.GaussianBlur(expected, (0, 0), 2.0)[surface]
    usable = expected.min(axis=1) > 8  # near-black pixels carry no ratio
    if usable.sum() < 16:
        return np.ones(3, np.float32)
    return np.median(seen[usable] / expected[usable], axis=0).astype(np.float32)


def _occluders(seen: np.ndarray, expected: np.ndarray, region: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """What differs from the surface's expected look (in front of it): its opacity and its colour.

    Returns ``alpha`` ``(h,w)`` float32 in 0-1 and ``colour`` ``(h,w,3)`` float32.  Inside an
    occluder alpha is 1 and the colour the frame's; along its edge, where the frame mixes it with the
    surface, the occluder's colour is taken from its inside next to it and alpha is the mix's
    fraction (the frame = alpha * occluder + (1 - alpha) * surface, solved by least squares), so the
    picture, not the old surface, shows through the edge.
    """
    difference = np.abs(cv2.GaussianBlur(seen, (0, 0), 1.5) - cv2.GaussianBlur(expected, (0, 0), 1.5)).max(axis=2)
    found = ((difference > threshold) & region).astype(np.uint8)
    found = cv2.morphologyEx(found, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    found = cv2.morphologyEx(found, cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8))
    # the blur above spreads an occluder over the surface around it: keep what differs unblurred too
    sharp = (np.abs(seen - expected).max(axis=2) > threshold / 2).astype(np.uint8)
    found &= cv2.dilate(sharp, np.ones((3, 3), np.uint8))
    alpha = found.astype(np.float32)
    colour = seen.copy()
    core = cv2.erode(found, np.ones((5, 5), np.uint8))
    edge = (found > 0) & (core == 0)
    if core.any() and edge.any():
        weight = cv2.GaussianBlur(core.astype(np.float32), (0, 0), 2.0)
        inside_colour = cv2.GaussianBlur(seen * core[..., None], (0, 0), 2.0) / np.maximum(weight, 1e-6)[..., None]
        usable = edge & (weight > 0.02)
        towards = inside_colour[usable] - expected[usable]
        share = ((seen[usable] - expected[usable]) * towards).sum(axis=1) / np.maximum((towards**2).sum(axis=1), 1.0)
        alpha[usable] = np.clip(share, 0, 1)
        colour[usable] = inside_colour[usable]
    return alpha, colour


def _line_kernel(motion: np.ndarray) -> np.ndarray:
    """A normalised line kernel of the length and direction of ``motion`` ``(dx, dy)`` (antialiased)."""
    length = float(np.hypot(*motion))
    radius = int(np.ceil(length / 2)) + 1
    size = 2 * radius + 1
    scale = 8
    canvas = np.zeros((size * scale, size * scale), np.float32)
    centre = np.array([radius + 0.5, radius + 0.5]) * scale
    half = np.asarray(motion) / 2 * scale
    cv2.line(canvas, tuple(np.round(centre - half).astype(int)), tuple(np.round(centre + half).astype(int)), 1.0,
             thickness=scale, lineType=cv2.LINE_AA)
    kernel = cv2.resize(canvas, (size, size), interpolation=cv2.INTER_AREA)
    return kernel / kernel.sum()


def _erode(mask: np.ndarray, pixels: int) -> np.ndarray:
    kernel = np.ones((2 * pixels + 1, 2 * pixels + 1), np.uint8)
    return cv2.erode(mask.astype(np.uint8), kernel, borderType=cv2.BORDER_CONSTANT, borderValue=0) > 0


# --------------------------------------------------------------------------------------------------
# files
def replace_file(
    input_path: str | Path,
    output_path: str | Path,
    *,
    region: str | Path,
    replacement: str | Path,
    keyframe: int | None = None,
    target: np.ndarray | None = None,
    remove_first: bool = False,
    mask_ids: Iterable[int] | None = None,
    fit: str | None = None,
    light: bool = True,
    blur: bool = True,
    grain: bool = True,
    occluders: bool = True,
    occluder_threshold: float = 30.0,
    remove_options: RemoveOptions | None = None,
    encode: EncodeOptions | None = None,
    fps: float | None = None,
    overwrite: bool = False,
    progress: Progress | None = None,
) -> JobResult:
    """:func:`replace` on a video file or frame folder; the output keeps the input's timing and audio.

    Args:
        region: corners ``"FRAME:x1,y1,x2,y2,x3,y3,x4,y4"`` (pixels, on frame FRAME), or a mask: one
            image (the surface on the keyframe), or a mask folder / mask video (its keyframe's mask is
            the surface; with ``remove_first`` every frame's mask is the object to remove).
        replacement: an image (PNG with alpha for a cut-out) or a video / frame folder (looped).
        keyframe: the frame the region is drawn on (default: the corners' frame, or 0).
        target: where the picture goes on the keyframe, as :func:`replace_with_details`'s.

    The clip is read into memory once to track the plane (``T x H x W x 3`` bytes), then streamed
    through the insertion and the writer; nothing is written unless the whole run succeeds.
    """
    output = check_output(output_path, inputs=(input_path, replacement), overwrite=overwrite)
    info = open_video(input_path, fps=fps).info
    count, size = info.frame_count, (info.height, info.width)
    surface, keyframe, masks = _read_region(region, keyframe, count, size, mask_ids=mask_ids)
    if masks is not None and not remove_first:
        masks = None
    pictures = _read_replacement(replacement, output)
    frames = read_frames(input_path, 0, count - 1, fps=fps)
    track = track_plane(frames, surface, keyframe=keyframe)
    fit = fit or ("contain" if remove_first else "stretch")
    if fit not in FITS:
        raise InvalidOptionError(f"fit must be one of {', '.join(FITS)}, got {fit!r}")
    inserter = SurfaceInserter(track, frames[keyframe], _check_replacement(pictures), fit=fit, light=light, blur=blur,
                               grain=grain, occluders=occluders, occluder_threshold=occluder_threshold,
                               clip_to_region=not remove_first and np.asarray(surface).ndim == 2, seed=0,
                               target=target)
    del frames
    if remove_first and masks is None:
        masks = _tracked_masks(track, count)
    changed = []

    def transform(images: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
        for result in insert_stream(images, inserter, masks, remove_options, total=count):
            changed.append(float(result.changed.mean()))
            yield result.frame

    _rewrite(input_path, output, transform, encode=encode, fps=fps, overwrite=overwrite, progress=progress)
    return JobResult(output, sum(c > 0 for c in changed), float(np.mean(changed)) if changed else 0.0)


def _read_region(region, keyframe, count, size, *, mask_ids):
    """``(surface: corners (4,2) or keyframe mask (H,W), keyframe, object masks (T,H,W) or None)``."""
    text = str(region)
    if ":" in text and not Path(text).exists():
        frame, corners = parse_corners(text)
        if keyframe is not None and keyframe != frame:
            raise InvalidOptionError(f"the corners are on frame {frame} but --keyframe is {keyframe}; give one of them")
        if not 0 <= frame < count:
            raise InvalidOptionError(f"the corners' frame {frame} is outside the clip (0-{count - 1})")
        return corners, frame, None
    keyframe = 0 if keyframe is None else keyframe
    if not 0 <= keyframe < count:
        raise InvalidOptionError(f"keyframe {keyframe} is outside the clip (0-{count - 1})")
    masks = np.stack([np.asarray(mask, bool) for mask in open_masks(region, count, *size, ids=mask_ids)])
    return masks[keyframe], keyframe, masks


def _read_replacement(path, output) -> np.ndarray:
    """An image (RGBA kept) or a video / frame folder -> ``(T',h,w,3|4)`` uint8."""
    path = Path(path)
    if not path.exists():
        from ..errors import InputNotFoundError

        raise InputNotFoundError(f"the replacement {path} does not exist")
    if path.resolve() == Path(output).resolve():
        raise InvalidOptionError(f"the replacement {path} is the output")
    if path.is_file() and path.suffix.lower() in IMAGE_EXTENSIONS:
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(path) as image:
                return np.asarray(image.convert("RGBA"), np.uint8)[None].copy()
        except (UnidentifiedImageError, OSError) as error:
            raise UnreadableInputError(f"cannot read image {path}: {error}") from None
    return open_video(path).read_all()
