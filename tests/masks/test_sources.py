"""Every registered mask source, called the one way: ``source(frames, progress=..., **hints)``.

Parametrised over :data:`MASK_SOURCES` itself, so a new source fails here until it has a case.
"""

from __future__ import annotations

import numpy as np
import pytest

from vinpaint.composite import dilate_mask
from vinpaint.masks import MASK_SOURCES
from vinpaint.masks.click import Point
from vinpaint.masks.keyframes import Keyframe
from vinpaint.testing.overlays import watermarked_clip
from vinpaint.testing.synthetic import make_panning_clip

from .detectors.test_damage import add_damage
from .detectors.test_faces import face_clip
from .detectors.test_text import add_subtitle


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max(1, (a | b).sum()))


def box_region(box, shape) -> np.ndarray:
    x, y, w, h = (round(float(v)) for v in box)
    region = np.zeros(shape, bool)
    region[max(0, y) : y + h, max(0, x) : x + w] = True
    return region


def _box():
    clip = make_panning_clip(frames=6, height=40, width=60, object_size=8)
    truth = np.zeros(clip.masks.shape, bool)
    truth[:, 10:22, 5:25] = True  # one keyframe, held on every frame
    return clip.frames, {"keyframes": [Keyframe.box(2, 5, 10, 20, 12)]}, lambda masks: np.array_equal(masks, truth)


def _click():
    clip = make_panning_clip(frames=12, height=72, width=120, object_size=18)
    ys, xs = np.nonzero(clip.masks[0])
    # one click on the inside, one on the border: the square has two colours
    hints = {"points": [Point(float(xs.mean()), float(ys.mean()), frame=0), Point(float(xs.min()), float(ys.mean()), frame=0)]}
    return clip.frames, hints, lambda masks: np.mean([iou(m, t) for m, t in zip(masks, clip.masks)]) > 0.8


def _track():
    clip = make_panning_clip(frames=12, height=72, width=120, object_size=18)
    return clip.frames, {"init": {0: clip.masks[0]}}, lambda masks: np.mean([iou(m, t) for m, t in zip(masks, clip.masks)]) > 0.9


def _faces():
    frames, truth = face_clip(make_panning_clip(frames=4, height=144, width=240, object_size=4).frames)
    return frames, {}, lambda masks: all(m[box_region(b, m.shape)].mean() > 0.9 for m, b in zip(masks, truth))


def _text():
    background = make_panning_clip(frames=4, height=160, width=320, object_size=4).frames
    frames, boxes = zip(*(add_subtitle(frame, y=140) for frame in background))
    return np.stack(frames), {}, lambda masks: all(m[box_region(b, m.shape)].mean() > 0.9 for m, b in zip(masks, boxes))


def _watermark():
    frames, truth = watermarked_clip(make_panning_clip(frames=24, height=96, width=160, object_size=20).frames)
    return frames, {}, lambda masks: all(iou(m, truth) > 0.5 for m in masks)


def _damage():
    frames, truth = add_damage(make_panning_clip(frames=6, height=72, width=96, object_size=12).frames, dropout=None)
    near = dilate_mask(truth, 2)  # the found spots are grown by a pixel
    return frames, {}, lambda masks: (masks & truth).sum() > 0.9 * truth.sum() and (masks & ~near).mean() < 0.01


CASES = {"box": _box, "click": _click, "track": _track, "faces": _faces, "text": _text, "watermark": _watermark,
         "damage": _damage}


@pytest.mark.parametrize("name", MASK_SOURCES.names())
def test_every_mask_source_is_called_one_way(name):
    assert name in CASES, f"mask source {name!r} has no case in this test: add one"
    frames, hints, finds_the_object = CASES[name]()
    calls = []
    masks = MASK_SOURCES.get(name)(frames, progress=lambda done, total: calls.append((done, total)), **hints)
    assert masks.shape == frames.shape[:3] and masks.dtype == bool
    assert finds_the_object(masks)
    assert calls and calls[-1][0] == calls[-1][1] == len(frames)


@pytest.mark.parametrize("name", ["faces", "text", "damage"])
def test_detectors_read_a_stream_as_they_read_an_array(name):
    frames, _, _ = CASES[name]()
    source = MASK_SOURCES.get(name)
    np.testing.assert_array_equal(source(iter(list(frames))), source(frames))
