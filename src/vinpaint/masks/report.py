"""A mask folder's quality report: coverage per frame, empty frames, abrupt jumps, frames the tracker was unsure of.

Every ``vinpaint mask`` command writes it as ``report.json`` beside the masks
(:func:`write_mask_report`) and ``vinpaint mask preview`` marks the unsure frames
(:func:`vinpaint.masks.preview.mark_frames`).

Definitions (``T`` frames of ``H x W``):

* *coverage*: the share of the frame's pixels the mask covers, ``mask.sum() / (H * W)``.
* *empty*: a frame whose mask covers no pixel.
* *jump*: a frame whose mask area changes from the previous frame's by more than ``jump`` (default
  :data:`JUMP`, 0.4) of the larger of the two, both non-empty.  The given masks of tennis,
  bmx-trees and schoolgirls (``../shared/data``) change by at most 0.334 between consecutive frames
  (bmx-trees, the rider passing behind a tree), so a larger change is more than a real object
  does: the mask lost part of it or leaked into the background.  A one-frame spike flags the frame
  and the one after it (the change there and back); an object entering or leaving (a change from
  or to an empty mask) is reported under *empty*, not as a jump.
* *unsure*: a frame the mask source itself doubted: for the tracker, a frame whose confidence
  (:mod:`vinpaint.masks.track.confidence`: the share of the frame's motion-carried mask, all
  objects pooled, that the colour model agreed with) is below
  :data:`vinpaint.masks.track.confidence.UNSURE_BELOW` (0.6), or a frame no object was tracked on
  (a shot without a keyframe).  Sources that know nothing of their own reliability (boxes, detectors)
  have no unsure frames; the report then says ``"unsure": null`` (not known) rather than ``[]``.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..arrays import check_masks
from ..errors import InvalidArrayError, InvalidOptionError, OutputError
from ..io.masks import REPORT_FILE

log = logging.getLogger(__name__)

#: a frame whose mask area changes from the previous frame's by more than this share of the larger
#: is a jump (see the module docstring for why 0.4)
JUMP = 0.4
#: the ``kind`` every report file carries, so that a ``report.json`` vinpaint did not write is never replaced
REPORT_KIND = "vinpaint mask report"


@dataclass(frozen=True)
class MaskReport:
    """The quality report of ``(T,H,W)`` masks (see the module docstring for each definition).

    ``coverage`` ``(T,)`` float64 in ``[0, 1]``; ``confidence`` ``(T,)`` float32 in ``[0, 1]`` or
    None; ``empty``, ``jumps``, ``unsure``: sorted frame indices (``unsure`` None: not known).
    """

    frame_count: int
    height: int
    width: int
    coverage: np.ndarray
    empty: list[int]
    jumps: list[int]
    unsure: list[int] | None
    confidence: np.ndarray | None = None
    jump: float = JUMP

    def summary(self, name: str = "masks") -> str:
        """One line, e.g. ``masks: 82 frames, coverage 3.1-5.4 %, 2 unsure frames: 41, 57``."""
        covered = self.coverage[self.coverage > 0]
        parts = [f"{name}: {self.frame_count} frame{'s' if self.frame_count != 1 else ''}"]
        if len(covered):
            low, high = 100 * covered.min(), 100 * covered.max()
            parts.append(f"coverage {_percent(low)}-{_percent(high)} %" if low != high else f"coverage {_percent(low)} %")
        for label, frames in (("empty", self.empty), ("jump", self.jumps), ("unsure", self.unsure)):
            if frames:
                parts.append(f"{len(frames)} {label} frame{'s' if len(frames) != 1 else ''}: {_frame_list(frames)}")
        if self.unsure == []:
            parts.append("no unsure frame")
        return ", ".join(parts)

    def to_dict(self) -> dict:
        """JSON-ready: plain lists and floats (coverage and confidence rounded to 6 digits)."""
        return {
            "kind": REPORT_KIND,
            "frames": self.frame_count,
            "height": self.height,
            "width": self.width,
            "coverage": [round(float(c), 6) for c in self.coverage],
            "empty": list(self.empty),
            "jumps": list(self.jumps),
            "jump_threshold": self.jump,
            "unsure": None if self.unsure is None else list(self.unsure),
            "confidence": None if self.confidence is None else [round(float(c), 6) for c in self.confidence],
            "summary": self.summary(),
        }


def mask_quality_report(masks: np.ndarray, *, confidence: np.ndarray | None = None,
                        unsure: np.ndarray | None = None, jump: float = JUMP) -> MaskReport:
    """The quality report of ``masks``.

    Shape:
        masks: ``(T,H,W)`` bool (non-zero = fill).
        confidence: ``(T,)`` float in ``[0, 1]``, the mask source's own (e.g.
            :attr:`vinpaint.masks.track.TrackConfidence.frames`), kept in the report.
        unsure: ``(T,)`` bool, the frames the source doubted (e.g.
            :attr:`vinpaint.masks.track.TrackConfidence.unsure`).  None: not known.

    Raises:
        InvalidArrayError: masks not ``(T,H,W)``, or ``confidence`` / ``unsure`` of another length.
        InvalidOptionError: ``jump`` outside ``(0, 1]``.
    """
    masks = np.asarray(masks)
    if masks.ndim != 3:
        raise InvalidArrayError(f"masks must have shape (T, H, W), got {masks.shape}")
    masks = check_masks(masks, masks.shape + (3,))
    if not 0 < jump <= 1:
        raise InvalidOptionError(f"jump must be in (0, 1] (a share of the larger area), got {jump}")
    t, h, w = masks.shape
    flags = None
    if unsure is not None:
        flags = np.asarray(unsure, bool)
        if flags.shape != (t,):
            raise InvalidArrayError(f"unsure must hold one flag per frame, shape ({t},), got {flags.shape}")
    if confidence is not None:
        confidence = np.asarray(confidence, np.float32)
        if confidence.shape != (t,):
            raise InvalidArrayError(f"confidence must hold one value per frame, shape ({t},), got {confidence.shape}")
    area = masks.reshape(t, -1).sum(1).astype(np.int64)
    coverage = area / float(h * w) if h * w else np.zeros(t)
    empty = np.nonzero(area == 0)[0]
    change = np.zeros(t)
    both = np.zeros(t, bool)
    if t > 1:
        larger = np.maximum(area[1:], area[:-1])
        change[1:] = np.abs(area[1:] - area[:-1]) / np.maximum(larger, 1)
        both[1:] = (area[1:] > 0) & (area[:-1] > 0)
    jumps = np.nonzero(both & (change > jump))[0]
    report = MaskReport(t, h, w, coverage, empty.tolist(), jumps.tolist(),
                        None if flags is None else np.nonzero(flags)[0].tolist(), confidence, jump)
    log.info("%s", report.summary())
    return report


def check_report_path(folder: str | Path) -> Path:
    """``folder/report.json``, checked before anything is written: vinpaint replaces only its own report.

    Raises:
        OutputError: ``folder/report.json`` exists and is not a report vinpaint wrote.
    """
    path = Path(folder) / REPORT_FILE
    if path.exists() and read_mask_report(path.parent) is None:
        raise OutputError(f"{path} exists and was not written by vinpaint; move it away to write the masks and their report")
    return path


def write_mask_report(report: MaskReport, folder: str | Path) -> Path:
    """Write ``report`` as ``folder/report.json`` (JSON of :meth:`MaskReport.to_dict`); returns its path.

    Raises:
        OutputError: ``folder/report.json`` exists and is not a report vinpaint wrote.
    """
    path = check_report_path(folder)
    path.write_text(json.dumps(report.to_dict(), indent=1) + "\n", encoding="utf-8")
    return path


def read_mask_report(folder: str | Path) -> dict | None:
    """The report a mask folder holds (the dict :meth:`MaskReport.to_dict` wrote), or None.

    None also for a folder without ``report.json``, a mask path that is no folder, and a
    ``report.json`` that is not vinpaint's (unreadable, or without its ``kind``).
    """
    path = Path(folder) / REPORT_FILE
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        log.warning("%s is not a readable JSON file; ignored", path)
        return None
    return data if isinstance(data, dict) and data.get("kind") == REPORT_KIND else None


def unsure_frames(folder: str | Path) -> list[int]:
    """The unsure frames the report in a mask folder lists (``[]`` without one, or when not known)."""
    report = read_mask_report(folder)
    frames = report.get("unsure") if report else None
    return [int(f) for f in frames] if isinstance(frames, list) else []


def _percent(value: float) -> str:
    return f"{value:.1f}" if value >= 0.1 else f"{value:.2g}"


def _frame_list(frames: list[int], limit: int = 12) -> str:
    """``"41, 57"``; runs collapsed (``"3-9, 41"``); at most ``limit`` items, then ``"..."``."""
    runs: list[str] = []
    start = prev = frames[0]
    for frame in frames[1:] + [None]:
        if frame is not None and frame == prev + 1:
            prev = frame
            continue
        runs.append(str(start) if start == prev else f"{start}-{prev}")
        if frame is not None:
            start = prev = frame
    return ", ".join(runs[:limit]) + (", ..." if len(runs) > limit else "")
