"""Planar tracking: a poster moving under known homographies, a hand passing in front, its light changing."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from vinpaint.errors import InvalidArrayError, InvalidOptionError, MaskMismatchError
from vinpaint.masks.track.plane import (
    order_corners,
    parse_corners,
    quad_mask,
    region_corners,
    track_plane,
)
from vinpaint.testing.poster import make_poster_clip


def corner_errors(found: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Mean distance of the four corners, per frame (px)."""
    return np.linalg.norm(found - truth, axis=2).mean(axis=1)


def real_background(folder, frames: int = 60) -> np.ndarray:
    from vinpaint.io import read_frames

    return read_frames(folder, 0, frames - 1)


@pytest.fixture(scope="module")
def poster_clip():
    """60 frames over a texture: perspective motion, brightness from 0.75 to 1.25, a hand crossing it."""
    return make_poster_clip(frames=60, brightness_swing=0.25)


def test_corners_parse_and_order():
    frame, corners = parse_corners("12:90,60,10,10,12,58,88,12")
    assert frame == 12
    np.testing.assert_array_equal(corners, [[10, 10], [88, 12], [90, 60], [12, 58]])


@pytest.mark.parametrize("text", ["0:1,2,3,4", "x:1,2,3,4,5,6,7,8", "0:1,2,3,4,5,6,7,a", "1,2,3,4,5,6,7,8"])
def test_bad_corners_raise(text):
    with pytest.raises(InvalidOptionError):
        parse_corners(text)


def test_order_corners_is_independent_of_the_input_order():
    square = np.array([[5, 5], [25, 5], [25, 15], [5, 15]], float)
    for shift in range(4):
        np.testing.assert_array_equal(order_corners(np.roll(square, shift, axis=0)), square)


def test_quad_mask_holds_the_pixel_centres_inside():
    mask = quad_mask(np.array([[-0.5, -0.5], [9.5, -0.5], [9.5, 4.5], [-0.5, 4.5]]), (10, 20))
    assert mask.sum() == 50 and mask[:5, :10].all()


def test_region_corners_of_a_rectangle():
    mask = np.zeros((40, 60), bool)
    mask[10:20, 5:35] = True
    corners = region_corners(mask)
    assert np.abs(corners - [[5, 10], [34, 10], [34, 19], [5, 19]]).max() <= 1.0


def test_tracks_a_poster_through_occlusion_and_light_changes(poster_clip):
    track = track_plane(poster_clip.frames, poster_clip.corners[0], keyframe=0)
    errors = corner_errors(track.corners, poster_clip.corners)
    assert errors.mean() <= 1.0, errors
    assert errors.max() <= 3.0, errors
    assert poster_clip.hand.any(axis=(1, 2)).sum() >= 25  # the hand really passed in front


def test_tracks_backward_and_forward_from_a_middle_keyframe():
    clip = make_poster_clip(frames=20, hand=False, seed=3)
    track = track_plane(clip.frames, clip.corners[10], keyframe=10)
    np.testing.assert_allclose(track.homographies[10], np.eye(3))
    assert corner_errors(track.corners, clip.corners).max() <= 1.0


def test_a_mask_region_is_tracked_like_its_corners():
    clip = make_poster_clip(frames=12, hand=False, seed=5)
    region = quad_mask(clip.corners[0], clip.frames.shape[1:3])
    track = track_plane(clip.frames, region)
    truth = np.stack([cv2.getPerspectiveTransform(clip.corners[0].astype(np.float32), c.astype(np.float32))
                      for c in clip.corners])
    key = clip.corners[0].reshape(-1, 1, 2)
    carried = np.stack([cv2.perspectiveTransform(key, h).reshape(4, 2) for h in track.homographies])
    expected = np.stack([cv2.perspectiveTransform(key, h).reshape(4, 2) for h in truth])
    assert corner_errors(carried, expected).max() <= 1.0
    assert track.region_in(0).sum() == region.sum()


def test_bad_regions_raise(poster_clip):
    frames = poster_clip.frames[:3]
    with pytest.raises(MaskMismatchError):
        track_plane(frames, np.zeros(frames.shape[1:3], bool))
    with pytest.raises(MaskMismatchError):
        track_plane(frames, np.ones((10, 10), bool))
    with pytest.raises(InvalidArrayError):
        track_plane(frames, np.ones((2, 3, 4)))
    with pytest.raises(InvalidOptionError):
        track_plane(frames, poster_clip.corners[0], keyframe=3)


@pytest.mark.slow
@pytest.mark.parametrize("clip_name", ["bmx-trees", "paragliding"])
def test_tracks_a_poster_over_a_real_clip(shared_data, clip_name):
    clip = make_poster_clip(real_background(shared_data / clip_name / "frames"), frames=60, brightness_swing=0.25)
    track = track_plane(clip.frames, clip.corners[0])
    errors = corner_errors(track.corners, clip.corners)
    assert errors.mean() <= 1.0 and errors.max() <= 3.0, errors
