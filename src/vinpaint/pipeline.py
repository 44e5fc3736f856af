"""Removal as a stream: bounded memory whatever the video's length.

Frames are processed in overlapping temporal windows.  Each window holds ``context`` already-final
output frames before it (with an empty hole, so the engine copies from them and the fill continues
seamlessly across windows), ``window`` frames to produce, and ``context`` frames of look-ahead (read,
used as sources, produced by the next window).  Memory is therefore set by ``window + 2 * context``
frames, not by the video's length.

:func:`remove` works on arrays, :func:`remove_file` on files; both go through :func:`remove_stream`.
"""

from __future__ import annotations

import inspect
import itertools
import logging
import queue
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .arrays import bounding_box, check_frames, check_masks
from .composite import composite, dilate_mask, poisson_blend
from .engines import ENGINES
from .errors import InvalidOptionError, MaskMismatchError
from .io import EncodeOptions, VideoSource, check_output, is_stream, open_masks, open_video, open_writer
from .io.shots import cuts_for_option, mark_shot_starts
from .options import PRESETS  # noqa: F401  (re-exported: vinpaint.PRESETS)
from .options import (DEFAULT_PRESET, PRESET_ENGINES, REMOVE_OPTIONS, check_frame_range, preset_engine_options,
                      spec_named, validate, validate_engine_options)
from .wording import count_of

if TYPE_CHECKING:
    from .engines.background import ClipBackground

log = logging.getLogger(__name__)

Progress = Callable[[int, int | None], None]


def _default(name: str):
    return spec_named(name, REMOVE_OPTIONS).default


@dataclass(frozen=True)
class RemoveOptions:
    """How to fill.  Defaults, ranges and choices are :data:`vinpaint.options.REMOVE_OPTIONS`'s.

    Attributes:
        engine: a name in :data:`vinpaint.engines.ENGINES`.
        dilate: grow the mask by this many pixels before filling (covers halos and blur).
        fringe: first grow the mask over up to this many pixels past its edge that still hold the
            object's colour (:func:`vinpaint.masks.fringe.grow_fringe`; 0 = off).
        shadows: also lift the object's cast shadow.  An engine that fills from other frames
            (``temporal_sources``: ``propagate``) first fills a band around each hole (the lit ground, as
            other frames show it), and where the frame is darker than that plate with the same colour,
            touching the hole, it is lit again (:func:`vinpaint.masks.shadows.lift_shadow`) before the
            hole is filled.  Other engines (``perframe``, ``live``) grow the hole over the shadow found
            against the frame's own surroundings (:func:`vinpaint.masks.shadows.shadow_mask`).
        feather: soften the composite edge over this many pixels, inside the mask.
        blend: ``"none"`` or ``"poisson"`` (gradient-domain blending at the hole boundary).
        window: frames produced per temporal window (at most: windows of large frames are shortened
            to fit in memory, :func:`fitted_window`).
        context: final frames kept before, and frames read ahead after, each window (at most, as ``window``).
        frame_range: ``(first, last)`` inclusive: fill only these frames, the others are copied.
            Both must lie within the clip (checked as soon as its frame count is known).
        shots: ``"auto"`` (detect shot cuts, :mod:`vinpaint.io.shots`), ``"none"``, or a text file of
            cut frames.  Each shot is filled on its own: no window, context or flow reaches across a cut.
        background_frames: reference frames kept from the whole clip (a pre-pass; :func:`clip_background`)
            and passed to engines that take a ``background``: what no frame within a window shows is taken
            from them, aligned, before any synthesis (0 = off).
        allow_full_mask: where a window's frames are masked over every pixel and no frame within
            reach (``context``) shows any, fill them with neutral grey (and log a warning) instead of
            raising :class:`~vinpaint.errors.MaskMismatchError`: there is nothing to copy from.
        engine_options: keyword options of the engine (``flow``, ``fill``...), checked against its
            signature (:func:`vinpaint.options.engine_option_specs`).
        references: ``{frame index: clean image}`` (a path or an ``(H,W,3)`` uint8 RGB array): a
            user-painted clean version of that frame.  Its pixels are the frame's fill (inside the
            grown mask) and the frame's hole is cleared, so the engine propagates them to the other
            frames within reach (the window and context) like any known pixel, before any synthesis.
            Each image must have the video's size, and each frame must be in the clip.
    """

    engine: str = _default("engine")
    dilate: int = _default("dilate")
    fringe: int = _default("fringe")
    shadows: bool = _default("shadows")
    feather: float = _default("feather")
    blend: str = _default("blend")
    window: int = _default("window")
    context: int = _default("context")
    frame_range: tuple[int, int] | None = None
    allow_full_mask: bool = _default("allow_full_mask")
    background_frames: int = _default("background_frames")
    shots: str = _default("shots")
    engine_options: dict = field(default_factory=dict)
    references: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        ENGINES.get(self.engine)  # an unknown engine is the first thing to report
        for spec in REMOVE_OPTIONS:  # values are stored as the table's types (feather=2 -> 2.0)
            object.__setattr__(self, spec.name, validate(spec, getattr(self, spec.name)))
        if self.frame_range is not None:
            object.__setattr__(self, "frame_range", _checked_frame_range(self.frame_range))
        object.__setattr__(self, "engine_options", validate_engine_options(self.engine, self.engine_options))
        object.__setattr__(self, "references", _checked_references(self.references))


def _checked_frame_range(value) -> tuple[int, int]:
    """``(first, last)`` from a pair of whole numbers or ``"FIRST-LAST"`` (as ``--frames`` takes it)."""
    pair = value.split("-") if isinstance(value, str) else value
    try:
        first, last = (int(part) for part in pair)
    except (TypeError, ValueError):
        raise InvalidOptionError(f"frame_range must be (FIRST, LAST) or 'FIRST-LAST', got {value!r}") from None
    if first < 0 or last < first:
        raise InvalidOptionError(f"frame range must be FIRST-LAST with 0 <= FIRST <= LAST, got {first}-{last}")
    return first, last


def _checked_references(references) -> dict:
    """``{frame: path or (H,W,3) uint8 array}`` with frames >= 0 and existing files; InvalidOptionError otherwise."""
    from .errors import InputNotFoundError

    checked = {}
    for frame, image in dict(references or {}).items():
        if isinstance(frame, bool) or not isinstance(frame, (int, np.integer)) or frame < 0:
            raise InvalidOptionError(f"a reference's frame must be an index >= 0, got {frame!r}")
        if isinstance(image, np.ndarray):
            if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
                raise InvalidOptionError(f"the reference of frame {frame} must be (H, W, 3) uint8 RGB, "
                                         f"got {image.shape} {image.dtype}")
        elif not Path(image).is_file():
            raise InputNotFoundError(f"reference image of frame {frame} not found: {image}")
        checked[int(frame)] = image
    return checked


def _reference_image(options: RemoveOptions, index: int, shape: tuple[int, ...]) -> np.ndarray:
    """The reference of frame ``index``, read if it is a path, checked against the frame's ``shape``."""
    from .io import read_image

    image = options.references[index]
    image = image if isinstance(image, np.ndarray) else read_image(image)
    if image.shape != tuple(shape):
        raise InvalidOptionError(f"the reference of frame {index} is {image.shape[1]}x{image.shape[0]}, the video is "
                                 f"{shape[1]}x{shape[0]}; give a clean image of the whole frame at the video's size")
    return image


def check_references(references: dict, frame_count: int) -> None:
    """Raise :class:`InvalidOptionError` unless every reference's frame is within ``frame_count`` frames."""
    beyond = sorted(frame for frame in references if frame >= frame_count)
    if beyond:
        raise InvalidOptionError(f"reference frame {beyond[0]} is outside the clip, which has "
                                 f"{count_of(frame_count, 'frame')} (0-{frame_count - 1}); give a frame within it")


def options_from_preset(preset: str = DEFAULT_PRESET, *, engine: str | None = None, **overrides) -> RemoveOptions:
    """:class:`RemoveOptions` of a named preset (:data:`vinpaint.options.PRESETS`) for ``engine``, with ``overrides`` on top.

    A preset holds engine options per engine; ``engine`` defaults to the preset's own
    (:data:`vinpaint.options.PRESET_ENGINES`: ``live`` for the live preset), else the table's default.
    ``engine_options`` in ``overrides`` are merged into the preset's, not replacing them.
    """
    engine = engine if engine is not None else PRESET_ENGINES.get(preset, _default("engine"))
    engine_options = {**preset_engine_options(preset, engine), **overrides.pop("engine_options", {})}
    unknown = sorted(set(overrides) - set(RemoveOptions.__dataclass_fields__))
    if unknown:
        of_engine = [name for name in unknown if name in inspect.signature(ENGINES.get(engine)).parameters]
        hint = (f"; {', '.join(of_engine)} belong(s) to the engine {engine!r}: pass engine_options="
                f"{{{', '.join(f'{name!r}: ...' for name in of_engine)}}}") if of_engine else ""
        raise InvalidOptionError(f"unknown option(s) {', '.join(unknown)}; "
                                 f"valid options: {', '.join(RemoveOptions.__dataclass_fields__)}{hint}")
    return RemoveOptions(engine=engine, engine_options=engine_options, **overrides)


def remove_stream(
    frames: Iterable[np.ndarray],
    masks: Iterable[np.ndarray],
    options: RemoveOptions | None = None,
    *,
    total: int | None = None,
    progress: Progress | None = None,
    cuts: Iterable[int] | None = None,
    background: ClipBackground | None = None,
) -> Iterator[np.ndarray]:
    """Fill the masked region of a stream of frames, one window at a time.

    Shape:
        frames: iterable of ``(H,W,3)`` uint8 RGB.  masks: iterable of ``(H,W)`` bool, same length.
        yields: ``(H,W,3)`` uint8, in order; outside the dilated mask identical to the input (with
            ``options.shadows``, except the lifted shadow).

    Args:
        total: the stream's frame count, if known: ``options.frame_range`` is checked against it
            before anything is read (otherwise when the stream ends), and it is passed to ``progress``.
        progress: called as ``progress(done, total)``: once with ``done = 0`` before the first frame
            is read, then whenever more frames are done.  Within a window ``done`` follows the
            engine's own progress (engines that take a ``progress`` keyword), so it rises steadily
            rather than by a whole window at a time; it never decreases and ends at the frame count.
        cuts: the stream's shot cuts (indices of each new shot's first frame), overriding
            ``options.shots``.  A window never spans a cut: each shot is filled as a stream of its own.
        background: reference frames of the whole stream (:func:`clip_background`, made by a pre-pass
            over the same frames and masks), given to the engine with each window; None: the window only.

    Raises:
        InvalidOptionError: ``options.frame_range`` lies beyond the stream's frames.
        MaskMismatchError: masks and frames differ in count or size; or a window has nothing to
            fill from (see :attr:`RemoveOptions.allow_full_mask`).
    """
    options = options or RemoveOptions()
    engine = ENGINES.get(options.engine)
    if total is not None:
        check_frame_range(options.frame_range, total)
        check_references(options.references, total)
    reporter = _ProgressReporter(progress, total)
    reporter.report(0)
    if cuts is None:
        cuts = cuts_for_option(options.shots, frame_count=total)
    if getattr(engine, "causal", None) is not None:  # a stateful engine (live): frame by frame, no window
        yield from _remove_causal(engine.causal(**options.engine_options), options, frames, masks, cuts, reporter, total)
        return
    lifts = _lifts_shadows(engine, options)  # or else the shadow is masked in each frame as it is read
    shot_starts: set[int] = set()  # filled as frames are read (a detected cut is known a few frames late)
    pairs = _strict_zip((frame for frame, _ in _shot_starts_aside(mark_shot_starts(frames, cuts), shot_starts)), masks)
    first = next(pairs, None)  # its size sets the window
    pairs = itertools.chain([first] if first is not None else [], pairs)
    window, context = fitted_window(options.window, options.context, first[0].shape) if first is not None else (1, 0)
    pending: deque[tuple[np.ndarray, np.ndarray]] = deque()  # read, not yet produced
    finished: deque[np.ndarray] = deque(maxlen=context)  # produced, kept as context
    produced = 0
    exhausted = False
    held = None  # the first frame of the next shot, read while the current shot is still pending
    while True:
        shot_ends = held is not None
        while not exhausted and not shot_ends and len(pending) < window + context:
            item = next(pairs, None)
            if item is None:
                exhausted = True
                break
            index = produced + len(pending)
            if index in shot_starts and (pending or finished):
                held, shot_ends = item, True
                break
            pending.append(_frame_and_hole(*item, index, options, grow_shadow=not lifts))
        if not pending:
            if held is not None:  # a new shot: nothing of the last one is context for it
                log.debug("shot cut at frame %d: the fill starts afresh", produced)
                finished.clear()
                pairs, held = itertools.chain([held], pairs), None
                continue
            if total is None:
                check_frame_range(options.frame_range, produced)
                check_references(options.references, produced)
            return
        count = len(pending) if exhausted or shot_ends else window
        if not finished and all(hole.all() for _, hole in pending):
            outputs = _fill_from_nothing(options, [frame for frame, _ in pending][:count], produced, len(pending), pairs)
        else:
            outputs = _fill_window(engine, options, list(finished), list(pending), count,
                                   background=background.for_window(produced - len(finished)) if background else None,
                                   progress=lambda fraction, start=produced: reporter.report(start + fraction * count))
        for out in outputs:
            pending.popleft()
            finished.append(out)
            produced += 1
            reporter.report(produced)
            yield out


#: memory the frames of one window may take, with the engine's working arrays: longer windows of large
#: frames are shortened to fit (a 1080p window of 40 frames and 8 of context would need 6 GB)
WINDOW_MEMORY = 1.5 * 2**30
#: bytes a window holds per pixel of each of its frames: the frames, their holes, both flows and their
#: consistency, the fill's working copies (about 50 measured from the peak memory of 854x480 runs)
WINDOW_BYTES_PER_PIXEL = 60


def fitted_window(window: int, context: int, shape: tuple[int, ...]) -> tuple[int, int]:
    """``(window, context)`` shortened, if need be, so that ``window + 2 * context`` frames of ``shape``
    ``(H,W,...)`` fit in :data:`WINDOW_MEMORY`; the context keeps a sixth of what fits (at least 2)."""
    fit = int(WINDOW_MEMORY // (WINDOW_BYTES_PER_PIXEL * shape[0] * shape[1]))
    if window + 2 * context <= fit:
        return window, context
    fitted_context = min(context, max(2, fit // 6))
    fitted = max(4, fit - 2 * fitted_context), fitted_context
    log.info("%dx%d frames: windows of %d frames with %d of context (of %d and %d asked) to stay within %.1f GB",
             shape[1], shape[0], *fitted, window, context, WINDOW_MEMORY / 2**30)
    return fitted


def clip_background(frames: Iterable[np.ndarray], masks: Iterable[np.ndarray], options: RemoveOptions,
                    frame_count: int) -> tuple[ClipBackground | None, list[int] | None]:
    """The pre-pass of whole-clip background: reference frames with their holes, and the clip's shot cuts.

    Reads ``frames`` and ``masks`` once (a second read of a file, or the arrays of :func:`remove`) and
    keeps ``options.background_frames`` frames evenly spaced over the clip, with their holes made as
    :func:`remove_stream` makes them (:func:`vinpaint.engines.background.keep_references`).  The cuts
    (``options.shots``; detected here for ``"auto"``) are returned so the fill uses the same ones.
    Returns ``(None, cuts from the option)`` when the option is 0 or the engine takes no ``background``.

    Shape: frames ``(H,W,3)`` uint8, masks ``(H,W)`` bool, ``frame_count`` of each.
    """
    from .engines.background import keep_references, reference_indices
    from .io.shots import CutDetector

    cuts = cuts_for_option(options.shots, frame_count=frame_count)
    engine = ENGINES.get(options.engine)
    if not options.background_frames or "background" not in inspect.signature(engine).parameters:
        return None, cuts
    lifts = _lifts_shadows(engine, options)
    wanted = set(reference_indices(frame_count, options.background_frames))
    detector = CutDetector() if cuts is None else None

    def items() -> Iterator[tuple[np.ndarray, np.ndarray | None]]:
        for index, (frame, mask) in enumerate(_strict_zip(frames, masks)):
            if detector is not None:
                detector.push(frame)
            if index not in wanted:
                yield frame, None
                continue
            if options.frame_range and not options.frame_range[0] <= index <= options.frame_range[1]:
                mask = np.zeros(frame.shape[:2], bool)
            hole = dilate_mask(_grown_mask(frame, mask, options, grow_shadow=not lifts), options.dilate)
            if lifts:  # the shadow around the object is no source of lit ground
                from .masks.shadows import shadow_band

                hole = shadow_band(hole)
            if index in options.references:  # the painted frame: known everywhere
                frame, hole = _reference_image(options, index, frame.shape), np.zeros_like(hole)
            yield frame, hole

    background = keep_references(items(), frame_count, count=options.background_frames)
    if detector is not None:
        detector.finish()
        cuts = list(detector.cuts)
    background.cuts = tuple(cuts or ())
    return background, cuts


def _remove_causal(inpainter, options: RemoveOptions, frames: Iterable[np.ndarray], masks: Iterable[np.ndarray],
                   cuts: Iterable[int] | None, reporter: _ProgressReporter, total: int | None) -> Iterator[np.ndarray]:
    """:func:`remove_stream` for a causal engine (``engine.causal``, e.g. ``live``): each frame is filled
    as soon as it is read, from the past alone, by ``inpainter(frame, hole)``, whose state is dropped at
    each shot cut.  Window and context do not apply; the only look-ahead is the shot detector's
    (:class:`~vinpaint.io.shots.CutDetector`'s ``window``, 2 frames; none with ``shots="none"`` or a file).
    """
    shot_starts: set[int] = set()
    pairs = _strict_zip((frame for frame, _ in _shot_starts_aside(mark_shot_starts(frames, cuts), shot_starts)), masks)
    produced = 0
    for index, (frame, mask) in enumerate(pairs):
        if index in shot_starts:
            inpainter.reset()
        frame, hole = _frame_and_hole(frame, mask, index, options, grow_shadow=True)
        if hole.all() and not inpainter.has_past:  # nothing seen yet to fill from
            if not options.allow_full_mask:
                raise MaskMismatchError(f"the mask covers every pixel of frame {index} and no earlier frame of its shot "
                                        "shows anything: there is nothing to fill from; shrink the mask, or allow a "
                                        "full mask (--allow-full-mask, allow_full_mask=True) to fill such frames "
                                        "with neutral grey")
            log.warning("the mask covers every pixel of frame %d and nothing was seen before it: neutral grey", index)
            result = np.full_like(frame, 128)
        else:
            result = inpainter(frame, hole)
            if options.blend == "poisson" and hole.any() and not hole.all():
                result = poisson_blend(frame, result, hole)
            result = _composite_in_box(frame, result, hole, options.feather)
        produced += 1
        reporter.report(produced)
        yield result
    if total is None:
        check_frame_range(options.frame_range, produced)
        check_references(options.references, produced)


def _composite_in_box(original: np.ndarray, result: np.ndarray, hole: np.ndarray, feather: float) -> np.ndarray:
    """:func:`composite` on the hole's bounding box only (a live frame's hole is a small part of it).

    The box reaches one pixel past the hole and the feather, so the feather's distances are the whole frame's.
    """
    out = original.copy()
    if hole.any():
        box = bounding_box(hole, int(np.ceil(feather)) + 1)
        out[box] = composite(original[box], result[box], hole[box], feather=feather)
    return out


def _frame_and_hole(frame: np.ndarray, mask: np.ndarray, index: int, options: RemoveOptions, *,
                    grow_shadow: bool) -> tuple[np.ndarray, np.ndarray]:
    """Frame ``index`` and the hole the engine fills in it: the mask grown as the options say, empty
    outside the frame range; a frame with a reference is that clean image, its hole cleared (known
    content the engine copies from like any frame).  Shape: ``(H,W,3)`` uint8 and ``(H,W)`` bool."""
    if options.frame_range and not options.frame_range[0] <= index <= options.frame_range[1]:
        mask = np.zeros(frame.shape[:2], bool)
    hole = dilate_mask(_grown_mask(frame, mask, options, grow_shadow=grow_shadow), options.dilate)
    if index in options.references and hole.any():
        frame = np.where(hole[..., None], _reference_image(options, index, frame.shape), frame)
        hole = np.zeros_like(hole)
    return frame, hole


def _lifts_shadows(engine, options: RemoveOptions) -> bool:
    """Whether ``options.shadows`` lifts the shadow against a plate (:func:`_lift_shadows`): only an engine
    that fills from other frames (``engine.temporal_sources``) makes a plate of the lit ground."""
    return options.shadows and getattr(engine, "temporal_sources", False)


def _grown_mask(frame: np.ndarray, mask: np.ndarray, options: RemoveOptions, *, grow_shadow: bool) -> np.ndarray:
    """``mask`` grown over the object's fringe (``options.fringe``) and, with ``grow_shadow``, its cast shadow
    (``options.shadows``, found in this frame alone; where the engine lifts it instead, see :func:`_lift_shadows`)."""
    if not mask.any():
        return mask
    # mask post-processes: arrays in, arrays out
    if options.fringe:
        from .masks.fringe import grow_fringe

        mask = grow_fringe(frame, mask, reach=options.fringe)
    if options.shadows and grow_shadow:
        from .masks.shadows import shadow_mask

        mask = mask | shadow_mask(frame, mask)
    return mask


def _shot_starts_aside(marked: Iterator[tuple[np.ndarray, bool]], starts: set[int]) -> Iterator[tuple[np.ndarray, bool]]:
    """Pass ``(frame, starts_shot)`` pairs through, adding each shot start's index to ``starts`` as it is read."""
    for index, (frame, starts_shot) in enumerate(marked):
        if starts_shot:
            starts.add(index)
        yield frame, starts_shot


class _ProgressReporter:
    """Calls ``progress(done, total)`` with whole, never decreasing frame counts (fractions from engines)."""

    def __init__(self, progress: Progress | None, total: int | None) -> None:
        self.progress, self.total = progress, total
        self.reported = -1

    def report(self, done: float) -> None:
        whole = int(done)
        if self.progress is not None and whole > self.reported:
            self.reported = whole
            self.progress(whole, self.total)


def _fill_window(engine, options: RemoveOptions, context: list[np.ndarray], pending: list, count: int, *,
                 progress: Callable[[float], None], background=None) -> list[np.ndarray]:
    """The final outputs of ``pending[:count]``: the engine run on context + pending, composited.

    ``progress(fraction)`` is called as the engine works through the window (fraction of it done).
    """
    originals = [frame for frame, _ in pending]
    holes = [hole for _, hole in pending]
    if not any(hole.any() for hole in holes[:count]):
        return originals[:count]
    frames = np.stack(context + originals)
    window_holes = np.stack([np.zeros(frames.shape[1:3], bool)] * len(context) + holes)
    engine_options = dict(options.engine_options)
    takes_progress = "progress" in inspect.signature(engine).parameters
    if background is not None and "background" in inspect.signature(engine).parameters:
        engine_options["background"] = background
    lifts = _lifts_shadows(engine, options)
    if lifts:  # two passes, half the window's progress each: the plate, then the fill
        # the plate with the fill's own settings: a rougher one (the fast preset's) reads dark ground as
        # shadow; its own window background, whose cached alignments depend on the holes
        plate_options = dict(engine_options)
        if background is not None and "background" in plate_options:
            plate_options["background"] = background.clip.for_window(background.first)
        if takes_progress:
            plate_options["progress"] = lambda fraction: progress(fraction / 2)
        frames = _lift_shadows(engine, plate_options, frames, window_holes)
        originals = list(frames[len(context):])
    if takes_progress:
        engine_options["progress"] = (lambda fraction: progress(0.5 + fraction / 2)) if lifts else progress
    filled = engine(frames, window_holes, **engine_options)[len(context):]
    outputs = []
    for original, result, hole in zip(originals[:count], filled[:count], holes[:count]):
        if options.blend == "poisson" and not hole.all():  # a whole-frame hole has no boundary to match
            result = poisson_blend(original, result, hole)
        outputs.append(composite(original, result, hole, feather=options.feather))
    return outputs


def _lift_shadows(engine, engine_options: dict, frames: np.ndarray, holes: np.ndarray) -> np.ndarray:
    """``frames`` with the cast shadow around each hole lit again (:func:`vinpaint.masks.shadows.lift_shadow`),
    against the engine's fill of a band around the holes (:func:`_shadow_plates`).

    Shape: frames ``(T,H,W,3)`` uint8, holes ``(T,H,W)`` bool; returns ``(T,H,W,3)`` uint8.
    """
    from .masks.shadows import lift_shadow

    plates = _shadow_plates(engine, engine_options, frames, holes)
    if plates is None:
        return frames
    lifted = frames.copy()
    for index in np.flatnonzero(holes.any((1, 2))):
        lifted[index] = lift_shadow(frames[index], plates[index], holes[index])[0]
    return lifted


def _shadow_plates(engine, engine_options: dict, frames: np.ndarray, holes: np.ndarray) -> np.ndarray | None:
    """The engine's fill of a band around the holes (:func:`vinpaint.masks.shadows.shadow_band`): the lit
    ground there, as other frames show it; None where the band covers every pixel (nothing to fill from).

    Shape: frames ``(T,H,W,3)`` uint8, holes ``(T,H,W)`` bool; returns ``(T,H,W,3)`` uint8 or None.
    """
    from .masks.shadows import shadow_band

    band = shadow_band(holes)
    if band.all():
        return None
    return engine(frames, band, **engine_options)


def shadow_masks(frames: np.ndarray, masks: np.ndarray, options: RemoveOptions | None = None, **kwargs) -> np.ndarray:
    """``masks`` grown over the objects' cast shadows, as ``remove --shadows`` finds them in one window
    (a mask post-process; no context from outside ``frames``).

    With an engine that fills from other frames (``propagate``) the shadow is found around the hole (the
    mask grown as ``remove`` grows it: ``options.fringe``, ``options.dilate``) against a plate, the
    engine's fill of a band around it: the pixels :func:`vinpaint.masks.shadows.lift_shadow` lifts.  With
    other engines, around the fringe-grown mask against each frame's own surroundings
    (:func:`vinpaint.masks.shadows.shadow_mask`), as ``remove`` grows their hole.

    Shape: frames ``(T,H,W,3)`` uint8, masks ``(T,H,W)`` (or one ``(H,W)``), non-zero = object;
    returns ``(T,H,W)`` bool: each mask, plus its shadow and the part of the growth between them.
    """
    from .masks.shadows import shadow_mask

    options = _options(options, kwargs)
    frames = check_frames(frames)
    masks = check_masks(masks, frames.shape)
    engine = ENGINES.get(options.engine)
    around = np.stack([_grown_mask(frame, mask, options, grow_shadow=False) for frame, mask in zip(frames, masks)])
    plates = None
    if getattr(engine, "temporal_sources", False):  # as remove --shadows lifts it: against a plate
        around = dilate_mask(around, options.dilate)
        plates = _shadow_plates(engine, dict(options.engine_options), frames, around)
        if plates is None:  # the band covers every pixel: remove lifts nothing either
            return masks.copy()
    grown = masks.copy()
    for index in np.flatnonzero(around.any((1, 2))):
        shadow = shadow_mask(frames[index], around[index], plate=None if plates is None else plates[index])
        # the shadow starts past the grown mask: the ring of the growth between it and the mask joins too
        grown[index] |= shadow | (around[index] & dilate_mask(shadow, options.dilate + options.fringe + 1))
    return grown


def stream_shadow_masks(frames: Iterable[np.ndarray], masks: Iterable[np.ndarray], options: RemoveOptions | None = None,
                        **kwargs) -> Iterator[np.ndarray]:
    """:func:`shadow_masks` over a stream, a window at a time (``options.window`` frames, fewer for large
    frames: :func:`fitted_window`), so memory is set by the window.  Windows do not look past their ends.

    Shape: frames ``(H,W,3)`` uint8 and masks ``(H,W)`` one a frame, as many of each; yields ``(H,W)`` bool.
    """
    options = _options(options, kwargs)
    pairs = _strict_zip(frames, masks)
    first = next(pairs, None)
    if first is None:
        return
    size = fitted_window(options.window, 0, first[0].shape)[0]  # the first frame tells how many a window holds
    pairs = itertools.chain([first], pairs)
    while window := list(itertools.islice(pairs, size)):
        yield from shadow_masks(np.stack([frame for frame, _ in window]), np.stack([mask for _, mask in window]), options)


def _fill_from_nothing(options: RemoveOptions, originals: list[np.ndarray], first_index: int, window_frames: int,
                       rest: Iterator[tuple[np.ndarray, np.ndarray]]) -> list[np.ndarray]:
    """Neutral grey for frames with no known pixel within reach, if the options allow it; otherwise the error.

    ``originals`` are the frames to produce; ``window_frames`` counts them and the look-ahead, all
    masked over every pixel; ``rest`` is the stream after them, read only to word the error.
    """
    grown = f" (grown by {count_of(options.dilate, 'pixel')})" if options.dilate else ""
    if options.allow_full_mask:
        log.warning("the mask%s covers every pixel of frames %d-%d and no unmasked frame is within reach: "
                    "they are filled with neutral grey", grown, first_index, first_index + len(originals) - 1)
        return [np.full_like(original, 128) for original in originals]
    # the error costs a read of the rest (masks and frames are dropped as read): it says whether
    # any frame shows anything at all, and how much context would reach it
    first_known = None
    for index, (_, mask) in enumerate(rest, start=first_index + window_frames):
        in_range = options.frame_range is None or options.frame_range[0] <= index <= options.frame_range[1]
        if not in_range or not dilate_mask(mask, options.dilate).all():
            first_known = index
            break
    if first_known is None and first_index == 0:
        where = f"the mask{grown} covers every pixel of every frame"
        remedy = "shrink the mask"
    elif first_known is None:
        where = f"the mask{grown} covers every pixel from frame {first_index} to the end, beyond the context's reach"
        remedy = "shrink the mask or raise the context"
    else:
        where = (f"the mask{grown} covers every pixel of frames {first_index}-{first_known - 1}, and the first "
                 f"unmasked frame after them ({first_known}) is beyond the reach of the window and context")
        remedy = "shrink the mask or raise the context"
    raise MaskMismatchError(f"{where}: there is nothing to fill from; {remedy}, or allow a full mask "
                            "(--allow-full-mask, allow_full_mask=True) to fill those frames with neutral grey")


def _strict_zip(frames: Iterable[np.ndarray], masks: Iterable[np.ndarray]) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    frame_iter, mask_iter = iter(frames), iter(masks)
    count = 0
    shape = None
    for frame in frame_iter:
        mask = next(mask_iter, None)
        if mask is None:
            raise MaskMismatchError(f"the masks ran out after {count_of(count, 'frame')}, but the video has more frames; "
                                    "give one mask per frame")
        if shape is None:
            shape = frame.shape
            if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
                raise MaskMismatchError(f"frames must be (H, W, 3) uint8 RGB, got {frame.shape} {frame.dtype}")
        if mask.shape != shape[:2]:
            raise MaskMismatchError(f"mask {count} is {mask.shape[1]}x{mask.shape[0]}, frame is {shape[1]}x{shape[0]}")
        count += 1
        yield frame, np.asarray(mask, dtype=bool)
    if next(mask_iter, None) is not None:
        raise MaskMismatchError(f"the video has {count_of(count, 'frame')} but there are more masks than that; "
                                "give one mask per frame")


def remove(frames: np.ndarray, masks: np.ndarray, options: RemoveOptions | None = None, **kwargs) -> np.ndarray:
    """Remove the masked region of a clip held in memory.

    Shape:
        frames: ``(T,H,W,3)`` uint8 RGB.  masks: ``(T,H,W)`` (or one ``(H,W)``), non-zero = fill.
        returns: ``(T,H,W,3)`` uint8.

    Options are a :class:`RemoveOptions` or its fields as keywords (``engine="perframe"``), with
    ``preset=`` naming the preset they start from (:data:`vinpaint.options.PRESETS`).

    Example::

        import vinpaint
        clean = vinpaint.remove(frames, masks, dilate=4)
        quick = vinpaint.remove(frames, masks, preset="fast")
    """
    options = _options(options, kwargs)
    frames = check_frames(frames)
    masks = check_masks(masks, frames.shape)
    background, cuts = clip_background(frames, masks, options, len(frames))
    return np.stack(list(remove_stream(frames, masks, options, total=len(frames), cuts=cuts, background=background)))


def remove_file(
    input_path: str | Path,
    mask_path: str | Path,
    output_path: str | Path,
    options: RemoveOptions | None = None,
    *,
    encode: EncodeOptions | None = None,
    mask_ids: Iterable[int] | None = None,
    fps: float | None = None,
    overwrite: bool = False,
    progress: Progress | None = None,
    input_format: str | None = None,
    **kwargs,
) -> Path:
    """Remove the masked region of a video file (or frame folder) and write the result.

    The output keeps the input's frame count, timestamps and audio; its extension picks the codec
    (see :data:`vinpaint.io.EXTENSIONS`; a folder gets PNG frames).  Nothing is written unless the
    whole run succeeds.

    A stream input (``-`` for standard input, an FFmpeg URL, or any input with ``input_format``) is
    read once, as it comes (:func:`_remove_from_stream`); ``-`` as output writes a stream to standard
    output (``encode.stream_format``).

    Returns: the output path.
    """
    options = _options(options, kwargs)
    if input_format is not None or is_stream(input_path):
        return _remove_from_stream(input_path, mask_path, output_path, options, encode=encode, mask_ids=mask_ids,
                                   overwrite=overwrite, progress=progress, input_format=input_format)
    source = open_video(input_path, fps=fps)
    check_output(output_path, inputs=(input_path, mask_path), overwrite=overwrite)
    info = source.info
    masks = open_masks(mask_path, info.frame_count, info.height, info.width, ids=mask_ids)
    check_frame_range(options.frame_range, info.frame_count)
    check_references(options.references, info.frame_count)
    background, cuts = None, None
    if options.background_frames:  # the input is read twice: once for the whole clip's reference frames
        background, cuts = clip_background(open_video(input_path, fps=fps).images(),
                                           open_masks(mask_path, info.frame_count, info.height, info.width, ids=mask_ids),
                                           options, info.frame_count)
    # progress comes from the fill (steady within each window), not from the writer (a window at a time)
    return rewrite_video(source, output_path,
                         lambda images: remove_stream(images, masks, options, total=info.frame_count, progress=progress,
                                                      cuts=cuts, background=background),
                         inputs=(input_path, mask_path), encode=encode, overwrite=overwrite)


def _remove_from_stream(input_path, mask_path, output_path, options: RemoveOptions, *, encode: EncodeOptions | None,
                        mask_ids, overwrite: bool, progress: Progress | None, input_format: str | None) -> Path:
    """:func:`remove_file` for a stream input: opened once, of unknown length, no pre-pass over the clip.

    Masks are one image (repeated for every frame) or a folder or video checked against the frames
    as they come.  With the live engine nothing waits for more than the shot detector's 2 frames.
    """
    source = open_video(input_path, format=input_format)
    check_output(output_path, inputs=(input_path, mask_path), overwrite=overwrite)
    info = source.info
    masks = open_masks(mask_path, None, info.height, info.width, ids=mask_ids)
    if getattr(ENGINES.get(options.engine), "causal", None) is None:
        log.info("engine %s is not causal: it reads %d frames before its first output (--preset live: 3)",
                 options.engine, options.window + options.context)

    def transform(images: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
        read = [0]  # one mask image repeats for as many frames as the stream turns out to have

        def frames() -> Iterator[np.ndarray]:
            for image in images:
                read[0] += 1
                yield image

        def repeated() -> Iterator[np.ndarray]:
            for given, mask in enumerate(masks):
                if given >= read[0]:
                    return
                yield mask

        return remove_stream(frames(), repeated() if masks.static else masks, options, progress=progress)

    return rewrite_video(source, output_path, transform, inputs=(mask_path,), encode=encode, overwrite=overwrite)


Transform = Callable[[Iterator[np.ndarray]], Iterator[np.ndarray]]


def rewrite_video(
    source: VideoSource,
    output_path: str | Path,
    transform: Transform,
    *,
    inputs: tuple[str | Path, ...] = (),
    encode: EncodeOptions | None = None,
    overwrite: bool = False,
    progress: Progress | None = None,
) -> Path:
    """Decode ``source``, pass its images through ``transform``, write them with the source's timing and audio.

    ``transform`` takes the iterator of ``(H,W,3)`` uint8 RGB frames (decoded on a thread ahead of
    it) and yields one output frame per input frame, in order.  Every job that changes pixels and
    keeps everything else (``remove``, ``anonymize``, ``watermark``...) is one such transform.

    Returns: the output path.
    """
    info = source.info
    output = check_output(output_path, inputs=(info.path, *inputs), overwrite=overwrite)
    decoded: deque = deque()  # source Frames (timestamps, deep samples) awaiting their output image

    def images() -> Iterator[np.ndarray]:
        for frame in source:
            decoded.append(frame)
            yield frame.image

    audio = info.path if info.kind == "video" else None
    with open_writer(output, info, options=encode, audio_source=audio) as writer:
        for done, image in enumerate(transform(_prefetch(images())), start=1):
            original = decoded.popleft()
            writer.write(image, original.pts, source=original)
            if progress:
                progress(done, info.frame_count)
    return output


def _options(options: RemoveOptions | None, overrides: dict) -> RemoveOptions:
    if options is not None and overrides:
        raise InvalidOptionError("pass either a RemoveOptions or keyword options, not both")
    if options is not None:
        return options
    overrides = dict(overrides)
    return options_from_preset(overrides.pop("preset", DEFAULT_PRESET), **overrides)


def _prefetch(iterable: Iterable, size: int = 8) -> Iterator:
    """Run ``iterable`` on a thread ahead of its consumer (decoding overlaps the fill)."""
    items: queue.Queue = queue.Queue(maxsize=size)
    done = object()
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in iterable:
                while not stop.is_set():
                    try:
                        items.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            items.put(done)
        except BaseException as error:  # noqa: BLE001 - re-raised in the consumer's thread
            items.put(error)

    thread = threading.Thread(target=produce, name="vinpaint-decode", daemon=True)
    thread.start()
    try:
        while True:
            item = items.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()


@dataclass(frozen=True)
class FilledRange:
    """What :func:`remove_range` read and made: frames ``first``..``last`` (inclusive) of a clip.

    Shape:
        original, result: ``(N,H,W,3)`` uint8 RGB.  masks: ``(N,H,W)`` bool, True = fill (before
        ``dilate``).  ``N = last - first + 1``.
    """

    first: int
    last: int
    original: np.ndarray
    masks: np.ndarray
    result: np.ndarray


def remove_range(
    input_path: str | Path,
    mask_path: str | Path,
    first: int,
    last: int,
    options: RemoveOptions | None = None,
    *,
    context: int | None = None,
    mask_ids: Iterable[int] | None = None,
    fps: float | None = None,
    progress: Progress | None = None,
) -> FilledRange:
    """Fill frames ``first``..``last`` (inclusive) of a video file or frame folder: a preview of :func:`remove_file`.

    Only the range and ``context`` frames on each side are read (never the whole clip); the context
    frames are filled too, as sources for the range, and dropped, so the range sees the clip's
    neighbouring frames as it would in a whole-file run.

    Args:
        context: frames read before and after the range (clipped at the clip's ends); None takes
            ``options.context``.
        mask_ids, fps: as for :func:`remove_file`.
        progress: ``progress(done, total)`` over the frames filled (range and context).

    ``options.frame_range`` is ignored: the range is ``first``..``last``.

    Raises:
        InvalidOptionError: the range lies outside the clip, or ``context`` is negative.
        MaskMismatchError: the masks do not fit the video.
    """
    from dataclasses import replace

    from .io.frames import read_frames

    # the range is given here; a frame_range in `options` would count from the range's first read frame
    options = replace(options or RemoveOptions(), frame_range=None)
    context = options.context if context is None else context
    if context < 0:
        raise InvalidOptionError(f"context must be >= 0 frames, got {context}")
    source = open_video(input_path, fps=fps)
    info = source.info
    if not 0 <= first <= last:
        raise InvalidOptionError(f"frame range must be FIRST-LAST with 0 <= FIRST <= LAST, got {first}-{last}")
    check_frame_range((first, last), info.frame_count)
    start, stop = max(0, first - context), min(info.frame_count - 1, last + context)
    check_references(options.references, info.frame_count)
    # references count from the clip's first frame; the stream below starts at `start`
    options = replace(options, references={frame - start: image for frame, image in options.references.items()
                                           if start <= frame <= stop})
    frames = read_frames(input_path, start, stop, fps=fps)
    masks = np.stack(list(open_masks(mask_path, info.frame_count, info.height, info.width, ids=mask_ids).frames(
        start, stop)))
    cuts = cuts_for_option(options.shots, frame_count=info.frame_count)
    if cuts is not None:  # a file's cuts count from the clip's first frame, the stream's from `start`
        cuts = [cut - start for cut in cuts if start < cut <= stop]
    filled = np.stack(list(remove_stream(frames, masks, options, total=len(frames), progress=progress, cuts=cuts)))
    inside = slice(first - start, last - start + 1)
    return FilledRange(first, last, frames[inside], masks[inside], filled[inside])
