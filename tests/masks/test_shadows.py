"""Cast shadows: a darker region touching the object, with the ground's chromaticity, joins the mask."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from vinpaint.arrays import dilate_mask
from vinpaint.errors import InvalidOptionError
from vinpaint.masks.shadows import lift_shadow, shadow_band, shadow_mask
from vinpaint.pipeline import shadow_masks
from vinpaint.testing.synthetic import make_shadow_clip


def ground_with_object(shadow: bool, seed: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A textured ground (100x100, its noise drawn with ``seed``), a dark blue object and, if asked, its
    shadow: the ground at 55 %."""
    rng = np.random.default_rng(seed)
    frame = np.clip(rng.normal((180, 150, 110), 6, (100, 100, 3)), 0, 255)
    mask = np.zeros((100, 100), bool)
    mask[30:60, 40:55] = True
    cast = np.zeros_like(mask)
    cast[60:75, 40:62] = True  # below and right of the object, touching it
    if shadow:
        frame[cast] *= 0.55
    frame[mask] = (20, 30, 120)
    return frame.round().astype(np.uint8), mask, cast


def test_the_shadow_touching_the_object_is_found():
    frame, mask, cast = ground_with_object(shadow=True)
    found = shadow_mask(frame, mask)
    assert found[cast].mean() > 0.9
    assert not found[mask].any()
    assert found[~cast].mean() < 0.01


def test_no_shadow_is_found_on_lit_ground():
    frame, mask, _ = ground_with_object(shadow=False)
    assert shadow_mask(frame, mask).sum() == 0


def test_a_dark_region_of_another_colour_is_not_a_shadow():
    frame, mask, cast = ground_with_object(shadow=False)
    frame[cast] = (60, 90, 40)  # darker, but green: a change of material, not of light
    assert shadow_mask(frame, mask)[cast].mean() < 0.05


def test_shadow_masks_without_other_frames_keep_the_mask_and_add_the_shadow():
    frame, mask, cast = ground_with_object(shadow=True)
    grown = shadow_masks(frame[None], mask[None], engine="perframe", dilate=0)[0]
    assert grown[mask].all() and grown[cast].mean() > 0.9


@pytest.mark.parametrize("setting", [{"reach": 0}, {"min_ratio": 0.9}, {"max_spread": -1}])
def test_bad_settings_are_option_errors(setting):
    frame, mask, _ = ground_with_object(shadow=True)
    with pytest.raises(InvalidOptionError):
        shadow_mask(frame, mask, **setting)


def test_the_band_holds_the_pixels_within_reach_of_the_mask():
    mask = np.zeros((100, 100), bool)
    mask[50, 50] = True
    band = shadow_band(mask, reach=0.1)  # 10 px
    assert band[50, 60] and band[57, 57] and not band[50, 61] and not band[58, 58]
    assert np.array_equal(shadow_band(np.stack([mask, mask]), reach=0.1), np.stack([band, band]))


def test_against_a_plate_the_shadow_is_lit_again_and_nothing_else_changes():
    lit, mask, cast = ground_with_object(shadow=False)
    frame, _, _ = ground_with_object(shadow=True)
    lifted, shadow = lift_shadow(frame, lit, mask, reach=0.2)
    assert shadow[cast].mean() > 0.9
    assert not (shadow & ~dilate_mask(cast, 3)).any()  # the local averages blur its edge by a pixel or two
    error = lambda image: np.abs(image[cast].astype(int) - lit[cast].astype(int)).mean()
    assert error(lifted) < 0.3 * error(frame)
    assert np.array_equal(lifted[~shadow], frame[~shadow])


def test_dark_ground_the_plate_shows_dark_too_is_no_shadow():
    # dark soil: as dark in every frame, so in the plate too, whose texture (filled from other frames)
    # is not the frame's pixel for pixel
    frame, mask, cast = ground_with_object(shadow=False)
    plate, _, _ = ground_with_object(shadow=False, seed=7)
    frame[cast] = (frame[cast] * 0.55).astype(np.uint8)
    plate[cast] = (plate[cast] * 0.55).astype(np.uint8)
    lifted, shadow = lift_shadow(frame, plate, mask, reach=0.2)
    assert not shadow.any() and np.array_equal(lifted, frame)


def test_the_same_soil_lit_in_the_plate_is_a_shadow():  # the test above, with a plate that tells them apart
    frame, mask, cast = ground_with_object(shadow=False)
    plate, _, _ = ground_with_object(shadow=False, seed=7)
    frame[cast] = (frame[cast] * 0.55).astype(np.uint8)
    assert lift_shadow(frame, plate, mask, reach=0.2)[1][cast].mean() > 0.9


def test_remove_with_shadows_lifts_the_shadow_of_a_moving_object():
    import vinpaint

    frames, masks, truth = make_shadow_clip()
    outside = dilate_mask(masks, 4)
    shade = (frames.astype(int) < truth.astype(int) - 20).all(-1) & ~outside
    plain = vinpaint.remove(frames, masks)
    lifted = vinpaint.remove(frames, masks, shadows=True)
    error = lambda out: np.abs(out[shade].astype(int) - truth[shade].astype(int)).mean()
    assert error(lifted) < 0.35 * error(plain)  # measured 13.5 against 59 levels


def test_remove_with_shadows_changes_nothing_beyond_the_band():
    import vinpaint

    frames, masks, _ = make_shadow_clip()
    lifted = vinpaint.remove(frames, masks, shadows=True)
    beyond = ~shadow_band(dilate_mask(masks, 4))
    assert np.array_equal(lifted[beyond], frames[beyond])


def test_an_engine_without_other_frames_grows_the_hole_over_the_shadow():
    import vinpaint

    frame, mask, cast = ground_with_object(shadow=True)
    frames, masks = np.stack([frame] * 3), np.stack([mask] * 3)
    out = vinpaint.remove(frames, masks, dilate=0, shadows=True, engine="perframe")
    assert out[:, cast].astype(int).mean() > frames[:, cast].astype(int).mean() + 30  # lit again


def test_a_causal_engine_grows_the_hole_over_the_shadow_instead():
    import vinpaint

    frame, mask, cast = ground_with_object(shadow=True)
    frames, masks = np.stack([frame] * 3), np.stack([mask] * 3)
    out = vinpaint.remove(frames, masks, dilate=0, shadows=True, engine="live")
    assert out[:, cast].astype(int).mean() > frames[:, cast].astype(int).mean() + 30  # lit again


def test_shadows_with_whole_clip_references_lift_the_shadow_too():
    import vinpaint

    frames, masks, truth = make_shadow_clip()
    shade = (frames.astype(int) < truth.astype(int) - 20).all(-1) & ~dilate_mask(masks, 4)
    lifted = vinpaint.remove(frames, masks, shadows=True, background_frames=4)
    assert np.abs(lifted[shade].astype(int) - truth[shade].astype(int)).mean() < 20  # 59 levels without --shadows


def test_shadow_masks_find_the_shadow_of_a_moving_object_against_the_plate():
    frames, masks, truth = make_shadow_clip()
    shade = (frames.astype(int) < truth.astype(int) - 20).all(-1) & ~masks
    grown = shadow_masks(frames, masks)
    assert grown[shade].mean() > 0.8
    lit = ~dilate_mask(shade | masks, 4)  # the ground the shadow does not touch (its soft edge left out)
    assert grown[lit].mean() < 0.01


def test_a_stream_of_shadow_masks_is_taken_a_window_at_a_time():
    from vinpaint.pipeline import stream_shadow_masks

    frames, masks, truth = make_shadow_clip()
    shade = (frames.astype(int) < truth.astype(int) - 20).all(-1) & ~masks
    grown = np.stack(list(stream_shadow_masks(iter(frames), iter(masks), window=5)))  # windows of 5, 5 and 2
    assert grown.shape == masks.shape and grown[shade].mean() > 0.8
    whole = np.stack(list(stream_shadow_masks(iter(frames), iter(masks), window=len(frames))))
    assert np.array_equal(whole, shadow_masks(frames, masks))
