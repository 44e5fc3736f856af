"""Mask preview: tint inside, outline on the edge, untouched elsewhere."""

from __future__ import annotations

import numpy as np
import pytest

from vinpaint.errors import InvalidOptionError, MaskMismatchError
from vinpaint.masks.preview import overlay_masks


@pytest.fixture
def clip():
    frames = np.full((3, 20, 30, 3), 100, np.uint8)
    masks = np.zeros((3, 20, 30), bool)
    masks[:, 5:15, 10:20] = True
    return frames, masks


def test_pixels_outside_the_mask_are_unchanged(clip):
    frames, masks = clip
    out = overlay_masks(frames, masks)
    assert out.shape == frames.shape and out.dtype == np.uint8
    np.testing.assert_array_equal(out[~masks], frames[~masks])


def test_inside_is_tinted_towards_the_colour(clip):
    frames, masks = clip
    out = overlay_masks(frames, masks, colour=(255, 0, 0), opacity=0.5, outline=0)
    np.testing.assert_array_equal(out[0, 10, 15], [178, 50, 50])  # round(100 * 0.5 + 255 * 0.5) = 178


def test_outline_is_drawn_in_the_colour_on_the_edge(clip):
    frames, masks = clip
    out = overlay_masks(frames, masks, colour=(0, 255, 0), opacity=0.0, outline=1)
    np.testing.assert_array_equal(out[0, 5, 12], [0, 255, 0])
    np.testing.assert_array_equal(out[0, 10, 15], [100, 100, 100])


def test_mask_of_another_size_is_an_error(clip):
    frames, _ = clip
    with pytest.raises(MaskMismatchError):
        overlay_masks(frames, np.zeros((3, 10, 10), bool))


def test_opacity_out_of_range_is_an_error(clip):
    frames, masks = clip
    with pytest.raises(InvalidOptionError):
        overlay_masks(frames, masks, opacity=2)
