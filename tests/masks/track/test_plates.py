"""Background plates for the tracker: known homographies and a camouflaged object with a known answer."""

from __future__ import annotations

import numpy as np
import pytest

from vinpaint.flow import estimate_flow
from vinpaint.masks.track import track_masks
from vinpaint.masks.track.plates import (
    BackgroundMotion,
    PlateHistory,
    _median_plate,
    background_homography,
)

PALETTE = np.array([[200, 60, 40], [40, 160, 60], [30, 60, 190], [220, 210, 200]], np.uint8)


def blocks(rng: np.random.Generator, height: int, width: int, size: int = 6) -> np.ndarray:
    """An RGB texture of ``size``-pixel blocks drawn from four colours."""
    cells = rng.integers(0, len(PALETTE), (height // size + 1, width // size + 1))
    return PALETTE[np.kron(cells, np.ones((size, size), int))[:height, :width]]


def camouflage_clip(pan: int = 0, frames: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """A square of the background's own colours moving right 3 px a frame; the camera pans ``pan`` px a frame.

    Its colours cannot tell it from the background; only where it moves against it can.
    Returns frames ``(T,72,112,3)`` uint8 and the true masks ``(T,72,112)`` bool.
    """
    rng = np.random.default_rng(3)
    height, width, side = 72, 112, 20
    scene = blocks(rng, height, width + pan * frames)
    texture = blocks(rng, side, side, size=5)
    clip = np.zeros((frames, height, width, 3), np.uint8)
    masks = np.zeros((frames, height, width), bool)
    for t in range(frames):
        clip[t] = scene[:, pan * t:pan * t + width]
        x, y = 20 + 3 * t, 26
        clip[t, y:y + side, x:x + side] = texture
        masks[t, y:y + side, x:x + side] = True
    return clip, masks


def history_at(frames: np.ndarray, masks: np.ndarray, frame: int) -> PlateHistory:
    """A forward track's plate history that has reached ``frame`` with the true masks."""
    history = PlateHistory(frames, BackgroundMotion(*estimate_flow(frames)), +1)
    for t in range(1, frame + 1):
        history.advance(t, t - 1, masks[t - 1])
    return history


def test_homography_of_a_uniform_flow_is_that_shift():
    flow = np.zeros((40, 60, 2), np.float32)
    flow[..., 0], flow[..., 1] = 3.0, -2.0
    np.testing.assert_allclose(background_homography(flow), [[1, 0, 3], [0, 1, -2], [0, 0, 1]], atol=1e-6)


def test_no_evidence_before_enough_frames_are_passed():
    frames, masks = camouflage_clip()
    assert history_at(frames, masks, 3).evidence((slice(0, 72), slice(0, 112))) is None


@pytest.mark.parametrize("pan", [0, 2])
def test_evidence_tells_a_camouflaged_object_from_its_background(pan):
    frames, masks = camouflage_clip(pan=pan)
    evidence = history_at(frames, masks, 12).evidence((slice(0, 72), slice(0, 112)))
    inside = masks[12]
    assert np.mean(evidence[inside] > 0) > 0.7  # most of the object differs from its plate
    # the background matches it, except where the object stood in every frame passed: no plate there
    assert np.mean(evidence[~inside] > 0) < 0.1  # measured 0.07 (static), 0.05 (panning)
    assert np.mean(evidence[~inside] < 0) > 0.75  # measured 0.86


def test_plates_help_track_a_camouflaged_object():
    frames, masks = camouflage_clip(frames=24)
    with_plates = track_masks(frames, {0: masks[0]})
    without = track_masks(frames, {0: masks[0]}, plate=False)

    def mean_iou(tracked):
        return np.mean([(a & b).sum() / (a | b).sum() for a, b in zip(tracked[1:], masks[1:])])

    assert mean_iou(with_plates) > mean_iou(without) + 0.1  # measured 0.72 against 0.57


def test_pixels_of_other_objects_are_left_out_of_the_plates():
    # a static scene: frames 0-5 all alike; another object covers a patch of frame 0-3
    frames = np.repeat(blocks(np.random.default_rng(1), 40, 60)[None], 6, axis=0)
    flows = np.zeros((5, 40, 60, 2), np.float32)
    others = np.zeros((6, 40, 60), bool)
    others[:, 10:20, 10:20] = True
    none = np.zeros((40, 60), bool)
    plates = {}
    for label, motion in (("plain", BackgroundMotion(flows, flows)),
                          ("excluding", BackgroundMotion(flows, flows).excluding(others))):
        history = PlateHistory(frames, motion, +1)
        for frame in range(1, 6):
            history.advance(frame, frame - 1, none)
        plates[label] = history.evidence((slice(0, 40), slice(0, 60)))
    # the frames match their plates everywhere (background), except where the other object was:
    # there no frame saw the background, so there is no evidence either way
    assert (plates["plain"][10:20, 10:20] < 0).all()
    assert (plates["excluding"][10:20, 10:20] == 0).all()
    assert (plates["excluding"][30:, 40:] < 0).all()


def test_evidence_at_chosen_pixels_is_the_whole_boxs_there():
    frames, masks = camouflage_clip()
    box = (slice(10, 60), slice(20, 100))
    where = np.random.default_rng(1).random((50, 80)) < 0.3
    whole = history_at(frames, masks, 12).evidence(box)
    chosen = history_at(frames, masks, 12).evidence(box, where)
    np.testing.assert_array_equal(chosen[where], whole[where])
    assert not chosen[~where].any()


@pytest.mark.parametrize("count", [1, 2, 3, 5, 9])
def test_median_plate_is_the_stable_median_by_grey_level(count):
    # the reference: a stable argsort along the samples, the sample at rank (seen - 1) // 2
    rng = np.random.default_rng(count)
    samples = (rng.integers(0, 4, (count, 9, 11, 3)) * 60).astype(np.uint8)  # many ties of grey level
    seen = rng.random((count, 9, 11)) < 0.7
    grey = samples.astype(np.int64).sum(-1)
    grey[~seen] = 10**6
    middle = (np.maximum(seen.sum(0), 1) - 1) // 2
    chosen = np.take_along_axis(np.argsort(grey, axis=0, kind="stable"), middle[None], 0)[0]
    centre = np.take_along_axis(grey, chosen[None], 0)[0]
    spread = np.take_along_axis(np.sort(np.abs(grey - centre), axis=0), middle[None], 0)[0] / 3
    plate, their_spread, their_count = _median_plate(samples, seen)
    np.testing.assert_array_equal(plate, np.take_along_axis(samples, chosen[None, ..., None], 0)[0])
    np.testing.assert_array_equal(their_spread, spread.astype(np.float32))
    np.testing.assert_array_equal(their_count, seen.sum(0))
