"""Click to select: GrabCut from points, then tracking."""

from __future__ import annotations

import numpy as np
import pytest

from vinpaint.errors import InvalidOptionError
from vinpaint.masks import MASK_SOURCES
from vinpaint.masks.click import Point, click_track, parse_point, segment_from_points


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max(1, (a | b).sum()))


def test_one_click_selects_the_square(medium_clip):
    truth = medium_clip.masks[10]
    ys, xs = np.nonzero(truth)
    segment = segment_from_points(medium_clip.frames[10], [(xs.mean(), ys.mean())])
    assert segment.dtype == bool and segment.shape == truth.shape
    assert iou(segment, truth) > 0.9


def test_negative_click_removes_a_region():
    frame = np.full((60, 80, 3), 30, np.uint8)
    frame[20:40, 10:30] = (200, 40, 40)   # object A
    frame[20:40, 32:52] = (200, 40, 40)   # object B, same colour, 2 px apart
    frame[20:40, 30:32] = (190, 50, 50)
    both = segment_from_points(frame, [(20, 30)], radius=40)
    only_a = segment_from_points(frame, [(20, 30), (42, 30, False)], radius=40)
    assert both[30, 42] and not only_a[30, 42] and only_a[30, 20]


def test_no_positive_point_is_an_error(small_clip):
    with pytest.raises(InvalidOptionError, match="positive"):
        segment_from_points(small_clip.frames[0], [(10, 10, False)])


def test_point_outside_the_frame_is_an_error(small_clip):
    with pytest.raises(InvalidOptionError, match="outside the 64x48 frame"):
        segment_from_points(small_clip.frames[0], [(100, 10)])


def test_parse_point():
    assert parse_point("12:200,140") == Point(200, 140, True, 12)
    assert parse_point("3:5.5,7,neg") == Point(5.5, 7, False, 3)


@pytest.mark.parametrize("text", ["12", "12:1", "a:1,2", "1:1,2,maybe", "-1:1,2"])
def test_malformed_point_is_an_error(text):
    with pytest.raises(InvalidOptionError):
        parse_point(text)


def test_click_then_track_follows_the_square(medium_clip):
    ys, xs = np.nonzero(medium_clip.masks[0])
    # one click on the red inside, one on the blue border: the square has two colours
    clicks = [Point(xs.mean(), ys.mean(), True, 0), Point(xs.min(), ys.mean(), True, 0)]
    tracked = click_track(medium_clip.frames, clicks)
    scores = [iou(a, b) for a, b in zip(tracked, medium_clip.masks)]
    assert np.mean(scores) > 0.9


def test_click_on_a_frame_beyond_the_clip_is_an_error(small_clip):
    with pytest.raises(InvalidOptionError, match="beyond the clip"):
        click_track(small_clip.frames, [Point(5, 5, True, 40)])


def test_registered_as_a_mask_source():
    assert MASK_SOURCES.get("click") is click_track
