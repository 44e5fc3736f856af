"""Faces: detection (yuface), tracking with hysteresis, gap filling and hold, and masks that never leak."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from vinpaint.errors import InvalidOptionError
from vinpaint.masks import MASK_SOURCES
from vinpaint.masks.boxes import box_iou, render_boxes, track_boxes
from vinpaint.masks.detectors.faces import detect_faces, face_masks
from vinpaint.testing.synthetic import make_panning_clip


# -- a real face moving across a background, used here and in the job tests -----------------------

def face_image() -> np.ndarray:
    """Grace Hopper's portrait, shipped with matplotlib (a core dependency): ``(H,W,3)`` uint8 RGB."""
    import matplotlib.cbook as cbook
    from PIL import Image

    with Image.open(cbook.get_sample_data("grace_hopper.jpg")) as image:
        return np.asarray(image.convert("RGB"))[60:400, 120:400].copy()  # the head


def face_clip(background: np.ndarray, *, face_height: int = 90, blur_frames: tuple[int, ...] = ()):
    """Paste the head moving left to right (and bobbing) over ``background`` ``(T,H,W,3)``.

    Frames in ``blur_frames`` get a heavily blurred face, which the detector misses.
    Returns ``(frames, truth)``: truth ``(T,4)`` is where the face itself (the detector's box on the
    unblurred head) lies in each frame, ``(x, y, w, h)``.
    """
    head = face_image()
    width = int(head.shape[1] * face_height / head.shape[0])
    head = cv2.resize(head, (width, face_height), interpolation=cv2.INTER_AREA)
    found = detect_faces(head if head.shape[0] >= 60 else cv2.resize(head, None, fx=2, fy=2))
    assert len(found) == 1, "the test face must be found in the portrait itself"
    face_box = found[0, :4] / (1 if head.shape[0] >= 60 else 2)
    frames = background.copy()
    t_count, h, w = frames.shape[:3]
    truth = np.zeros((t_count, 4), np.float32)
    for t in range(t_count):
        x = int(round(t * (w - width) / max(t_count - 1, 1)))
        y = int(np.clip(round((h - face_height) / 2 + 10 * np.sin(t / 3)), 0, h - face_height))
        patch = cv2.GaussianBlur(head, (0, 0), 8) if t in blur_frames else head
        frames[t, y : y + face_height, x : x + width] = patch
        truth[t] = (x + face_box[0], y + face_box[1], face_box[2], face_box[3])
    return frames, truth


def box_region(box: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    h, w = size
    x, y, bw, bh = box
    region = np.zeros(size, bool)
    region[max(int(np.floor(y)), 0) : min(int(np.ceil(y + bh)), h), max(int(np.floor(x)), 0) : min(int(np.ceil(x + bw)), w)] = True
    return region


@pytest.fixture(scope="module")
def clip():
    background = make_panning_clip(frames=20, height=144, width=240, object_size=4).frames
    return face_clip(background, blur_frames=(7, 8))


# -- tests -----------------------------------------------------------------------------------------

def test_detects_the_face_in_the_portrait():
    head = face_image()
    found = detect_faces(head)
    assert found.shape == (1, 5) and found.dtype == np.float32
    x, y, w, h, score = found[0]
    assert score > 0.8
    assert 0.2 * head.shape[1] < x + w / 2 < 0.8 * head.shape[1] and 60 < h < 300


def test_blurred_frames_defeat_the_detector(clip):
    frames, _ = clip
    assert len(detect_faces(frames[7], confidence=0.3)) == 0  # so the tracking below is what covers them
    assert len(detect_faces(frames[6])) == 1


def test_face_masks_cover_the_face_in_every_frame(clip):
    frames, truth = clip
    masks = face_masks(frames)
    assert masks.shape == frames.shape[:3] and masks.dtype == bool
    for t in range(len(frames)):
        face = box_region(truth[t], frames.shape[1:3])
        assert masks[t][face].all(), f"frame {t} leaks {int((face & ~masks[t]).sum())} face pixels"
    assert masks.mean() < 0.35  # covers the face, not the frame


def test_registered_as_a_mask_source(clip):
    frames, _ = clip
    np.testing.assert_array_equal(MASK_SOURCES.get("faces")(frames[:3]), face_masks(frames[:3]))


def _detections(boxes_and_scores):
    return [np.asarray(items, np.float32).reshape(-1, 5) for items in boxes_and_scores]


def test_track_interpolates_across_a_gap():
    found = _detections([[(10, 10, 20, 20, 0.9)], [], [], [(16, 10, 20, 20, 0.9)]])
    boxes = track_boxes(found, hold=0)
    np.testing.assert_allclose(boxes[1][0], (12, 10, 20, 20))
    np.testing.assert_allclose(boxes[2][0], (14, 10, 20, 20))


def test_track_needs_one_confident_detection():
    weak = _detections([[(10, 10, 20, 20, 0.4)], [(11, 10, 20, 20, 0.4)]])
    assert all(len(b) == 0 for b in track_boxes(weak, start=0.5, keep=0.3))
    strong = _detections([[(10, 10, 20, 20, 0.4)], [(11, 10, 20, 20, 0.9)]])
    assert all(len(b) == 1 for b in track_boxes(strong, start=0.5, keep=0.3))


def test_track_holds_before_and_after_with_the_last_velocity():
    found = _detections([[], [], [(10, 10, 20, 20, 0.9)], [(14, 10, 20, 20, 0.9)], [], []])
    boxes = track_boxes(found, hold=1, max_gap=0)
    assert [len(b) for b in boxes] == [0, 1, 1, 1, 1, 0]
    np.testing.assert_allclose(boxes[1][0], (6, 10, 20, 20))
    np.testing.assert_allclose(boxes[4][0], (18, 10, 20, 20))


def test_two_faces_make_two_tracks():
    found = _detections([[(10, 10, 20, 20, 0.9), (80, 10, 20, 20, 0.9)], [(12, 10, 20, 20, 0.9), (82, 10, 20, 20, 0.9)]])
    boxes = track_boxes(found)
    assert [len(b) for b in boxes] == [2, 2]


def test_ellipse_with_margin_contains_the_box():
    box = np.array([[20.3, 15.7, 31.0, 40.0]], np.float32)
    mask = render_boxes(box, (100, 100), margin=0.21)
    assert mask[box_region(box[0], (100, 100))].all()
    rect = render_boxes(box, (100, 100), margin=0.0, shape="rect")
    assert rect.sum() == 32 * 41  # the box's pixel span, rounded outwards


def test_box_iou():
    assert box_iou(np.array([0, 0, 10, 10]), np.array([5, 0, 10, 10])) == pytest.approx(50 / 150)


@pytest.mark.parametrize("options, message", [
    ({"keep": 0.6, "start": 0.5}, "keep <= start"),
    ({"max_gap": -1}, "max_gap"),
])
def test_bad_tracking_options(options, message):
    with pytest.raises(InvalidOptionError, match=message):
        track_boxes([], **options)


def test_bad_shape_and_confidence():
    with pytest.raises(InvalidOptionError, match="ellipse, rect"):
        render_boxes(np.zeros((0, 4)), (4, 4), shape="circle")
    with pytest.raises(InvalidOptionError, match="confidence"):
        detect_faces(np.zeros((8, 8, 3), np.uint8), confidence=2)


@pytest.mark.slow
def test_face_moving_over_a_real_clip_is_covered_in_every_frame(shared_data):
    from vinpaint.io import open_video

    frames = []
    for index, image in enumerate(open_video(shared_data / "bear" / "frames").images()):
        if index >= 40:
            break
        frames.append(cv2.resize(image, (427, 240), interpolation=cv2.INTER_AREA))
    frames, truth = face_clip(np.stack(frames), face_height=110, blur_frames=(12, 13, 14, 30))
    masks = face_masks(frames)
    for t in range(len(frames)):
        face = box_region(truth[t], frames.shape[1:3])
        assert masks[t][face].all(), f"frame {t} leaks {int((face & ~masks[t]).sum())} face pixels"
