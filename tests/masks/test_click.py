"""Click to select: GrabCut from points, then tracking."""

from __future__ import annotations

import numpy as np
import pytest

from vinpaint.errors import InvalidOptionError
from vinpaint.masks import MASK_SOURCES
from vinpaint.masks.click import (
    Point,
    click_track,
    neighbouring_frames,
    parse_click_box,
    parse_point,
    segment_from_points,
)
from vinpaint.masks.segment import Segmentation, independent_motion, segment_object


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


# -- one click or one box -> the whole object (vinpaint.masks.segment) ------------------------------


def two_coloured_walker(frames: int = 7, step: int = 3):
    """A static textured background; a box red on top, blue below, moving right ``step`` px a frame.

    Returns frames ``(T,96,160,3)`` uint8 and the box's masks ``(T,96,160)`` bool.
    """
    rng = np.random.default_rng(1)
    background = rng.integers(60, 200, (96, 160, 3), dtype=np.uint8)
    background = np.repeat(np.repeat(background[::4, ::4], 4, 0), 4, 1)  # 4x4 blocks: texture for the flow
    clip = np.repeat(background[None], frames, 0).copy()
    truth = np.zeros(clip.shape[:3], bool)
    for t in range(frames):
        x = 40 + step * t
        clip[t, 30:50, x : x + 30] = (220, 30, 30)
        clip[t, 50:75, x : x + 30] = (30, 30, 220)
        clip[t, 30:75, x + 12 : x + 18] += 15  # a stripe: texture on the object
        truth[t, 30:75, x : x + 30] = True
    return clip, truth


def test_motion_joins_the_parts_that_move_with_the_click():
    clip, truth = two_coloured_walker()
    click = [(55, 40)]  # on the red top
    image_only = segment_object(clip[3], click)
    with_motion = segment_object(clip[3], click, neighbours=neighbouring_frames(clip, 3))
    assert iou(image_only.mask, truth[3]) < 0.6  # colour alone stops at the red part
    assert iou(with_motion.mask, truth[3]) > 0.85
    assert with_motion.cue == "motion"


def test_independent_motion_is_high_on_the_mover_and_low_elsewhere():
    clip, truth = two_coloured_walker()
    motion = independent_motion(clip[3], clip[[0, 6]])
    assert motion.shape == truth.shape[1:] and motion.dtype == np.float32
    core = np.zeros_like(truth[3])
    core[40:65, 45:65] = True
    assert np.median(motion[core]) > 3 and np.median(motion[~truth[0] & ~truth[6] & ~truth[3]]) < 0.5


def test_box_selects_the_object(medium_clip):
    truth = medium_clip.masks[10]
    ys, xs = np.nonzero(truth)
    box = (xs.min() - 4, ys.min() - 4, xs.max() - xs.min() + 9, ys.max() - ys.min() + 9)
    found = segment_object(medium_clip.frames[10], box=box)
    assert isinstance(found, Segmentation) and found.mask.dtype == bool
    assert iou(found.mask, truth) > 0.9


def test_result_reports_confidence(medium_clip):
    truth = medium_clip.masks[10]
    ys, xs = np.nonzero(truth)
    found = segment_object(medium_clip.frames[10], [(xs.mean(), ys.mean())], neighbours=neighbouring_frames(medium_clip.frames, 10))
    assert found.cue == "motion" and 0 < found.confidence <= 1
    assert found.needs_more_clicks == (found.confidence < 0.6)


def test_a_segment_no_larger_than_the_click_asks_for_more():
    frame = np.full((60, 80, 3), 100, np.uint8)
    frame[28:33, 38:43] = (250, 250, 250)  # a 5x5 speck under the click, nothing else to grow over
    found = segment_object(frame, [(40, 30)], radius=4)
    assert found.needs_more_clicks and found.confidence == 0


def test_segmentation_is_deterministic(medium_clip):
    truth = medium_clip.masks[10]
    ys, xs = np.nonzero(truth)
    runs = [segment_object(medium_clip.frames[10], [(xs.mean(), ys.mean())]).mask for _ in range(2)]
    assert np.array_equal(*runs)


@pytest.mark.parametrize("box", [(10, 10, 1, 20), (500, 500, 20, 20)])
def test_bad_box_is_an_error(small_clip, box):
    with pytest.raises(InvalidOptionError, match="box"):
        segment_object(small_clip.frames[0], box=box)


def test_parse_click_box():
    assert parse_click_box("12:180,60,100,130") == (12, 180, 60, 100, 130)
    assert parse_click_box("1,2,3,4", frame=5) == (5, 1, 2, 3, 4)
    with pytest.raises(InvalidOptionError, match="x,y,w,h"):
        parse_click_box("1,2,3")


def test_box_then_track_follows_the_square(medium_clip):
    ys, xs = np.nonzero(medium_clip.masks[0])
    box = (0, xs.min() - 3, ys.min() - 3, xs.max() - xs.min() + 7, ys.max() - ys.min() + 7)
    tracked = click_track(medium_clip.frames, [], box=box)
    assert np.mean([iou(a, b) for a, b in zip(tracked, medium_clip.masks)]) > 0.85


def test_motion_halo_towards_one_neighbour_is_cancelled_by_the_other():
    clip, truth = two_coloured_walker()
    ahead = np.zeros_like(truth[3])
    ahead[35:70, 80:86] = True  # background the walker covers by frame 6: the flow to frame 6 drags it along
    one_side = independent_motion(clip[3], clip[[6]])
    both_sides = independent_motion(clip[3], clip[[0, 6]])
    assert np.median(one_side[ahead]) > 1.5 * np.median(both_sides[ahead])
    assert np.median(both_sides[ahead]) < 1


def test_box_with_one_neighbour_keeps_out_the_motion_halo():
    clip, truth = two_coloured_walker()
    found = segment_object(clip[3], box=(40, 22, 60, 62), neighbours=clip[[6]])  # 10 px slack ahead of the walker
    assert found.cue == "box+motion"
    assert iou(found.mask, truth[3]) > 0.9


def test_a_second_click_adds_a_part_that_does_not_move():
    clip, truth = two_coloured_walker()
    clip[:, 84:94, 30:110] = (30, 200, 30)  # a still green bar below the walker's path
    one = segment_object(clip[3], [(55, 40)], neighbours=clip[[0, 6]])
    two = segment_object(clip[3], [(55, 40), (70, 89)], neighbours=clip[[0, 6]])
    bar = np.zeros_like(truth[3])
    bar[84:94, 30:110] = True
    assert one.mask[bar].sum() == 0
    assert two.mask[bar].sum() > 100  # far more than the 2 px disc of a sure click: the bar around it
    assert iou(two.mask & ~bar, truth[3]) > 0.85


def test_a_large_object_is_not_cut_at_the_clicks_reach():
    rng = np.random.default_rng(2)
    frame = rng.integers(0, 40, (120, 160, 3)).astype(np.uint8) + np.uint8(20)   # dark noisy background
    frame[10:110, 15:145] = rng.integers(0, 40, (100, 130, 3)).astype(np.uint8) + np.uint8(150)  # a big bright object
    truth = np.zeros((120, 160), bool)
    truth[10:110, 15:145] = True
    found = segment_object(frame, [(80, 60)])  # default reach: 12 % of 120 px, far inside the object
    assert iou(found.mask, truth) > 0.9


def test_a_clean_object_gives_a_confident_result(medium_clip):
    truth = medium_clip.masks[10]
    ys, xs = np.nonzero(truth)
    found = segment_object(medium_clip.frames[10], [(xs.mean(), ys.mean())])
    assert iou(found.mask, truth) > 0.9
    assert found.confidence > 0.9 and not found.needs_more_clicks


def _two_coloured_segment():
    """A frame with a red block and a green block touching it on noise, and a segment holding both."""
    frame = np.random.default_rng(1).integers(100, 140, (80, 120, 3)).astype(np.uint8)
    frame[20:60, 20:60] = (200, 40, 40)
    frame[20:60, 60:100] = (40, 180, 40)
    segment = np.zeros((80, 120), bool)
    segment[20:60, 20:100] = True
    return frame, segment


def test_a_negative_click_removes_the_region_it_marks():
    from vinpaint.masks.segment import _cut_at_negatives

    frame, segment = _two_coloured_segment()
    cut = _cut_at_negatives(frame, segment, [Point(40, 40, True), Point(80, 40, False)], seed=3)
    assert cut[20:60, 20:60].mean() > 0.95 and cut[20:60, 60:100].mean() < 0.05


def test_a_negative_click_in_the_hole_grabcut_cut_around_it_still_removes_its_region():
    from vinpaint.masks.segment import _cut_at_negatives

    frame, segment = _two_coloured_segment()
    segment[37:44, 77:84] = False  # GrabCut's sure-background disc (radius 3) at the negative click
    cut = _cut_at_negatives(frame, segment, [Point(40, 40, True), Point(80, 40, False)], seed=3)
    assert cut[20:60, 60:100].mean() < 0.05 and cut[20:60, 20:60].mean() > 0.95
