"""Cast shadows: a darker region touching the object, with the ground's chromaticity, joins the mask."""

from __future__ import annotations

import numpy as np
import pytest

from vinpaint.errors import InvalidOptionError
from vinpaint.masks.shadows import add_shadows, shadow_mask


def ground_with_object(shadow: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A textured ground (100x100), a dark blue object and, if asked, its shadow: the ground at 55 %."""
    rng = np.random.default_rng(1)
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


def test_add_shadows_keeps_the_mask_and_adds_the_shadow():
    frame, mask, cast = ground_with_object(shadow=True)
    grown = add_shadows(frame[None], mask[None])[0]
    assert grown[mask].all() and grown[cast].mean() > 0.9


@pytest.mark.parametrize("setting", [{"reach": 0}, {"min_ratio": 0.9}, {"max_spread": -1}])
def test_bad_settings_are_option_errors(setting):
    frame, mask, _ = ground_with_object(shadow=True)
    with pytest.raises(InvalidOptionError):
        shadow_mask(frame, mask, **setting)


def test_remove_with_shadows_fills_the_shadow_too():
    import vinpaint

    frame, mask, cast = ground_with_object(shadow=True)
    frames, masks = np.stack([frame] * 3), np.stack([mask] * 3)
    out = vinpaint.remove(frames, masks, dilate=0, shadows=True, engine="perframe")
    assert (out[:, cast].astype(int).mean() > frames[:, cast].astype(int).mean() + 30)  # lit again
