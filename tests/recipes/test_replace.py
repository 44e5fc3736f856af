"""``replace``: a picture tracked onto a moving poster, its light followed, a hand kept in front, the rest untouched."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from vinpaint.arrays import dilate_mask
from vinpaint.cli import main
from vinpaint.errors import InvalidArrayError, InvalidOptionError
from vinpaint.io import open_video, write_png
from vinpaint.masks.track.morphology import dilate, erode
from vinpaint.masks.track.plane import quad_mask
from vinpaint.recipes import replace, replace_file, replace_with_details
from vinpaint.recipes.replace import noise_level
from vinpaint.testing.poster import make_poster_clip

PICTURE_SIZE = (80, 100)


def make_picture() -> np.ndarray:
    """A flat two-colour picture, ``(80,100,3)`` uint8: its expected look anywhere is easy to compute."""
    picture = np.zeros((*PICTURE_SIZE, 3), np.uint8)
    picture[:] = (150, 120, 90)
    picture[20:60, 20:80] = (60, 160, 200)
    return picture


def true_picture(clip, t: int, picture: np.ndarray) -> np.ndarray:
    """The picture warped onto the poster's true corners in frame ``t`` and lit like it, ``(H,W,3)`` float32."""
    ph, pw = picture.shape[:2]
    source = np.array([[-0.5, -0.5], [pw - 0.5, -0.5], [pw - 0.5, ph - 0.5], [-0.5, ph - 0.5]], np.float32)
    homography = cv2.getPerspectiveTransform(source, clip.corners[t].astype(np.float32))
    h, w = clip.frames.shape[1:3]
    warped = cv2.warpPerspective(picture.astype(np.float32), homography, (w, h), flags=cv2.INTER_LINEAR)
    return warped * clip.brightness[t] / clip.brightness[0]


def brightness_errors(clip, frames: np.ndarray, picture: np.ndarray) -> np.ndarray:
    """Per frame: mean over channels of |mean inserted level - mean true level| on the unoccluded inside (levels)."""
    errors = []
    for t in range(len(frames)):
        inside = erode(quad_mask(clip.corners[t], frames.shape[1:3]), 4) & ~dilate(clip.hand[t], 4)
        truth = true_picture(clip, t, picture)
        errors.append(np.abs(frames[t][inside].mean(axis=0) - truth[inside].mean(axis=0)).mean())
    return np.array(errors)


def hand_kept(clip, frames: np.ndarray) -> float:
    """Fraction of the hand's pixels over the poster (2 px inside its edge) left as the input's (within 3 levels)."""
    kept = total = 0
    for t in range(len(frames)):
        hand = erode(clip.hand[t], 2) & quad_mask(clip.corners[t], frames.shape[1:3])
        difference = np.abs(frames[t].astype(int) - clip.frames[t].astype(int)).max(axis=2)
        kept += int((difference[hand] <= 3).sum())
        total += int(hand.sum())
    assert total > 1000  # the hand really crossed the poster
    return kept / total


@pytest.fixture(scope="module")
def poster_clip():
    """60 frames: a poster in perspective motion over a texture, brightness 0.75-1.25, a hand crossing it."""
    return make_poster_clip(frames=60, brightness_swing=0.25)


@pytest.fixture(scope="module")
def replaced(poster_clip):
    return replace_with_details(poster_clip.frames, poster_clip.corners[0], make_picture())


def test_outside_the_region_every_pixel_is_the_input(poster_clip, replaced):
    outside = ~replaced.changed
    np.testing.assert_array_equal(replaced.frames[outside], poster_clip.frames[outside])
    for t in range(len(poster_clip.frames)):  # and the region is the poster's quad, not more
        assert not (replaced.changed[t] & ~dilate(quad_mask(poster_clip.corners[t], replaced.changed.shape[1:]), 2)).any()


def test_the_picture_corners_follow_the_poster(poster_clip, replaced):
    errors = np.linalg.norm(replaced.track.corners - poster_clip.corners, axis=2).mean(axis=1)
    assert errors.mean() <= 1.0 and errors.max() <= 3.0, errors


def test_the_hand_stays_in_front(poster_clip, replaced):
    assert hand_kept(poster_clip, replaced.frames) >= 0.9


def test_the_picture_is_what_shows_on_the_poster(poster_clip, replaced):
    picture = make_picture()
    for t in (5, 30, 55):
        inside = erode(quad_mask(poster_clip.corners[t], replaced.frames.shape[1:3]), 4) & ~dilate(poster_clip.hand[t], 4)
        error = np.abs(replaced.frames[t][inside] - true_picture(poster_clip, t, picture)[inside]).mean()
        assert error < 4.0, (t, error)


def test_the_picture_brightness_follows_the_poster(poster_clip, replaced):
    errors = brightness_errors(poster_clip, replaced.frames, make_picture())
    assert errors.mean() < 5.0, errors
    np.testing.assert_allclose(replaced.gains[:, 0], poster_clip.brightness / poster_clip.brightness[0], atol=0.03)


def test_without_light_matching_the_brightness_does_not_follow(poster_clip, replaced):
    unlit = replace(poster_clip.frames[:20], poster_clip.corners[0], make_picture(), light=False,
                    track=_first(replaced.track, 20))
    assert brightness_errors(poster_clip, unlit, make_picture())[10:20].mean() > 10.0


def test_a_transparent_picture_changes_nothing(poster_clip, replaced):
    clear = np.zeros((2, 8, 8, 4), np.uint8)  # a clip of two transparent frames
    out = replace(poster_clip.frames[:4], poster_clip.corners[0], clear, track=_first(replaced.track, 4))
    np.testing.assert_array_equal(out, poster_clip.frames[:4])


def test_remove_first_swaps_the_object_for_the_picture():
    clip = make_poster_clip(frames=12, hand=False, seed=4)  # the poster is the object to swap
    objects = np.stack([dilate(quad_mask(corners, clip.frames.shape[1:3]), 1) for corners in clip.corners])
    logo = np.zeros((30, 60, 4), np.uint8)
    logo[..., :3], logo[..., 3] = (250, 250, 0), 255
    result = replace_with_details(clip.frames, objects[0], logo, remove_first=True, object_masks=objects)
    for t in range(len(clip.frames)):
        allowed = dilate_mask(objects[t], 4) | result.changed[t]
        np.testing.assert_array_equal(result.frames[t][~allowed], clip.frames[t][~allowed])
        new = (result.frames[t] != clip.frames[t]).any(axis=2)
        yellow = (result.frames[t][..., 0] > 200) & (result.frames[t][..., 2] < 60) & new
        box = dilate(quad_mask(result.track.corners[t], yellow.shape), 1)  # the object's tracked box
        assert yellow.sum() >= 0.5 * box.sum()
        assert (yellow & ~box).sum() <= 0.002 * yellow.sum()  # (the engine's fill may make a yellowish pixel)
        centre, middle = np.argwhere(yellow).mean(axis=0), np.argwhere(objects[t]).mean(axis=0)
        assert np.abs(centre - middle).max() < 4.0  # centred in the quad's perspective, not on its area centroid
        bars = (result.frames[t].astype(int) - (25, 25, 60)).__abs__().max(axis=2) < 12  # the poster's dark lines
        assert (bars & objects[t]).sum() < 0.1 * (np.abs(clip.frames[t].astype(int) - (25, 25, 60)).max(axis=2) < 12).sum()


def test_noise_level_measures_gaussian_noise():
    rng = np.random.default_rng(0)
    image = np.clip(128 + rng.normal(0, 5, (120, 160, 3)), 0, 255)
    assert abs(noise_level(image, np.ones((120, 160), bool)) - 5.0) < 0.75


@pytest.mark.parametrize(("options", "error"), [({"fit": "cover"}, InvalidOptionError),
                                                ({"occluder_threshold": 300}, InvalidOptionError)])
def test_bad_options_raise(poster_clip, options, error):
    with pytest.raises(error):
        replace(poster_clip.frames[:3], poster_clip.corners[0], make_picture(), **options)


@pytest.mark.parametrize("picture", [np.zeros((8, 8, 3), np.float32), np.zeros((8, 8, 2), np.uint8), np.zeros(8, np.uint8)])
def test_bad_replacements_raise(poster_clip, picture):
    with pytest.raises(InvalidArrayError):
        replace(poster_clip.frames[:3], poster_clip.corners[0], picture)


def test_the_file_recipe_and_the_cli_give_the_arrays_result(tmp_path: Path):
    clip = make_poster_clip(frames=10, brightness_swing=0.2, hand=False, seed=2)
    folder = tmp_path / "in"
    folder.mkdir()
    for index, frame in enumerate(clip.frames):
        write_png(folder / f"{index:05d}.png", frame)
    picture = np.dstack([make_picture(), np.full(PICTURE_SIZE, 255, np.uint8)])
    Image.fromarray(picture).save(tmp_path / "picture.png")
    corners = "3:" + ",".join(f"{value:.3f}" for value in clip.corners[3].ravel())
    expected = replace(clip.frames, np.round(clip.corners[3], 3), picture, keyframe=3)
    replace_file(folder, tmp_path / "out", region=corners, replacement=tmp_path / "picture.png")
    np.testing.assert_array_equal(open_video(tmp_path / "out").read_all(), expected)
    run = CliRunner().invoke(main, ["replace", str(folder), "--region", corners, "--with", str(tmp_path / "picture.png"),
                                    "-o", str(tmp_path / "cli"), "-q"])
    assert run.exit_code == 0, run.output
    np.testing.assert_array_equal(open_video(tmp_path / "cli").read_all(), expected)


def test_the_cli_reports_bad_corners_in_one_line(tmp_path: Path):
    clip = make_poster_clip(frames=3, hand=False)
    for index, frame in enumerate(clip.frames):
        write_png(tmp_path / f"{index:05d}.png", frame)
    Image.fromarray(make_picture()).save(tmp_path / "picture.png")
    run = CliRunner().invoke(main, ["replace", str(tmp_path), "--region", "0:1,2,3", "--with",
                                    str(tmp_path / "picture.png"), "-o", str(tmp_path / "out.mkv"), "-q"])
    assert run.exit_code == 2 and "FRAME:x1,y1" in run.output


@pytest.mark.slow
def test_over_a_real_clip_the_picture_follows_the_poster_and_its_light(shared_data):
    from vinpaint.io import read_frames

    clip = make_poster_clip(read_frames(shared_data / "bmx-trees" / "frames", 0, 59), frames=60, brightness_swing=0.25)
    result = replace_with_details(clip.frames, clip.corners[0], make_picture())
    errors = np.linalg.norm(result.track.corners - clip.corners, axis=2).mean(axis=1)
    assert errors.mean() <= 1.0 and errors.max() <= 3.0, errors
    assert brightness_errors(clip, result.frames, make_picture()).mean() < 5.0
    assert hand_kept(clip, result.frames) >= 0.9
    np.testing.assert_array_equal(result.frames[~result.changed], clip.frames[~result.changed])


def _first(track, count: int):
    """The first ``count`` frames of a track."""
    from dataclasses import replace as copy_with

    return copy_with(track, homographies=track.homographies[:count], corners=track.corners[:count],
                     scores=track.scores[:count])
