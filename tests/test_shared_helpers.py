"""The functions every layer shares (rounding, disc morphology, small parts, mask folders, pair flow),
pinned to hand-computed values so that a change to them shows wherever they are called."""

import numpy as np
import pytest

from vinpaint.arrays import bounding_box, dilate_mask, disc, erode_mask, mix, to_uint8
from vinpaint.errors import InvalidOptionError, OutputError
from vinpaint.flow import estimate_flow, estimate_pair_flow
from vinpaint.io.masks import write_mask_folder
from vinpaint.io import read_label_image
from vinpaint.masks.postprocess import remove_small_components
from vinpaint.testing.synthetic import make_texture


def test_to_uint8_rounds_half_to_even_and_clips():
    np.testing.assert_array_equal(to_uint8(np.array([-3.0, 0.5, 1.5, 2.49, 254.6, 300.0])), [0, 0, 2, 2, 255, 255])


def test_mix_weights_the_second_image_and_rounds():
    first = np.full((2, 3), 10, np.uint8)
    second = np.full((2, 3), 20, np.uint8)
    np.testing.assert_array_equal(mix(first, second, 0.25), np.full((2, 3), 12, np.uint8))  # 12.5 -> 12
    np.testing.assert_array_equal(mix(first, second, np.array([[0.0], [1.0]])), [[10] * 3, [20] * 3])


def test_disc_is_a_round_structuring_element():
    np.testing.assert_array_equal(disc(1), [[0, 1, 0], [1, 1, 1], [0, 1, 0]])
    assert disc(3).shape == (7, 7) and disc(3)[0, 0] == 0 and disc(3)[3].all()


def test_dilate_then_erode_a_square_by_a_disc():
    mask = np.zeros((12, 12), bool)
    mask[4:8, 4:8] = True
    grown = dilate_mask(mask, 1)
    assert grown.sum() == 16 + 4 * 4  # one pixel on each side, corners not filled by the cross
    np.testing.assert_array_equal(erode_mask(grown, 1), mask)
    with pytest.raises(InvalidOptionError):
        dilate_mask(mask, -1)


def test_erode_mask_beyond_edge_decides_whether_the_frame_edge_erodes():
    mask = np.zeros((6, 6), bool)
    mask[:, :3] = True  # a hole cut by the left edge
    assert erode_mask(mask, 1)[:, 0].all()  # the edge is not the hole's contour
    assert not erode_mask(mask, 1, beyond_edge=False)[:, 0].any()


def test_remove_small_components_keeps_parts_of_min_area():
    mask = np.zeros((8, 8), bool)
    mask[0, 0] = True  # 1 pixel
    mask[4:6, 4:6] = True  # 4 pixels
    expected = mask.copy()
    expected[0, 0] = False
    np.testing.assert_array_equal(remove_small_components(mask, 4), expected)
    assert remove_small_components(mask, 1) is mask


def test_write_mask_folder_writes_255_for_fill_and_refuses_a_foreign_folder(tmp_path):
    masks = np.zeros((2, 4, 5), bool)
    masks[1, 1:3, 2:4] = True
    folder = write_mask_folder(masks, tmp_path / "masks")
    assert sorted(p.name for p in folder.glob("*.png")) == ["00000.png", "00001.png"]
    np.testing.assert_array_equal(read_label_image(folder / "00001.png") > 0, masks[1])
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("not a mask")
    with pytest.raises(OutputError):
        write_mask_folder(masks, tmp_path / "mine")


def test_pair_flow_is_the_forward_flow_of_estimate_flow():
    texture = make_texture(72, 104, seed=5)
    a, b = texture[4:68, 4:100], texture[6:70, 1:97]  # content moves by (3, -2)
    forward, _ = estimate_flow(np.stack([a, b]), scale=0.5)
    np.testing.assert_array_equal(estimate_pair_flow(a, b, scale=0.5), forward[0])


def test_bounding_box_grows_by_the_margin_within_the_image_and_is_the_whole_image_when_empty():
    mask = np.zeros((20, 30), bool)
    mask[2:5, 10:25] = True
    assert bounding_box(mask, 3) == (slice(0, 8), slice(7, 28))
    assert bounding_box(np.zeros((20, 30), bool)) == (slice(0, 20), slice(0, 30))
