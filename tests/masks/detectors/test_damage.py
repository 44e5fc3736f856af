"""Film damage: outliers against flow-aligned neighbours."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from vinpaint.composite import dilate_mask
from vinpaint.errors import InvalidOptionError
from vinpaint.masks import MASK_SOURCES
from vinpaint.masks.detectors.damage import damage_masks, detect_damage, iter_damage_masks
from vinpaint.testing.synthetic import make_panning_clip


def add_damage(frames: np.ndarray, *, seed: int = 0, dropout: tuple[float, float] | None = (0.65, 0.6)):
    """Dust specks (radius 1-3, black or white) in every frame, a bright vertical scratch in every
    fourth frame and one drop-out block (black) in the middle frame.  Returns ``(damaged, truth)``.
    """
    rng = np.random.default_rng(seed)
    out = frames.copy()
    truth = np.zeros(frames.shape[:3], bool)
    t_count, h, w = frames.shape[:3]
    for t in range(t_count):
        for _ in range(4):
            spot = np.zeros((h, w), np.uint8)
            cv2.circle(spot, (int(rng.integers(5, w - 5)), int(rng.integers(5, h - 5))), int(rng.integers(1, 4)), 1, -1)
            spot = spot > 0
            out[t][spot] = 0 if rng.random() < 0.5 else 255
            truth[t] |= spot
        if t % 4 == 1:
            x = int(rng.integers(10, w - 10))
            out[t, :, x] = 230
            truth[t, :, x] = True
        if dropout and t == t_count // 2:
            y, x = int(h * dropout[0]), int(w * dropout[1])
            out[t, y : y + h // 8, x : x + w // 5] = 0
            truth[t, y : y + h // 8, x : x + w // 5] = True
    return out, truth


@pytest.fixture(scope="module")
def clip():
    return make_panning_clip(frames=12, height=96, width=160, object_size=16)


def test_finds_dust_scratches_and_dropouts(clip):
    damaged, truth = add_damage(clip.frames)
    masks = damage_masks(damaged)
    assert masks.shape == truth.shape and masks.dtype == bool
    assert (masks & truth).sum() / truth.sum() >= 0.9  # recall
    near = dilate_mask(truth, 2)
    assert (masks & ~near).sum() / masks.size < 0.01  # false alarms: under 1 % of the pixels
    middle = len(masks) // 2
    h, w = truth.shape[1:]
    block = np.zeros((h, w), bool)
    block[int(h * 0.65) : int(h * 0.65) + h // 8, int(w * 0.6) : int(w * 0.6) + w // 5] = True
    assert masks[middle][block].mean() >= 0.9  # the drop-out, found despite corrupting the flow


def test_clean_clip_has_almost_no_damage(clip):
    masks = damage_masks(clip.frames)
    assert masks.mean() < 0.005


def test_registered_and_streaming_agree(clip):
    damaged, _ = add_damage(clip.frames[:5], dropout=None)
    streamed = list(iter_damage_masks(iter(damaged)))
    assert len(streamed) == 5
    np.testing.assert_array_equal(np.stack(streamed), MASK_SOURCES.get("damage")(damaged))


def test_too_short_clips_get_empty_masks(clip):
    masks = list(iter_damage_masks(clip.frames[:2]))
    assert len(masks) == 2 and not any(m.any() for m in masks)


def test_bad_options(clip):
    with pytest.raises(InvalidOptionError, match="radius"):
        list(iter_damage_masks(clip.frames, radius=0))
    with pytest.raises(InvalidOptionError, match="at least 2 neighbouring"):
        detect_damage(clip.frames[0], [clip.frames[1]])
    with pytest.raises(InvalidOptionError, match="flow_scale"):
        detect_damage(clip.frames[0], list(clip.frames[1:3]), flow_scale=2)


@pytest.mark.slow
def test_dust_on_a_real_clip(shared_data):
    from vinpaint.io import open_video

    frames = []
    for index, image in enumerate(open_video(shared_data / "bear" / "frames").images()):
        if index >= 20:
            break
        frames.append(cv2.resize(image, (427, 240), interpolation=cv2.INTER_AREA))
    damaged, truth = add_damage(np.stack(frames))
    masks = damage_masks(damaged)
    assert (masks & truth).sum() / truth.sum() >= 0.9
    assert (masks & ~dilate_mask(truth, 2)).sum() / masks.size < 0.005
