"""The benchmark: completion and object-removal cases from a folder of clips, engines against Telea.

A data folder is laid out like ``../shared/data``: one sub-folder per clip with ``frames/`` (images)
and, where the clip has them, ``masks/`` (one mask image a frame, non-zero = object).

Completion cases (the field's protocol, as in FGVC and ProPainter's evaluation): the object masks of
one clip (the *donor*) are resized to another clip (the *target*), dilated by ``hole_dilate`` pixels,
placed over its frames (both trimmed to the shorter length and to ``max_frames``), and the hole is
painted grey.  The untouched target frames are the truth.  Every clip whose masks cover every frame
lends them at least once.  Object-removal cases are the clips with their own masks; no truth exists,
so they get the no-truth metrics of :mod:`vinpaint.evaluate.metrics`.

Paste-and-remove cases (:func:`make_paste_case`): a real object, cut from a clip with masks with a
soft (Gaussian) edge and optionally a drop shadow, is pasted over a clip without masks; the mask is
the object's binary mask, grown as ``vinpaint remove`` grows it, and the clean clip is the truth.
Ghosts, smoke and blur all cost PSNR over the *affected region* (every pixel the paste changed,
``psnr_affected``), which is what object removal is judged on.

Every *variant* (a name and a :class:`~vinpaint.pipeline.RemoveOptions`) runs through the public API
(:func:`vinpaint.remove`) with ``dilate=0`` (the case's hole is already dilated; paste cases use the
default growth), next to the baseline
``telea``: per-frame ``cv2.inpaint`` (Telea, radius 5) on the same hole.  Each run is timed (frames/s
of the in-memory fill; end-to-end speed on encoded files is :mod:`benchmarks.completion`'s job) and
its peak memory recorded (resident set size sampled during the run, minus the size before it).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from ..arrays import to_uint8
from ..composite import dilate_mask
from ..errors import (
    InputNotFoundError,
    MaskMismatchError,
    UnreadableInputError,
    VinpaintError,
)
from ..evaluate.metrics import EvalReport, evaluate, psnr, temporal_reference
from ..evaluate.report import json_safe
from ..fill import fill_telea
from ..io import encode_frames, open_masks, open_video, write_png
from ..io.images import WRITTEN_BY
from ..io.masks import write_mask_folder
from ..options import parse_value
from ..pipeline import RemoveOptions, remove

log = logging.getLogger(__name__)

BASELINE = "telea"
#: Grey level painted into a completion case's hole.
GREY = 128
#: Frames per case (full run) and in ``quick`` mode.
MAX_FRAMES = 50
QUICK_MAX_FRAMES = 20
#: Completion cases in a full run and in ``quick`` mode.
MAX_CASES = 5
QUICK_CASES = 5
#: Object-removal cases in ``quick`` mode (all of them in a full run).
QUICK_REMOVAL_CASES = 1
#: Paste-and-remove cases in a full run and in ``quick`` mode (plus one shadow variant).
MAX_PASTE_CASES = 4
QUICK_PASTE_CASES = 2
HOLE_DILATE = 4

Progress = Callable[[str], None]


def default_variants() -> dict[str, RemoveOptions]:
    """The engines compared by default: the default ``propagate`` engine."""
    return {"propagate": RemoveOptions(engine="propagate", dilate=0)}


@dataclass(frozen=True)
class Clip:
    """A clip of a data folder: its frames folder and, if any, its masks folder."""

    name: str
    frames: Path
    masks: Path | None


@dataclass
class Case:
    """One benchmark case.

    Shape: ``frames`` (the input: grey hole for completion) and ``truth`` ``(T,H,W,3)`` uint8;
    ``masks`` ``(T,H,W)`` bool, the (dilated) hole.  ``truth`` is None for object removal.
    """

    name: str
    kind: str  # "completion", "paste" or "removal"
    frames: np.ndarray
    masks: np.ndarray
    truth: np.ndarray | None
    clip: str
    mask_clip: str
    #: paste cases: every pixel the paste changed ``(T,H,W)`` bool (the region their PSNR is scored on)
    affected: np.ndarray | None = None
    #: mask growth the engines run with: 0 where the hole is already dilated, ``vinpaint remove``'s
    #: default for paste cases (their mask is the object's binary mask, as a user gives it)
    dilate: int = 0

    @property
    def size(self) -> str:
        return f"{self.frames.shape[2]}x{self.frames.shape[1]}"


@dataclass
class Run:
    """One engine on one case: its metrics, time and memory, and a few frames for the contact sheet."""

    case: str
    kind: str
    engine: str
    report: EvalReport
    seconds: float
    peak_mb: float
    frames: int
    samples: dict[int, np.ndarray] = field(default_factory=dict, repr=False)
    #: paste cases: ``psnr_affected`` (dB over every pixel the paste changed)
    extra: dict = field(default_factory=dict)

    @property
    def fps(self) -> float:
        return self.frames / self.seconds if self.seconds > 0 else math.inf

    def to_dict(self) -> dict:
        return {"case": self.case, "kind": self.kind, "engine": self.engine, "seconds": self.seconds,
                "fps": self.fps, "peak_mb": self.peak_mb, "frames": self.frames, "metrics": self.report.to_dict(),
                **self.extra}


@dataclass
class BenchResult:
    """All runs of a bench, with the cases' descriptions and the comparisons against the baseline."""

    runs: list[Run]
    cases: list[dict]
    variants: dict[str, dict]

    def get(self, case: str, engine: str) -> Run | None:
        return next((r for r in self.runs if r.case == case and r.engine == engine), None)

    def engines(self) -> list[str]:
        return list(dict.fromkeys(r.engine for r in self.runs))

    def comparisons(self) -> dict[str, dict]:
        """Per variant against the baseline: PSNR gains, warping-error ratios, removal checks."""
        return {engine: compare(self, engine) for engine in self.engines() if engine != BASELINE}

    def to_dict(self) -> dict:
        return {"cases": self.cases, "variants": self.variants, "runs": [r.to_dict() for r in self.runs],
                "comparisons": self.comparisons()}


# --------------------------------------------------------------------------------------------- #
# cases


def discover_clips(data: str | Path) -> list[Clip]:
    """The clips of a data folder (sub-folders with ``frames/``), sorted by name."""
    data = Path(data)
    if not data.is_dir():
        raise InputNotFoundError(f"data folder not found: {data}; give a folder laid out like ../shared/data")
    clips = []
    for folder in sorted(p for p in data.iterdir() if p.is_dir()):
        if (folder / "frames").is_dir():
            masks = folder / "masks"
            clips.append(Clip(folder.name, folder / "frames", masks if masks.is_dir() else None))
    if not clips:
        raise UnreadableInputError(f"{data} holds no clip folders with a frames/ sub-folder")
    return clips


def read_clip(clip: Clip, max_frames: int | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """The first ``max_frames`` frames of a clip and its masks (None when it has no full set).

    Returns: frames ``(T,H,W,3)`` uint8 and masks ``(T,H,W)`` bool or None.
    """
    source = open_video(clip.frames)
    info = source.info
    count = info.frame_count if max_frames is None else min(info.frame_count, max_frames)
    frames = np.stack([image for image, _ in zip(source.images(), range(count))])
    masks = None
    if clip.masks is not None:
        try:
            mask_source = open_masks(clip.masks, info.frame_count, info.height, info.width)
            masks = np.stack([mask for mask, _ in zip(mask_source, range(count))])
        except MaskMismatchError as error:
            log.info("clip %s: masks not usable for the bench (%s)", clip.name, error)
    return frames, masks


def completion_pairs(clips: list[Clip], donors: list[str], *, max_cases: int = MAX_CASES) -> list[tuple[str, str]]:
    """``(donor, target)`` pairs: every donor lends its masks at least once, to a different clip.

    Targets are taken in turn from the clips without usable masks first (clean footage), then the
    others; a donor never lends to itself.  At least ``len(donors)`` pairs, at most ``max_cases``
    (unless the donors alone need more).
    """
    if not donors or len(clips) < 2:
        return []
    names = [c.name for c in clips]
    targets = [n for n in names if n not in donors] + [n for n in names if n in donors]
    pairs: list[tuple[str, str]] = []
    cursor = 0
    wanted = max(max_cases, len(donors))
    tries = 0
    while len(pairs) < wanted and tries < 4 * wanted * len(targets):
        donor = donors[len(pairs) % len(donors)]
        target = targets[cursor % len(targets)]
        cursor += 1
        tries += 1
        if target != donor and (donor, target) not in pairs:
            pairs.append((donor, target))
    return pairs


def make_completion_case(
    name: str, frames: np.ndarray, donor_masks: np.ndarray, *, hole_dilate: int = HOLE_DILATE, grey: int = GREY,
    target: str = "", donor: str = "",
) -> Case:
    """A completion case: ``donor_masks`` resized to ``frames``, dilated, painted grey.

    Shape: frames ``(T,H,W,3)`` uint8; donor_masks ``(T',h,w)`` bool; both trimmed to ``min(T, T')``.
    """
    count = min(len(frames), len(donor_masks))
    truth = np.ascontiguousarray(frames[:count])
    h, w = truth.shape[1:3]
    masks = np.stack([
        cv2.resize(m.astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST) > 0 for m in donor_masks[:count]
    ])
    masks = dilate_mask(masks, hole_dilate)
    painted = truth.copy()
    painted[masks] = grey
    return Case(name, "completion", painted, masks, truth, target, donor)


def paste_object(
    background: np.ndarray, object_frames: np.ndarray, object_masks: np.ndarray, *, fringe: float = 3.0,
    shadow: bool = False, shadow_strength: float = 0.45,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Composite a moving object over a clean clip with a soft edge and, optionally, a soft shadow.

    The object (its clip's pixels under its mask) is resized with its mask to the background's size and
    laid over it with alpha 1 inside the binary mask and a Gaussian fringe outside it (a Gaussian blur of
    the mask, sigma ``fringe / 2``, so it fades out over about ``fringe`` pixels, as anti-aliased edges,
    hair and motion blur do).  The fringe carries the object clip's own edge pixels, so object colour
    lies past the binary mask as it does in real footage.  ``shadow`` darkens the background under the
    mask shifted down and right by 6 % of the height, blurred (sigma 2 % of the height), by up to
    ``shadow_strength``.

    Shape: background ``(T,H,W,3)`` uint8; object_frames ``(T',h,w,3)`` uint8 and object_masks
    ``(T',h,w)`` bool, trimmed with the background to ``min(T, T')``.
    Returns: the pasted clip ``(T,H,W,3)`` uint8, the object's binary mask ``(T,H,W)`` bool (the
    user's mask) and the affected region ``(T,H,W)`` bool (every pixel the paste changed).
    """
    count = min(len(background), len(object_frames), len(object_masks))
    truth = background[:count]
    h, w = truth.shape[1:3]
    sigma = max(fringe, 0.5) / 2
    shift = round(0.06 * h)
    pasted = np.empty_like(truth)
    masks = np.empty((count, h, w), bool)
    for t in range(count):
        image = cv2.resize(object_frames[t], (w, h), interpolation=cv2.INTER_AREA)
        mask = cv2.resize(object_masks[t].astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST) > 0
        masks[t] = mask
        alpha = np.maximum(cv2.GaussianBlur(mask.astype(np.float32), (0, 0), sigma), mask)
        base = truth[t].astype(np.float32)
        if shadow:
            moved = np.zeros_like(mask, np.float32)
            moved[shift:, shift:] = mask[:-shift, :-shift] if shift else mask
            soft = cv2.GaussianBlur(moved, (0, 0), max(0.02 * h, 1.0))
            base *= 1 - shadow_strength * soft[..., None]
        pasted[t] = to_uint8(alpha[..., None] * image + (1 - alpha[..., None]) * base)
    affected = (pasted != truth).any(-1)
    return pasted, masks, affected


def paste_pairs(donors: list[str], backgrounds: list[str], *, max_cases: int = MAX_PASTE_CASES) -> list[tuple[str, str]]:
    """``(object clip, background clip)`` pairs taken in turn so every donor and background appears."""
    pairs = []
    for index in range(len(donors) * len(backgrounds)):
        if len(pairs) >= max_cases:
            break
        pairs.append((donors[index % len(donors)], backgrounds[(index % len(donors) + index // len(donors)) % len(backgrounds)]))
    return pairs


def make_paste_case(
    name: str, background: np.ndarray, object_frames: np.ndarray, object_masks: np.ndarray, *,
    size: tuple[int, int] | None = None, fringe: float = 3.0, shadow: bool = False, target: str = "", donor: str = "",
) -> Case:
    """A paste-and-remove case: :func:`paste_object` over ``background`` (resized to ``size = (W, H)``).

    The truth is the clean background; the mask is the object's binary mask; the engines run with
    ``vinpaint remove``'s default mask growth (:attr:`Case.dilate`).
    """
    if size is not None and (background.shape[2], background.shape[1]) != tuple(size):
        background = np.stack([cv2.resize(f, tuple(size), interpolation=cv2.INTER_AREA) for f in background])
    pasted, masks, affected = paste_object(background, object_frames, object_masks, fringe=fringe, shadow=shadow)
    truth = np.ascontiguousarray(background[:len(pasted)])
    return Case(name, "paste", pasted, masks, truth, target, donor, affected=affected, dilate=RemoveOptions().dilate)


def build_paste_cases(loaded: dict, donors: list[str], backgrounds: list[str], *, max_cases: int = MAX_PASTE_CASES,
                      shadow_cases: int = 1, fringe: float = 3.0) -> list[Case]:
    """Paste-and-remove cases: each donor's object over the ``backgrounds`` (clips without masks: clean footage).

    Sizes alternate between the background's own and the object clip's (432x240 and 854x480 on
    ``../shared/data``); the first ``shadow_cases`` cases are repeated with a drop shadow (``+shadow``).
    """
    cases = []
    for index, (donor, target) in enumerate(paste_pairs(donors, backgrounds, max_cases=max_cases)):
        object_frames, object_masks = loaded[donor]
        background = loaded[target][0]
        source = object_frames if index % 2 else background
        size = (source.shape[2], source.shape[1])
        name = f"{donor}>{target} {size[0]}x{size[1]}"
        cases.append(make_paste_case(f"paste {name}", background, object_frames, object_masks, size=size,
                                     fringe=fringe, target=target, donor=donor))
        if index < shadow_cases:
            cases.append(make_paste_case(f"paste {name} +shadow", background, object_frames, object_masks, size=size,
                                         fringe=fringe, shadow=True, target=target, donor=donor))
    return cases


def build_cases(
    data: str | Path,
    *,
    quick: bool = False,
    max_frames: int | None = None,
    max_cases: int | None = None,
    removal: bool = True,
    hole_dilate: int = HOLE_DILATE,
    paste: bool = True,
    completion: bool = True,
) -> list[Case]:
    """Completion and object-removal cases from a data folder (see the module docstring).

    Args:
        quick: shorter cases and fewer removal cases (:data:`QUICK_CASES` completion cases of
            :data:`QUICK_MAX_FRAMES` frames, :data:`QUICK_REMOVAL_CASES` removal case) for fast
            iteration; the same completion pairs as a full run, so the hard cases stay in.
        max_frames: frames per case (default :data:`MAX_FRAMES`, or the quick value).
        max_cases: completion cases (default :data:`MAX_CASES`, or the quick value).
        removal: also build object-removal cases (the clips with their own masks).
        paste: also build paste-and-remove cases (:func:`build_paste_cases`; :data:`MAX_PASTE_CASES`,
            :data:`QUICK_PASTE_CASES` in ``quick`` mode, the first one also with a shadow).
        completion: build the completion cases.
    """
    max_frames = max_frames or (QUICK_MAX_FRAMES if quick else MAX_FRAMES)
    max_cases = max_cases or (QUICK_CASES if quick else MAX_CASES)
    clips = discover_clips(data)
    loaded = {clip.name: read_clip(clip, max_frames) for clip in clips}
    donors = [c.name for c in clips if loaded[c.name][1] is not None and loaded[c.name][1].any()]
    pairs = completion_pairs(clips, donors, max_cases=max_cases)
    if quick:
        pairs = pairs[:max_cases]
    if not completion:
        pairs = []
    cases = []
    for donor, target in pairs:
        case = make_completion_case(f"{donor}>{target}", loaded[target][0], loaded[donor][1],
                                    hole_dilate=hole_dilate, target=target, donor=donor)
        cases.append(case)
    if paste:
        backgrounds = [c.name for c in clips if c.masks is None]
        cases += build_paste_cases(loaded, donors, backgrounds,
                                   max_cases=QUICK_PASTE_CASES if quick else MAX_PASTE_CASES)
    if removal:
        for index, name in enumerate(donors):
            if quick and index >= QUICK_REMOVAL_CASES:
                break
            frames, masks = loaded[name]
            cases.append(Case(f"{name} (removal)", "removal", frames, dilate_mask(masks, hole_dilate), None, name, name))
    log.info("bench: %d cases from %s", len(cases), data)
    return cases


# --------------------------------------------------------------------------------------------- #
# running


def telea_baseline(frames: np.ndarray, masks: np.ndarray, *, radius: int = 5) -> np.ndarray:
    """Per-frame ``cv2.inpaint`` (Telea, radius 5) on the hole; every other pixel is the input's.

    Shape: frames ``(T,H,W,3)`` uint8, masks ``(T,H,W)`` bool; returns ``(T,H,W,3)`` uint8.
    Equals ``vinpaint.remove(frames, masks, engine="perframe", dilate=0)`` (fill ``telea``).
    """
    out = frames.copy()
    for t, (frame, hole) in enumerate(zip(frames, masks)):
        if hole.any():
            out[t] = np.where(hole[..., None], fill_telea(frame, hole, radius=radius), frame)
    return out


def _rss_bytes() -> int:
    """Resident set size of this process (Linux ``/proc``; 0 where unavailable)."""
    try:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * _PAGE_SIZE
    except (OSError, ValueError, IndexError):
        return 0


_PAGE_SIZE = 4096
try:
    import os as _os

    _PAGE_SIZE = _os.sysconf("SC_PAGE_SIZE")
except (AttributeError, ValueError, OSError):
    pass


def _trim_heap() -> None:
    """Give freed heap memory back to the system (glibc), so a run's RSS growth is its own."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _measure(function: Callable[[], np.ndarray], *, interval: float = 0.01) -> tuple[np.ndarray, float, float]:
    """Run ``function``; return its result, wall seconds and its peak extra memory in MB.

    Memory is the process's resident set size sampled every ``interval`` seconds on a thread, minus
    the size before the run: what the run added at its peak, OpenCV's buffers included.
    """
    import threading

    _trim_heap()
    before = _rss_bytes()
    peak = [before]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(interval):
            peak[0] = max(peak[0], _rss_bytes())

    thread = threading.Thread(target=sample, name="vinpaint-bench-rss", daemon=True)
    thread.start()
    start = time.perf_counter()
    try:
        out = function()
        seconds = time.perf_counter() - start
    finally:
        done.set()
        thread.join()
    peak[0] = max(peak[0], _rss_bytes())
    return out, seconds, max(peak[0] - before, 0) / 2**20


def sample_indices(frames: int, count: int = 3) -> list[int]:
    """``count`` frame indices spread over a clip (first, middle, last...)."""
    if frames <= count:
        return list(range(frames))
    return sorted({round(i * (frames - 1) / (count - 1)) for i in range(count)})


def run_case(case: Case, variants: dict[str, RemoveOptions], *, baseline: bool = True, flow: str = "dis",
             progress: Progress | None = None) -> list[Run]:
    """Run the baseline and every variant on one case and evaluate them."""
    reference = temporal_reference(case.truth, flow=flow) if case.truth is not None else None
    samples = sample_indices(len(case.frames))
    jobs: list[tuple[str, Callable[[], np.ndarray]]] = []
    # the hole every engine fills: the mask grown as ``vinpaint remove`` grows it (paste cases)
    holes = dilate_mask(case.masks, case.dilate) if case.dilate else case.masks
    if baseline:
        jobs.append((BASELINE, lambda: telea_baseline(case.frames, holes)))
    for name, options in variants.items():
        options = dataclasses.replace(options, dilate=case.dilate)
        jobs.append((name, lambda options=options: remove(case.frames, case.masks, options)))
    runs = []
    for name, job in jobs:
        if progress:
            progress(f"{case.name}: {name}")
        result, seconds, peak = _measure(job)
        report = evaluate(result, holes, truth=case.truth, original=case.frames, flow=flow, reference=reference)
        extra = {}
        if case.affected is not None:
            extra["psnr_affected"] = psnr(result, case.truth, case.affected)
        runs.append(Run(case.name, case.kind, name, report, seconds, peak, len(result),
                        {i: result[i].copy() for i in samples}, extra))
        log.info("%s / %s: %.1f s, %s", case.name, name, seconds, report.summary())
    return runs


def run_bench(
    cases: Iterable[Case],
    variants: dict[str, RemoveOptions] | None = None,
    *,
    baseline: bool = True,
    flow: str = "dis",
    out: str | Path | None = None,
    progress: Progress | None = None,
) -> BenchResult:
    """Run every variant (and the Telea baseline) on every case; write the outputs to ``out``.

    Args:
        variants: name -> options; default :func:`default_variants`.
        out: folder for ``bench.md``, ``bench.json``, ``plots/`` and ``sheets/`` (None writes nothing).
    """
    variants = default_variants() if variants is None else variants
    if BASELINE in variants:
        raise VinpaintError(f"the variant name {BASELINE!r} is reserved for the baseline; rename it")
    cases = list(cases)
    runs: list[Run] = []
    described = []
    for case in cases:
        case_runs = run_case(case, variants, baseline=baseline, flow=flow, progress=progress)
        runs.extend(case_runs)
        described.append({"name": case.name, "kind": case.kind, "clip": case.clip, "mask_clip": case.mask_clip,
                          "frames": len(case.frames), "size": case.size, "hole_fraction": float(case.masks.mean())})
        if out is not None:
            write_case_outputs(case, case_runs, Path(out))
    result = BenchResult(runs, described, {name: _describe(options) for name, options in variants.items()})
    if out is not None:
        write_summary(result, Path(out))
    return result


def _describe(options: RemoveOptions) -> dict:
    data = dataclasses.asdict(options)
    data["dilate"] = 0
    return data


# --------------------------------------------------------------------------------------------- #
# comparisons and tables


def compare(result: BenchResult, engine: str) -> dict:
    """``engine`` against the baseline: PSNR gain and warping-error ratio per completion case, and
    sharpness and flicker per removal case, with the issue targets checked."""
    completion, removal, paste = {}, {}, {}
    for case in result.cases:
        mine, base = result.get(case["name"], engine), result.get(case["name"], BASELINE)
        if mine is None or base is None:
            continue
        a, b = mine.report, base.report
        if case["kind"] == "completion":
            completion[case["name"]] = {
                "psnr_gain": _sub(a.psnr, b.psnr),
                "ewarp_hole_ratio": _div(a.ewarp_hole, b.ewarp_hole),
            }
        elif case["kind"] == "paste":
            paste[case["name"]] = {
                "psnr_affected": mine.extra.get("psnr_affected"),
                "psnr_affected_gain": _sub(mine.extra.get("psnr_affected"), base.extra.get("psnr_affected")),
                "psnr_gain": _sub(a.psnr, b.psnr), "sharpness": a.sharpness,
                "ewarp_hole_ratio": _div(a.ewarp_hole, b.ewarp_hole),
            }
        else:
            removal[case["name"]] = {
                "sharpness": a.sharpness, "flicker_hole": a.flicker_hole, "flicker_hole_baseline": b.flicker_hole,
                "flicker_not_worse": None if a.flicker_hole is None or b.flicker_hole is None
                else a.flicker_hole <= b.flicker_hole,
            }
    gains = [c["psnr_gain"] for c in completion.values() if c["psnr_gain"] is not None]
    ratios = [c["ewarp_hole_ratio"] for c in completion.values() if c["ewarp_hole_ratio"] is not None]
    sharp = [c["sharpness"] for c in removal.values() if c["sharpness"] is not None]
    summary = {
        "psnr_gain_mean": _avg(gains), "psnr_gain_min": min(gains) if gains else None,
        "ewarp_hole_ratio_mean": _avg(ratios), "ewarp_hole_ratio_max": max(ratios) if ratios else None,
        "removal_sharpness_min": min(sharp) if sharp else None,
    }
    plain = {k: c for k, c in paste.items() if not k.endswith("+shadow")}
    paste_gains = [c["psnr_affected_gain"] for c in plain.values() if c["psnr_affected_gain"] is not None]
    paste_sharp = [c["sharpness"] for c in plain.values() if c["sharpness"] is not None]
    summary.update({
        "paste_affected_gain_mean": _avg(paste_gains), "paste_affected_gain_min": min(paste_gains) if paste_gains else None,
        "paste_sharpness_min": min(paste_sharp) if paste_sharp else None,
    })
    checks = {}
    if gains and ratios:
        checks["issue2: PSNR gain >= 2 dB on average"] = summary["psnr_gain_mean"] >= 2
        checks["issue2: ewarp_hole <= 0.6x Telea on every case"] = summary["ewarp_hole_ratio_max"] <= 0.6
        checks["issue4: PSNR gain >= 4 dB on average"] = summary["psnr_gain_mean"] >= 4
        checks["issue4: no case below Telea"] = summary["psnr_gain_min"] >= 0
        checks["issue4: ewarp_hole <= 0.4x Telea on average"] = summary["ewarp_hole_ratio_mean"] <= 0.4
    if removal:
        checks["issue4: removal sharpness >= 0.6 on every case"] = bool(sharp) and min(sharp) >= 0.6
        checks["issue4: removal flicker_hole <= Telea on every case"] = all(
            c["flicker_not_worse"] for c in removal.values())
    if paste_gains:
        checks["issue12: paste affected-region PSNR >= 5 dB above Telea on average"] = summary["paste_affected_gain_mean"] >= 5
        checks["issue12: paste affected-region PSNR >= 2 dB above Telea on every case"] = summary["paste_affected_gain_min"] >= 2
        checks["issue12: paste hole sharpness >= 0.7 on every case"] = bool(paste_sharp) and min(paste_sharp) >= 0.7
    return {"completion": completion, "removal": removal, "paste": paste, "summary": summary, "checks": checks}


def _sub(a, b):
    return None if a is None or b is None else a - b


def _div(a, b):
    return None if a is None or b is None or b == 0 else a / b


def _avg(values):
    return float(np.mean(values)) if values else None


def _fmt(value, spec: str = ".2f", scale: float = 1.0) -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and math.isinf(value):
        return "inf"
    return format(value * scale, spec)


def _case_runs(result: BenchResult, cases: list[dict]) -> Iterator[tuple[dict, str, Run, Run | None]]:
    """``(case, engine, run, baseline run)`` for each engine that ran each case, in table order; the
    baseline run is None for the baseline itself and where the baseline did not run."""
    for case in cases:
        base = result.get(case["name"], BASELINE)
        for engine in result.engines():
            run = result.get(case["name"], engine)
            if run is not None:
                yield case, engine, run, base if engine != BASELINE else None


def markdown_table(result: BenchResult) -> str:
    """The bench as Markdown: completion table, removal table, comparisons and checks."""
    lines = []
    completion = [c for c in result.cases if c["kind"] == "completion"]
    removal = [c for c in result.cases if c["kind"] == "removal"]
    if completion:
        lines += [
            "### Completion (truth known)", "",
            "| case | size x frames | engine | PSNR | SSIM | PSNR hole | SSIM hole | ewarp x1e3 | ewarp hole x1e3 "
            "| vs Telea: dPSNR | ewarp hole ratio | fps | peak MB |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for case, engine, run, base in _case_runs(result, completion):
            r = run.report
            gain = ratio = "-"
            if base is not None:
                gain = _fmt(_sub(r.psnr, base.report.psnr), "+.2f")
                ratio = _fmt(_div(r.ewarp_hole, base.report.ewarp_hole), ".2f")
            lines.append(
                f"| {case['name']} | {case['size']} x {case['frames']} | {engine} | {_fmt(r.psnr)} | "
                f"{_fmt(r.ssim, '.4f')} | {_fmt(r.psnr_hole)} | {_fmt(r.ssim_hole, '.3f')} | "
                f"{_fmt(r.ewarp, '.3f', 1e3)} | {_fmt(r.ewarp_hole, '.2f', 1e3)} | {gain} | {ratio} | "
                f"{_fmt(run.fps, '.1f')} | {_fmt(run.peak_mb, '.0f')} |")
        lines.append("")
    paste = [c for c in result.cases if c["kind"] == "paste"]
    if paste:
        lines += [
            "### Paste and remove (truth known; mask = the object's binary mask, grown as `vinpaint remove` does)", "",
            "| case | size x frames | engine | PSNR affected | PSNR | PSNR hole | sharpness | ewarp hole x1e3 "
            "| vs Telea: dPSNR affected | fps |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for case, engine, run, base in _case_runs(result, paste):
            r = run.report
            gain = "-"
            if base is not None:
                gain = _fmt(_sub(run.extra.get("psnr_affected"), base.extra.get("psnr_affected")), "+.2f")
            lines.append(
                f"| {case['name']} | {case['size']} x {case['frames']} | {engine} | "
                f"{_fmt(run.extra.get('psnr_affected'))} | {_fmt(r.psnr)} | {_fmt(r.psnr_hole)} | "
                f"{_fmt(r.sharpness)} | {_fmt(r.ewarp_hole, '.2f', 1e3)} | {gain} | {_fmt(run.fps, '.1f')} |")
        lines.append("")
    if removal:
        lines += [
            "### Object removal (no truth)", "",
            "| case | size x frames | engine | ewarp hole x1e3 | flicker hole | boundary | sharpness | changed outside "
            "| Q | fps |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for case, engine, run, _ in _case_runs(result, removal):
            r = run.report
            lines.append(
                f"| {case['name']} | {case['size']} x {case['frames']} | {engine} | {_fmt(r.ewarp_hole, '.2f', 1e3)} "
                f"| {_fmt(r.flicker_hole)} | {_fmt(r.boundary)} | {_fmt(r.sharpness)} | {r.changed_outside} "
                f"| {_fmt(r.q, '.1f')} | {_fmt(run.fps, '.1f')} |")
        lines.append("")
    for engine, comparison in result.comparisons().items():
        s = comparison["summary"]
        lines += [f"### {engine} against {BASELINE}", "",
                  f"- PSNR gain: mean {_fmt(s['psnr_gain_mean'], '+.2f')} dB, worst case "
                  f"{_fmt(s['psnr_gain_min'], '+.2f')} dB",
                  f"- ewarp_hole ratio: mean {_fmt(s['ewarp_hole_ratio_mean'])}, worst case "
                  f"{_fmt(s['ewarp_hole_ratio_max'])}",
                  f"- removal sharpness, lowest: {_fmt(s['removal_sharpness_min'])}",
                  f"- paste affected-region PSNR gain: mean {_fmt(s['paste_affected_gain_mean'], '+.2f')} dB, worst "
                  f"case {_fmt(s['paste_affected_gain_min'], '+.2f')} dB; hole sharpness, lowest: "
                  f"{_fmt(s['paste_sharpness_min'])}"]
        for name, ok in comparison["checks"].items():
            lines.append(f"- [{'x' if ok else ' '}] {name}")
        lines.append("")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------- #
# files: JSON, plots, contact sheets


def to_json(data: dict) -> str:
    """Strict JSON: ``inf`` becomes the string ``"inf"``, ``nan`` becomes ``null``."""
    return json.dumps(json_safe(data), indent=1, allow_nan=False)


def plot_per_frame(reports: dict[str, EvalReport], path: str | Path, *, title: str = "",
                   keys: tuple[str, ...] = ("psnr_hole", "ewarp_hole", "flicker_hole", "sharpness")) -> Path:
    """Per-frame curves of several reports (one line per report) as a PNG, one panel per metric."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = tuple(k for k in keys if any(r.per_frame.get(k) for r in reports.values()))
    if not keys:
        keys = ("sharpness",)
    fig, axes = plt.subplots(len(keys), 1, figsize=(8, 2.2 * len(keys)), sharex=True, squeeze=False)
    for ax, key in zip(axes[:, 0], keys):
        for name, report in reports.items():
            values = [math.nan if v is None or (isinstance(v, float) and math.isinf(v)) else v
                      for v in report.per_frame.get(key, [])]
            if values:
                ax.plot(range(len(values)), values, label=name, linewidth=1.2)
        ax.set_ylabel(key)
        ax.grid(alpha=0.3)
    axes[0, 0].legend(fontsize=8)
    axes[-1, 0].set_xlabel("frame (warping metrics: pair i, i+1)")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90, metadata={"Comment": WRITTEN_BY})  # as every PNG vinpaint writes: see io.writers
    plt.close(fig)
    return path


def contact_sheet(columns: dict[str, dict[int, np.ndarray]], *, tile_width: int = 288) -> np.ndarray:
    """A grid image: one column per entry (input, baseline, engines, truth), one row per sampled frame.

    Shape: each ``columns[name][t]`` ``(H,W,3)`` uint8; returns ``(H',W',3)`` uint8 RGB with labels.
    """
    names = list(columns)
    indices = sorted(set().union(*(set(v) for v in columns.values())))
    first = next(iter(columns[names[0]].values()))
    scale = tile_width / first.shape[1]
    tile_h = round(first.shape[0] * scale)
    label_h = 18
    sheet = np.full((label_h + len(indices) * (tile_h + 2), len(names) * (tile_width + 2), 3), 255, np.uint8)
    for j, name in enumerate(names):
        x = j * (tile_width + 2)
        cv2.putText(sheet, name[:34], (x + 3, 13), cv2.FONT_HERSHEY_SIMPLEX, 0.42, (0, 0, 0), 1, cv2.LINE_AA)
        for i, t in enumerate(indices):
            image = columns[name].get(t)
            if image is None:
                continue
            y = label_h + i * (tile_h + 2)
            sheet[y:y + tile_h, x:x + tile_width] = cv2.resize(image, (tile_width, tile_h), interpolation=cv2.INTER_AREA)
            cv2.putText(sheet, f"t={t}", (x + 3, y + 14), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (255, 255, 0), 1, cv2.LINE_AA)
    return sheet


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name).strip("_")


def write_case_outputs(case: Case, runs: list[Run], out: Path) -> None:
    """``plots/<case>.png`` (per-frame curves) and ``sheets/<case>.png`` (input, engines, truth)."""
    plot_per_frame({r.engine: r.report for r in runs}, out / "plots" / f"{_slug(case.name)}.png", title=case.name)
    indices = sample_indices(len(case.frames))
    columns = {"input": {i: case.frames[i] for i in indices}}
    if case.kind == "removal":  # show where the hole is
        columns["input"] = {i: _outline(case.frames[i], case.masks[i]) for i in indices}
    for run in runs:
        columns[run.engine] = run.samples
    if case.truth is not None:
        columns["truth"] = {i: case.truth[i] for i in indices}
    write_png(_ensure(out / "sheets" / f"{_slug(case.name)}.png"), contact_sheet(columns))


def _outline(frame: np.ndarray, hole: np.ndarray) -> np.ndarray:
    out = frame.copy()
    contours, _ = cv2.findContours(hole.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    cv2.drawContours(out, contours, -1, (255, 0, 255), 2)
    return out


def _ensure(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def write_summary(result: BenchResult, out: Path) -> None:
    """``bench.md`` (the tables) and ``bench.json`` (everything, per-frame curves included)."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench.md").write_text(markdown_table(result) + "\n")
    (out / "bench.json").write_text(to_json(result.to_dict()) + "\n")


# --------------------------------------------------------------------------------------------- #
# variants from text, and end-to-end speed on encoded files

_REMOVE_FIELDS = {f.name for f in dataclasses.fields(RemoveOptions)} - {"engine", "engine_options"}


def parse_variant(spec: str) -> tuple[str, RemoveOptions]:
    """``NAME=ENGINE[:KEY=VALUE,...]`` -> ``(NAME, RemoveOptions)``; ``ENGINE`` alone names itself.

    Keys that are :class:`RemoveOptions` fields (``blend``, ``feather``, ``window``, ``context``) set
    those; the others are engine options.  Examples: ``propagate``, ``fsr=propagate:fill=fsr``,
    ``poisson=propagate:blend=poisson,flow=dis-fast``.
    """
    from ..errors import InvalidOptionError

    head, _, settings = spec.strip().partition(":")
    name, sep, engine = head.partition("=")
    if not sep:
        engine = name
    name, engine = name.strip(), engine.strip()
    fields: dict = {}
    engine_options: dict = {}
    for pair in filter(None, (p.strip() for p in settings.split(","))):
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise InvalidOptionError(f"variant {spec!r}: {pair!r} is not KEY=VALUE")
        key = key.strip().replace("-", "_")
        (fields if key in _REMOVE_FIELDS else engine_options)[key] = parse_value(None, raw)
    if not name or not engine:
        raise InvalidOptionError(f"variant {spec!r} is not NAME=ENGINE[:KEY=VALUE,...]")
    fields.setdefault("dilate", 0)
    return name, RemoveOptions(engine=engine, engine_options=engine_options, **fields)


def parse_variants(specs: Iterable[str]) -> dict[str, RemoveOptions]:
    """Several :func:`parse_variant` specs, each string possibly holding several separated by ``;``."""
    variants: dict[str, RemoveOptions] = {}
    for text in specs:
        for spec in filter(None, (s.strip() for s in text.split(";"))):
            name, options = parse_variant(spec)
            variants[name] = options
    return variants


def measure_speed(
    frames: np.ndarray, masks: np.ndarray, variants: dict[str, RemoveOptions], workdir: str | Path, *,
    baseline: bool = True, progress: Progress | None = None,
) -> list[dict]:
    """End-to-end frames/s of :func:`vinpaint.remove_file` on an encoded ``.mp4`` (decode, fill, encode).

    ``frames`` are encoded to H.264 in ``workdir`` with ``masks`` as a PNG folder; each variant (and
    the baseline, engine ``perframe`` with fill ``telea``) is timed writing an ``.mp4``.

    Returns: one dict per engine: ``engine``, ``size``, ``frames``, ``seconds``, ``fps``.
    """
    from ..pipeline import remove_file

    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    size = f"{frames.shape[2]}x{frames.shape[1]}"
    video = encode_frames(frames, workdir / f"input-{size}.mp4")
    mask_folder = write_mask_folder(masks, workdir / f"masks-{size}", overwrite=True)
    jobs = {}
    if baseline:
        jobs[BASELINE] = RemoveOptions(engine="perframe", dilate=0, engine_options={"fill": "telea"})
    jobs.update(variants)
    rows = []
    for name, options in jobs.items():
        if progress:
            progress(f"speed {size}: {name}")
        output = workdir / f"{_slug(name)}-{size}.mp4"
        start = time.perf_counter()
        remove_file(video, mask_folder, output, options, overwrite=True)
        seconds = time.perf_counter() - start
        rows.append({"engine": name, "size": size, "frames": len(frames), "seconds": seconds,
                     "fps": len(frames) / seconds})
    return rows


def speed_table(rows: list[dict]) -> str:
    """Markdown table of :func:`measure_speed` rows."""
    lines = ["| size | frames | engine | seconds | frames/s |", "|---|---|---|---|---|"]
    for row in rows:
        lines.append(f"| {row['size']} | {row['frames']} | {row['engine']} | {row['seconds']:.1f} | {row['fps']:.2f} |")
    return "\n".join(lines)


def speed_clips(data: str | Path, frames: int = 80) -> list[tuple[np.ndarray, np.ndarray]]:
    """Clips for :func:`measure_speed`: one 432x240 and one 854x480, ``frames`` long, with a hole.

    432x240: the first clip of that size with its own masks.  854x480: the first clip of that size
    with masks, else the longest one with another clip's masks resized over it (a completion case).
    Sizes the folder lacks are skipped (logged).  Masks are dilated by :data:`HOLE_DILATE`.
    """
    clips = discover_clips(data)
    loaded = {c.name: read_clip(c, frames) for c in clips}
    donors = [n for n, (_, m) in loaded.items() if m is not None and m.any()]
    out = []
    for width in (432, 854):
        same = [n for n, (f, _) in loaded.items() if f.shape[2] == width and len(f) >= 2]
        if not same or not donors:
            log.warning("no %d-wide clip with a usable mask in %s: speed at that size skipped", width, data)
            continue
        with_masks = [n for n in same if n in donors]
        if with_masks:
            f, m = loaded[with_masks[0]]
            out.append((f, dilate_mask(m, HOLE_DILATE)))
        else:
            target = max(same, key=lambda n: len(loaded[n][0]))
            case = make_completion_case("speed", loaded[target][0], loaded[donors[0]][1])
            out.append((case.truth, case.masks))
    return out


# --------------------------------------------------------------------------------------------- #
# evaluating files (``vinpaint eval``)


def evaluate_files(
    result: str | Path,
    mask: str | Path,
    *,
    truth: str | Path | None = None,
    original: str | Path | None = None,
    dilate: int = 4,
    mask_ids: Iterable[int] | None = None,
    flow: str = "dis",
) -> EvalReport:
    """:func:`vinpaint.evaluate.metrics.evaluate` on files: videos or frame folders, masks as ``vinpaint remove``.

    The clips are decoded whole (evaluation needs every frame pair): keep them to a few hundred
    frames at 480p.
    """
    source = open_video(result)
    frames = source.read_all()
    info = source.info
    masks = open_masks(mask, len(frames), info.height, info.width, ids=mask_ids).read_all()
    loaded = {}
    for name, path in (("truth", truth), ("original", original)):
        if path is not None:
            clip = open_video(path).read_all()
            if clip.shape != frames.shape:
                raise MaskMismatchError(
                    f"the {name} has {len(clip)} frames of {clip.shape[2]}x{clip.shape[1]}, the result has "
                    f"{len(frames)} of {frames.shape[2]}x{frames.shape[1]}; they must match"
                )
            loaded[name] = clip
    return evaluate(frames, masks, truth=loaded.get("truth"), original=loaded.get("original"), dilate=dilate, flow=flow)


#: How each summary metric reads: (label, unit/format, which direction is better).
METRIC_HELP: dict[str, tuple[str, str, str]] = {
    "psnr": ("PSNR, whole frame (dB)", ".2f", "higher"),
    "ssim": ("SSIM, whole frame", ".4f", "higher"),
    "psnr_hole": ("PSNR inside the hole (dB)", ".2f", "higher"),
    "ssim_hole": ("SSIM inside the hole", ".4f", "higher"),
    "ewarp": ("warping error, whole frame (x1e-3)", ".3f", "lower"),
    "ewarp_hole": ("warping error inside the hole (x1e-3)", ".3f", "lower"),
    "flicker_hole": ("flicker inside the hole (0-255)", ".2f", "lower"),
    "boundary": ("seam at the hole's edge (1 = none)", ".3f", "lower, down to 1"),
    "sharpness": ("sharpness, hole / surroundings", ".3f", "higher, up to 1"),
    "changed_outside": ("pixels changed outside the hole", "d", "0"),
    "q": ("quality score Q (0-100)", ".1f", "higher"),
}


def format_report(report: EvalReport) -> str:
    """A readable table of a report's summary (metric, value, which way is better)."""
    rows = [("metric", "value", "better"), ("frames", str(report.frames), "")]
    for key, (label, spec, better) in METRIC_HELP.items():
        value = getattr(report, key)
        scale = 1e3 if key.startswith("ewarp") else 1.0
        if value is None:
            text = "n/a"
        elif isinstance(value, float) and math.isinf(value):
            text = "inf"
        else:
            text = format(int(value) if spec == "d" else value * scale, spec)
        rows.append((f"{label} [{key}]", text, better))
    width = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = [f"{a:<{width[0]}}  {b:>{width[1]}}  {c}" for a, b, c in rows]
    note = f"flow: {report.flow}, from the {report.flow_source}" if report.flow_source else "flow: not computed"
    return "\n".join(lines + [note])
