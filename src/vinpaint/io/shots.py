"""Shot cuts: where one shot ends and the next begins, so nothing is filled, averaged or tracked across one.

A cut is given as the index of the first frame of a new shot (0-based); frame 0 is never a cut.

The detector scores each frame by how much its content differs from the frame before (mean absolute
difference of hue, saturation and value on a small copy, as PySceneDetect's ``ContentDetector``), and
calls a frame a cut when its score is both large in itself and several times the mean score of its
neighbours (as PySceneDetect's ``AdaptiveDetector``, B. Castellano, PySceneDetect, 2014-2024): a fast
pan raises the scores of a whole run of frames, a cut raises one.  PySceneDetect itself is not used:
its wheel requires ``opencv-python``, which would sit beside our ``opencv-contrib-python-headless``.

The detector streams: :class:`CutDetector` is fed frames one at a time and decides each frame once
``window`` frames after it are seen, so a stream is delayed by ``window`` frames and never held.

Convention: frames ``(H,W,3)`` uint8 RGB (see :mod:`vinpaint.arrays`).
"""

from __future__ import annotations

import itertools
import logging
import re
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import cv2
import numpy as np

from ..errors import InputNotFoundError, InvalidOptionError

log = logging.getLogger(__name__)

#: the values of the ``shots`` option that are not a file
SHOT_MODES = ("auto", "none")

#: width of the copy frames are scored on (content scores hardly change with size; decoding dominates)
_SCORE_WIDTH = 128


def content_score(previous: np.ndarray, current: np.ndarray) -> float:
    """Mean absolute difference of hue, saturation and value between two small HSV images (0-255 scale)."""
    diff = np.abs(current.astype(np.int16) - previous.astype(np.int16))
    hue = np.minimum(diff[..., 0], 180 - diff[..., 0]) * (255 / 90)  # OpenCV hue is 0-179, circular
    return float((hue.mean() + diff[..., 1].mean() + diff[..., 2].mean()) / 3)


def _small_hsv(frame: np.ndarray) -> np.ndarray:
    h, w = frame.shape[:2]
    if w > _SCORE_WIDTH:
        frame = cv2.resize(frame, (_SCORE_WIDTH, max(1, round(h * _SCORE_WIDTH / w))), interpolation=cv2.INTER_AREA)
    return cv2.cvtColor(frame, cv2.COLOR_RGB2HSV)


class CutDetector:
    """Streaming cut detector: :meth:`push` each frame in order, then :meth:`finish`.

    Args:
        threshold: a frame is a cut when its score is at least this many times the mean score of its
            ``window`` neighbours on each side.
        min_score: ...and its score is at least this (0-255 scale): a flicker in a still scene is not a cut.
        window: neighbours on each side; also the delay, in frames, before a frame is decided.
        min_shot: frames a shot has at least; a candidate closer than this to the previous cut is dropped.
    """

    def __init__(self, *, threshold: float = 3.0, min_score: float = 12.0, window: int = 2, min_shot: int = 8) -> None:
        if threshold <= 1 or min_score < 0 or window < 1 or min_shot < 1:
            raise InvalidOptionError("cut detector needs threshold > 1, min_score >= 0, window >= 1, min_shot >= 1; "
                                     f"got {threshold}, {min_score}, {window}, {min_shot}")
        self.threshold, self.min_score, self.window, self.min_shot = threshold, min_score, window, min_shot
        self.scores: deque[tuple[int, float]] = deque(maxlen=2 * window + 1)  # (frame, score), newest last
        self.previous: np.ndarray | None = None
        self.count = 0  # frames pushed
        self.last_cut = 0
        self.cuts: list[int] = []

    def push(self, frame: np.ndarray) -> list[int]:
        """Score ``frame``; returns the cuts decided by it (frame indices ``window`` behind)."""
        small = _small_hsv(frame)
        if self.previous is not None:  # frame 0 has no score
            self.scores.append((self.count, content_score(self.previous, small)))
        self.previous = small
        self.count += 1
        decided = self.count - 1 - self.window
        return self._decide(decided) if decided >= 1 else []

    def finish(self) -> list[int]:
        """Decide the last ``window`` frames (with fewer neighbours after them); returns the new cuts."""
        found = []
        for decided in range(max(1, self.count - self.window), self.count):
            found += self._decide(decided)
        return found

    def _decide(self, index: int) -> list[int]:
        scored = dict(self.scores)
        score = scored.get(index)
        if score is None:
            return []
        neighbours = [value for number, value in scored.items() if number != index and abs(number - index) <= self.window]
        baseline = float(np.mean(neighbours)) if neighbours else 0.0
        if score < self.min_score or score < self.threshold * max(baseline, 1e-6):
            return []
        if index - self.last_cut < self.min_shot:
            log.debug("frame %d looks like a cut but is %d frames after the last; ignored", index, index - self.last_cut)
            return []
        self.last_cut = index
        self.cuts.append(index)
        log.debug("cut at frame %d (score %.1f, neighbours %.1f)", index, score, baseline)
        return [index]


def detect_cuts(frames: Iterable[np.ndarray], **settings) -> list[int]:
    """The cuts of a clip or stream: indices of the first frame of each new shot, ascending.

    Shape:
        frames: ``(T,H,W,3)`` uint8 RGB, or an iterable of ``(H,W,3)``.

    ``settings`` are :class:`CutDetector`'s.
    """
    detector = CutDetector(**settings)
    for frame in frames:
        detector.push(frame)
    detector.finish()
    return list(detector.cuts)


def mark_shot_starts(frames: Iterable[np.ndarray], cuts: Iterable[int] | None = None, *,
                     detector: CutDetector | None = None) -> Iterator[tuple[np.ndarray, bool]]:
    """Yield ``(frame, starts_a_new_shot)`` for each frame of a stream.

    With ``cuts`` (frame indices) those are the shot starts; otherwise ``detector`` (a fresh
    :class:`CutDetector` if None) finds them, delaying the stream by its ``window`` frames.
    """
    if cuts is not None:
        starts = {int(cut) for cut in cuts}
        for index, frame in enumerate(frames):
            yield frame, index in starts and index > 0
        return
    detector = detector or CutDetector()
    held: deque[tuple[int, np.ndarray]] = deque()
    found: set[int] = set()
    for index, frame in enumerate(frames):
        found.update(detector.push(frame))
        held.append((index, frame))
        while len(held) > detector.window:
            number, oldest = held.popleft()
            yield oldest, number in found
    found.update(detector.finish())
    for number, oldest in held:
        yield oldest, number in found


def shot_spans(cuts: Sequence[int], frame_count: int) -> list[tuple[int, int]]:
    """``[(start, stop), ...]`` (stop exclusive) of the shots of a ``frame_count``-frame clip with these cuts."""
    bounds = [0] + sorted(cut for cut in set(cuts) if 0 < cut < frame_count) + [frame_count]
    return list(itertools.pairwise(bounds))


def read_cuts(path: str | Path) -> list[int]:
    """Cut frames from a text file: 0-based indices of each new shot's first frame.

    Numbers are separated by spaces, commas or new lines; ``#`` starts a comment.

    Raises:
        InputNotFoundError: no such file.
        InvalidOptionError: something in it is not a non-negative whole number.
    """
    path = Path(path)
    if not path.is_file():
        raise InputNotFoundError(f"shots file not found: {path}; give auto, none or a text file of cut frame numbers")
    cuts = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        for word in re.split(r"[\s,;]+", line.split("#", 1)[0].strip()):
            if not word:
                continue
            if not word.isdigit():
                raise InvalidOptionError(f"{path}, line {number}: {word!r} is not a frame number; the shots file "
                                         "lists the first frame (0-based) of each new shot")
            cuts.append(int(word))
    return sorted(set(cuts))


def cuts_for_option(shots: str, *, frame_count: int | None = None) -> list[int] | None:
    """The cuts a ``shots`` option names: ``"none"`` -> ``[]``, ``"auto"`` -> None (detect), else the file's.

    Raises:
        InvalidOptionError: a file's cut lies beyond ``frame_count`` (when known).
    """
    if shots == "none":
        return []
    if shots == "auto":
        return None
    cuts = read_cuts(shots)
    if frame_count is not None and cuts and cuts[-1] >= frame_count:
        raise InvalidOptionError(f"the shots file {shots} has a cut at frame {cuts[-1]}, but the clip has "
                                 f"{frame_count} frames (0-{frame_count - 1}); fix the file")
    return cuts
