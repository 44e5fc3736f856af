"""Keyframed boxes and polygons: rasterisation, interpolation, spans and errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from vinpaint.errors import InvalidOptionError, UnreadableInputError
from vinpaint.masks import MASK_SOURCES
from vinpaint.masks.keyframes import Keyframe, box_masks, load_keyframes, masks_from_boxes, parse_box


def test_box_covers_exactly_its_pixels():
    masks = masks_from_boxes(2, 20, 30, [Keyframe.box(0, 10, 5, 6, 4)])
    expected = np.zeros((20, 30), bool)
    expected[5:9, 10:16] = True
    assert masks.shape == (2, 20, 30) and masks.dtype == bool
    np.testing.assert_array_equal(masks[0], expected)


def test_boxes_are_interpolated_linearly_between_keyframes():
    masks = masks_from_boxes(11, 40, 60, [Keyframe.box(0, 0, 0, 10, 10), Keyframe.box(10, 40, 20, 10, 10)])
    ys, xs = np.nonzero(masks[5])
    assert (xs.min(), ys.min(), xs.max(), ys.max()) == (20, 10, 29, 19)


def test_hold_span_keeps_shapes_outside_the_keyframes():
    keys = [Keyframe.box(3, 0, 0, 4, 4), Keyframe.box(5, 10, 0, 4, 4)]
    held = masks_from_boxes(9, 10, 20, keys, span="hold")
    np.testing.assert_array_equal(held[0], held[3])
    np.testing.assert_array_equal(held[8], held[5])


def test_keyed_span_leaves_frames_outside_the_keyframes_empty():
    keys = [Keyframe.box(3, 0, 0, 4, 4), Keyframe.box(5, 10, 0, 4, 4)]
    keyed = masks_from_boxes(9, 10, 20, keys, span="keyed")
    assert [bool(m.any()) for m in keyed] == [False] * 3 + [True] * 3 + [False] * 3


def test_several_objects_are_unioned():
    keys = [Keyframe.box(0, 0, 0, 4, 4, object_id=1), Keyframe.box(0, 10, 10, 4, 4, object_id=2)]
    assert masks_from_boxes(1, 20, 20, keys).sum() == 32


def test_polygon_is_filled():
    triangle = Keyframe.polygon(0, [[0, 0], [19, 0], [0, 19]])
    mask = masks_from_boxes(1, 20, 20, [triangle])[0]
    assert mask[2, 2] and not mask[18, 18]
    assert 190 <= mask.sum() <= 230  # half of 20x20 plus the diagonal


def test_box_outside_the_frame_is_an_error():
    with pytest.raises(InvalidOptionError, match="outside the 30x20 frame"):
        masks_from_boxes(2, 20, 30, [Keyframe.box(0, 40, 5, 6, 4)])


def test_keyframe_beyond_the_clip_is_an_error():
    with pytest.raises(InvalidOptionError, match="beyond the clip's 5 frames"):
        masks_from_boxes(5, 20, 30, [Keyframe.box(7, 1, 1, 4, 4)])


def test_polygons_with_different_vertex_counts_cannot_be_interpolated():
    keys = [Keyframe.box(0, 1, 1, 4, 4), Keyframe.polygon(4, [[1, 1], [5, 1], [3, 5]])]
    with pytest.raises(InvalidOptionError, match="same number"):
        masks_from_boxes(5, 20, 30, keys)


def test_parse_box_reads_frame_box_and_id():
    key = parse_box("12:10,20,30,40:3")
    assert (key.frame, key.object_id) == (12, 3)
    assert key.points[:, 0].min() == 10 and key.points[:, 1].max() == 59


@pytest.mark.parametrize("text", ["12", "12:1,2,3", "x:1,2,3,4", "1:1,2,3,4:0", "1:1,2,0,4"])
def test_malformed_box_is_an_error(text):
    with pytest.raises(InvalidOptionError):
        parse_box(text)


def test_json_keyframes(tmp_path):
    path = tmp_path / "keys.json"
    path.write_text(json.dumps([{"frame": 0, "box": [1, 1, 4, 4]}, {"frame": 2, "polygon": [[0, 0], [5, 0], [0, 5]], "id": 2}]))
    keys = load_keyframes(path)
    assert [(k.frame, k.object_id, len(k.points)) for k in keys] == [(0, 1, 4), (2, 2, 3)]


def test_json_without_a_shape_is_an_error(tmp_path):
    path = tmp_path / "keys.json"
    path.write_text(json.dumps([{"frame": 0}]))
    with pytest.raises(UnreadableInputError, match="needs \"frame\""):
        load_keyframes(path)


def test_registered_as_a_mask_source():
    assert MASK_SOURCES.get("box") is box_masks
