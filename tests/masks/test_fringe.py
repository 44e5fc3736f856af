"""Fringe growth: the mask takes in the pixels past its edge that hold the object's colour."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from vinpaint.errors import InvalidOptionError, MaskMismatchError
from vinpaint.masks.fringe import fringe_alpha, grow_fringe, grow_fringes


def soft_disc(sigma: float = 1.5) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A dark disc (radius 12) over a light textured background with a Gaussian fringe past its mask."""
    rng = np.random.default_rng(0)
    background = np.clip(rng.normal(200, 4, (64, 64, 3)), 0, 255)
    mask = np.zeros((64, 64), np.uint8)
    cv2.circle(mask, (32, 32), 12, 1, -1)
    mask = mask.astype(bool)
    alpha = np.maximum(cv2.GaussianBlur(mask.astype(np.float32), (0, 0), sigma), mask)[..., None]
    frame = (alpha * 30 + (1 - alpha) * background).round().astype(np.uint8)
    return frame, mask, alpha[..., 0]


def test_the_grown_mask_covers_the_fringe_and_stops_at_the_background():
    frame, mask, alpha = soft_disc()
    grown = grow_fringe(frame, mask, reach=6)
    assert (grown >= mask).all()
    assert grown[alpha >= 0.4].all()  # every strongly mixed pixel is taken in
    assert not grown[alpha < 0.05].any()  # clean background stays known


def test_estimated_alpha_follows_the_true_one_in_the_ring():
    frame, mask, alpha = soft_disc()
    estimate = fringe_alpha(frame, mask, reach=6)
    ring = (cv2.distanceTransform((~mask).astype(np.uint8), cv2.DIST_L2, 3) > 0) & (alpha > 0.1)
    assert np.abs(estimate[ring] - alpha[ring]).mean() < 0.1
    assert (estimate[mask] == 0).all()


def test_no_growth_where_object_and_background_look_alike():
    frame, mask, _ = soft_disc()
    flat = np.full_like(frame, 200)
    np.testing.assert_array_equal(grow_fringe(flat, mask), mask)


def test_the_clip_version_grows_every_frame_and_checks_its_input():
    frame, mask, _ = soft_disc()
    grown = grow_fringes(np.stack([frame, frame]), np.stack([mask, np.zeros_like(mask)]))
    assert grown[0].sum() > mask.sum() and not grown[1].any()
    with pytest.raises(MaskMismatchError):
        grow_fringes(np.stack([frame, frame]), mask[None])


@pytest.mark.parametrize("setting", [{"reach": 0}, {"min_alpha": 0}, {"min_contrast": -1}])
def test_bad_settings_are_option_errors(setting):
    frame, mask, _ = soft_disc()
    with pytest.raises(InvalidOptionError):
        grow_fringe(frame, mask, **setting)


def test_the_preview_tints_the_grown_pixels_in_their_own_colour():
    from vinpaint.masks.preview import overlay_masks

    frame, mask, alpha = soft_disc()
    shown = overlay_masks(frame[None], mask[None], fringe=6, fringe_colour=(0, 255, 0))[0]
    plain = overlay_masks(frame[None], mask[None])[0]
    added = grow_fringe(frame, mask, reach=6) & ~mask
    assert added.any()
    assert (shown[added, 1] > plain[added, 1] + 50).all()  # tinted green
    np.testing.assert_array_equal(shown[~added], plain[~added])


def test_remove_with_fringe_fills_the_grown_mask_and_nothing_else():
    import vinpaint

    frame, mask, _ = soft_disc()
    frames, masks = np.stack([frame] * 3), np.stack([mask] * 3)
    grown = grow_fringe(frame, mask, reach=6)
    plain = vinpaint.remove(frames, masks, dilate=0, engine="perframe")
    fringed = vinpaint.remove(frames, masks, dilate=0, fringe=6, engine="perframe")
    changed = (fringed != frames).any(-1)
    assert not changed[:, ~grown].any()
    assert changed[:, grown & ~mask].mean() > 0.5  # the fringe is filled, not kept
    assert not (plain != frames).any(-1)[:, ~mask].any()
