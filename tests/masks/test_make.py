"""make_masks: keyframe masks tracked or repeated over a frame range."""

from __future__ import annotations

import numpy as np
import pytest

from vinpaint.errors import InvalidOptionError, MaskMismatchError
from vinpaint.masks.make import MAKE_METHODS, make_masks
from vinpaint.masks.track import track_masks
from vinpaint.testing.synthetic import make_panning_clip


@pytest.fixture(scope="module")
def clip():
    return make_panning_clip(frames=10, height=48, width=64)


def test_static_repeats_the_keyframe_over_the_range_only(clip):
    key = clip.masks[2]
    masks = make_masks(clip.frames, {2: key}, method="static", first=2, last=6)
    assert masks.shape == clip.masks.shape and masks.dtype == bool
    assert all((masks[t] == key).all() for t in range(2, 7))
    assert not masks[:2].any() and not masks[7:].any()


def test_static_needs_the_frames_shape_only(clip):
    shape_only = np.broadcast_to(np.zeros(3, np.uint8), clip.frames.shape)
    masks = make_masks(shape_only, {0: clip.masks[0]}, method="static")
    assert (masks == clip.masks[0]).all()


def test_track_over_the_whole_clip_is_track_masks(clip):
    init = {0: clip.masks[0]}
    np.testing.assert_array_equal(make_masks(clip.frames, init), track_masks(clip.frames, init))


def test_track_over_a_range_tracks_those_frames_and_leaves_the_others_empty(clip):
    masks = make_masks(clip.frames, {3: clip.masks[3], 0: clip.masks[0]}, first=3, last=7)
    expected = track_masks(clip.frames[3:8], {0: clip.masks[3]})
    np.testing.assert_array_equal(masks[3:8], expected)
    assert not masks[:3].any() and not masks[8:].any()
    truth = clip.masks[7]
    assert (masks[7] & truth).sum() / (masks[7] | truth).sum() > 0.5


@pytest.mark.parametrize("method", MAKE_METHODS)
def test_no_keyframe_in_the_range_is_refused(clip, method):
    with pytest.raises(InvalidOptionError, match="keyframe"):
        make_masks(clip.frames, {0: clip.masks[0]}, method=method, first=4, last=8)


def test_range_outside_the_frames_is_refused(clip):
    with pytest.raises(InvalidOptionError, match="outside the clip's frames 0-9"):
        make_masks(clip.frames, {0: clip.masks[0]}, first=5, last=10)


def test_unknown_method_is_refused(clip):
    with pytest.raises(InvalidOptionError, match="unknown mask method"):
        make_masks(clip.frames, {0: clip.masks[0]}, method="guess")


def test_keyframe_of_another_size_is_refused(clip):
    with pytest.raises(MaskMismatchError, match="keyframe mask of frame 0"):
        make_masks(clip.frames, {0: clip.masks[0][:, :32]})
