"""How sure the tracker is of each frame, from what each tracking step already measures.

Every step of :func:`.propagate.propagate` carries the mask by the motion and then lets the colour
model re-decide part of it; it notes (:class:`StepNote`) how many pixels the colour model changed,
how many it decided alone (their flow failed the forward-backward check, or the warp lost them) and
how much of the object's remembered shape is still seen.  Nothing here changes a mask.

A step's confidence (:func:`step_confidence`) is ``1 - changed / max(carried, area)``: the share of
the motion-carried mask the colours agreed with (a step that lost the whole object is 0).  Motion and
appearance are independent cues; where they agree the step is as good as either, where the colours
must rewrite a large part of the mask the object was lost, leaked into the background or changed
faster than the flow followed.  On the three DAVIS clips of ``../shared/data`` the colour model
changes 15-40 % of a well-tracked mask (its band around the edge) and 40-150 % where the track is
lost.  The changed pixels are pooled: an object's frame confidence is ``1 - sum(changed) /
sum(size)`` over the tracks that reach it (weighted as their masks were blended, between two
anchors), and the frame's (:attr:`TrackConfidence.frames`) pools every object's the same way, so it
is the share of the frame's whole mask the colours agreed with: it matches the union mask that is
written, and a small object lost among larger, well-tracked ones lowers it only by its share (each
object's own is in :attr:`TrackConfidence.objects`).  An anchor frame is 1.  It is each step's own
doubt, not an accumulated one: a track that lost the object and has steadily followed the wrong
region since reads sure again.

A frame is *unsure* (:attr:`TrackConfidence.unsure`) when its confidence is below
:data:`UNSURE_BELOW`, or when nothing was tracked there (a shot without a keyframe).

Without the colour model (``refine=False`` or ``band=0``) a step has only the motion, no second cue
to disagree with it: then only a step that loses the whole object is unsure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

#: a frame whose confidence (for any object) is below this is unsure: the colour model rewrote more
#: than 40 % of the mask.  Chosen on bmx-trees, tennis and schoolgirls against IoU < 0.6 (0.55-0.65
#: measured; docs/masks.md, "Mask quality report"), so those figures are in-sample
UNSURE_BELOW = 0.6


class StepNote(NamedTuple):
    """What one tracking step saw of its own reliability, in pixels at the tracking size."""

    frame: int
    #: the step's mask, after the colour model
    area: int
    #: the mask carried by the motion (flow or similarity), before the colour model
    carried: int
    #: pixels the colour model changed (``area`` xor ``carried``)
    changed: int
    #: pixels whose label the colours alone decided (flow failed the forward-backward check, or the
    #: warp lost part of the remembered shape)
    undecided: int
    #: the object's remembered (fullest recent) shape, moved to this frame
    remembered: int


def step_doubt(note: StepNote) -> tuple[int, int]:
    """``(changed, size)`` of a step: the pixels the colours rewrote and the mask's size, both in pixels.

    A step that lost the whole object (empty carried and refined masks, a non-empty remembered shape)
    counts its remembered shape as wholly rewritten.
    """
    size = max(note.carried, note.area)
    if size == 0:
        return note.remembered, note.remembered
    return min(note.changed, size), size


def step_confidence(note: StepNote) -> float:
    """``1 - changed / max(carried, area)`` in ``[0, 1]``; 0 for a step that lost the whole object."""
    changed, size = step_doubt(note)
    return 1.0 - changed / size if size else 1.0


def _pool(notes_by_object, frame_count: int) -> tuple[np.ndarray, np.ndarray]:
    """Weighted sums ``(changed, size)``, each ``(T,)`` float64, over every track of the objects given."""
    changed = np.zeros(frame_count, np.float64)
    size = np.zeros(frame_count, np.float64)
    for notes in notes_by_object:
        for track in notes.values():
            for w, note in track:
                c, s = step_doubt(note)
                changed[note.frame] += w * c
                size[note.frame] += w * s
    return changed, size


def track_confidence(notes: dict[tuple[int, int], list[tuple[float, StepNote]]], frame_count: int) -> np.ndarray:
    """One object's ``(T,)`` float32 confidence in ``[0, 1]`` from its tracks' notes.

    ``notes``: ``{(anchor, direction): [(weight, StepNote), ...]}`` as :func:`.tracker._track_object`
    fills it.  A frame is ``1 - sum(w * changed) / sum(w * size)`` over the tracks that reach it;
    frames none reaches (the anchors) are 1.
    """
    changed, size = _pool([notes], frame_count)
    out = np.ones(frame_count, np.float32)
    seen = size > 0
    out[seen] = 1.0 - changed[seen] / size[seen]
    return out


@dataclass
class TrackConfidence:
    """Out-parameter of :func:`.tracker.track_objects` / :func:`.tracker.track_masks`: pass an empty one.

    ``objects``: ``{object id: (T,) float32}`` each object's confidence in ``[0, 1]`` (NaN where the
    object was not tracked: a shot without its keyframe).  See the module docstring for the rule.
    """

    objects: dict[int, np.ndarray] = field(default_factory=dict)
    frame_count: int = 0
    #: ``{object id: {(anchor, direction): [(weight, StepNote), ...]}}``: the raw notes
    notes: dict[int, dict[tuple[int, int], list[tuple[float, StepNote]]]] = field(default_factory=dict)
    #: ``(T,)`` bool: the frames of the shots that were tracked (a shot without a keyframe is not)
    tracked: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))

    def start(self, frame_count: int, *, tracked: bool = True) -> None:
        """Reset for a clip of ``frame_count`` frames, all of them tracked or none yet (called by the tracker)."""
        self.objects, self.notes, self.frame_count = {}, {}, frame_count
        self.tracked = np.full(frame_count, tracked)

    def add_object(self, object_id: int, notes: dict) -> None:
        """Record one object's notes (called by the tracker)."""
        self.notes[object_id] = notes
        self.objects[object_id] = track_confidence(notes, self.frame_count)

    def add_shot(self, start: int, shot: TrackConfidence) -> None:
        """Record a tracked shot's confidence, its frames offset by ``start`` (called by the tracker)."""
        self.tracked[start:start + shot.frame_count] = True
        for object_id, values in shot.objects.items():
            mine = self.objects.setdefault(object_id, np.full(self.frame_count, np.nan, np.float32))
            mine[start:start + len(values)] = values
            self.notes.setdefault(object_id, {}).update(
                {(start + key, direction): [(w, note._replace(frame=start + note.frame)) for w, note in items]
                 for (key, direction), items in shot.notes.get(object_id, {}).items()})

    @property
    def frames(self) -> np.ndarray:
        """``(T,)`` float32 in ``[0, 1]``: the share of each frame's mask (all objects) the colours agreed
        with; 1 on anchor frames, 0 where nothing was tracked."""
        changed, size = _pool(self.notes.values(), self.frame_count)
        out = np.ones(self.frame_count, np.float32)
        seen = size > 0
        out[seen] = 1.0 - changed[seen] / size[seen]
        out[~self.tracked] = 0.0
        return out

    @property
    def unsure(self) -> np.ndarray:
        """``(T,)`` bool: frames whose confidence is below :data:`UNSURE_BELOW` (or where nothing was tracked)."""
        return self.frames < UNSURE_BELOW
