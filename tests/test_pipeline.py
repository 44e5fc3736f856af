import numpy as np
import pytest

from tests.conftest import psnr
from vinpaint import RemoveOptions, remove
from vinpaint.composite import dilate_mask
from vinpaint.errors import InvalidOptionError, MaskMismatchError, UnknownPluginError


@pytest.mark.parametrize(
    "options",
    [RemoveOptions(), RemoveOptions(feather=3), RemoveOptions(blend="poisson"), RemoveOptions(engine="perframe")],
    ids=["default", "feather", "poisson", "perframe"],
)
def test_pixels_outside_the_dilated_mask_are_bit_identical(small_clip, options):
    out = remove(small_clip.frames, small_clip.masks, options)
    outside = ~dilate_mask(small_clip.masks, options.dilate)
    np.testing.assert_array_equal(out[outside], small_clip.frames[outside])


def test_empty_mask_returns_the_input_exactly(small_clip):
    out = remove(small_clip.frames, np.zeros(small_clip.masks.shape, bool))
    np.testing.assert_array_equal(out, small_clip.frames)


def test_short_windows_keep_quality_and_do_not_jump_at_window_edges(medium_clip):
    whole = remove(medium_clip.frames, medium_clip.masks, window=100)
    windowed = remove(medium_clip.frames, medium_clip.masks, window=6, context=3)
    hole = dilate_mask(medium_clip.masks, 4)
    truth = medium_clip.background
    assert psnr(windowed[hole], truth[hole]) > psnr(whole[hole], truth[hole]) - 2
    assert psnr(windowed[hole], truth[hole]) > 30


def test_frame_range_leaves_other_frames_bit_identical(small_clip):
    out = remove(small_clip.frames, small_clip.masks, frame_range=(4, 7))
    untouched = [t for t in range(len(out)) if not 4 <= t <= 7]
    np.testing.assert_array_equal(out[untouched], small_clip.frames[untouched])
    assert not np.array_equal(out[5], small_clip.frames[5])


def test_a_single_mask_applies_to_every_frame(small_clip):
    mask = np.zeros(small_clip.masks.shape[1:], bool)
    mask[5:15, 5:20] = True
    out = remove(small_clip.frames, mask)
    assert not np.array_equal(out[:, 5:15, 5:20], small_clip.frames[:, 5:15, 5:20])


def test_mask_count_mismatch_names_both_counts(small_clip):
    with pytest.raises(MaskMismatchError, match=r"15 frames.*16 frames"):
        remove(small_clip.frames, small_clip.masks[:15])


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"engine": "nope"}, UnknownPluginError),
        ({"dilate": -1}, InvalidOptionError),
        ({"blend": "laplacian"}, InvalidOptionError),
        ({"window": 0}, InvalidOptionError),
        ({"frame_range": (5, 2)}, InvalidOptionError),
        ({"engine_options": {"bogus": 1}}, InvalidOptionError),
        ({"unknown_option": 1}, InvalidOptionError),
    ],
)
def test_bad_options_raise_package_errors(small_clip, kwargs, error):
    with pytest.raises(error):
        remove(small_clip.frames, small_clip.masks, **kwargs)


def test_presets_build_valid_options_and_overrides_win():
    from vinpaint import PRESETS, options_from_preset

    for name in PRESETS:
        assert isinstance(options_from_preset(name), RemoveOptions)
    fast = options_from_preset("fast", dilate=9, engine_options={"fill": "ns"})
    assert fast.dilate == 9 and fast.engine_options["fill"] == "ns" and fast.engine_options["flow"] == "dis-fast"
    assert options_from_preset("fast", engine="perframe").engine_options == PRESETS["fast"]["perframe"]
    kept = options_from_preset("fast", engine="perframe", engine_options={"temporal_smoothing": 0.5})
    assert kept.engine_options == {**PRESETS["fast"]["perframe"], "temporal_smoothing": 0.5}
    with pytest.raises(InvalidOptionError, match="fast"):
        options_from_preset("turbo")


@pytest.mark.parametrize("given, kept", [((2, 5), (2, 5)), ("2-5", (2, 5)), ([0, 0], (0, 0))])
def test_a_frame_range_is_a_pair_or_its_text(given, kept):
    assert RemoveOptions(frame_range=given).frame_range == kept


@pytest.mark.parametrize("given", ["2", "a-b", (1, 2, 3), 7, (5, 2), (-1, 3)])
def test_a_bad_frame_range_is_the_packages_error(given):
    with pytest.raises(InvalidOptionError, match="FIRST"):
        RemoveOptions(frame_range=given)


def test_an_engine_option_given_as_a_keyword_says_where_it_belongs(small_clip):
    with pytest.raises(InvalidOptionError, match=r"engine_options=\{'fill': \.\.\.\}"):
        remove(small_clip.frames[:4], small_clip.masks[:4], fill="telea")


def test_remove_takes_a_preset_by_name_with_its_overrides(small_clip):
    from vinpaint import options_from_preset

    frames, masks = small_clip.frames[:6], small_clip.masks[:6]
    expected = remove(frames, masks, options_from_preset("fast", dilate=2))
    assert np.array_equal(remove(frames, masks, preset="fast", dilate=2), expected)
    assert not np.array_equal(remove(frames, masks, dilate=2), expected)  # the preset made a difference
    with pytest.raises(InvalidOptionError, match="fast"):
        remove(frames, masks, preset="turbo")


def test_windows_of_large_frames_are_shortened_to_fit_memory_and_small_ones_kept():
    from vinpaint.pipeline import WINDOW_BYTES_PER_PIXEL, WINDOW_MEMORY, fitted_window

    assert fitted_window(40, 8, (480, 854, 3)) == (40, 8)
    window, context = fitted_window(40, 8, (1080, 1920, 3))
    assert window < 40 and 2 <= context < 8
    assert (window + 2 * context) * WINDOW_BYTES_PER_PIXEL * 1080 * 1920 <= WINDOW_MEMORY
