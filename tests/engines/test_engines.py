"""Every registered engine: smoke, shapes and dtypes, empty mask, bad input (kornia's template)."""

import numpy as np
import pytest

from vinpaint.engines import ENGINES
from vinpaint.errors import InvalidOptionError, UnknownPluginError


@pytest.mark.parametrize("name", ENGINES.names())
def test_engine_returns_frames_of_the_input_shape_and_dtype(name, small_clip):
    out = ENGINES.get(name)(small_clip.frames, small_clip.masks)
    assert out.shape == small_clip.frames.shape and out.dtype == np.uint8


@pytest.mark.parametrize("name", ENGINES.names())
def test_engine_with_empty_holes_returns_the_input(name, small_clip):
    holes = np.zeros(small_clip.masks.shape, bool)
    out = ENGINES.get(name)(small_clip.frames, holes)
    np.testing.assert_array_equal(out, small_clip.frames)


@pytest.mark.parametrize("name", ENGINES.names())
def test_engine_fills_the_object_away(name, small_clip):
    out = ENGINES.get(name)(small_clip.frames, small_clip.masks)
    hole = small_clip.masks
    # the object is saturated red/blue; the fill must not keep it
    before = np.abs(small_clip.frames[hole].astype(int) - small_clip.background[hole]).mean()
    after = np.abs(out[hole].astype(int) - small_clip.background[hole]).mean()
    assert after < 0.5 * before


@pytest.mark.parametrize("name", ENGINES.names())
def test_engine_rejects_an_unknown_filler(name, small_clip):
    with pytest.raises(UnknownPluginError, match="telea"):
        ENGINES.get(name)(small_clip.frames, small_clip.masks, fill="nope")


def test_perframe_rejects_smoothing_out_of_range(small_clip):
    with pytest.raises(InvalidOptionError):
        ENGINES.get("perframe")(small_clip.frames, small_clip.masks, temporal_smoothing=1.5)
