"""Text lines (MSER + stroke width + line grouping) and licence plates (Haar cascades)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from vinpaint.errors import InvalidOptionError
from vinpaint.masks import MASK_SOURCES
from vinpaint.masks.boxes import box_iou
from vinpaint.masks.detectors.plates import detect_plates
from vinpaint.masks.detectors.text import detect_text, text_boxes, text_masks
from vinpaint.testing.synthetic import make_panning_clip

SUBTITLE = "We walked along the river"


def add_subtitle(frame: np.ndarray, *, y: int, text: str = SUBTITLE, scale: float = 0.6) -> tuple[np.ndarray, np.ndarray]:
    """White text with a black outline, as subtitles are drawn; returns the frame and the text's box."""
    out = frame.copy()
    (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 2)
    x = (frame.shape[1] - tw) // 2
    cv2.putText(out, text, (x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 4, cv2.LINE_AA)
    cv2.putText(out, text, (x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 2, cv2.LINE_AA)
    return out, np.array([x, y - th, tw, th + base], np.float32)


@pytest.fixture(scope="module")
def background():
    return make_panning_clip(frames=6, height=160, width=320, object_size=4).frames


def test_finds_a_subtitle_line(background):
    frame, truth = add_subtitle(background[0], y=140)
    lines = detect_text(frame)
    assert lines.shape[1] == 4 and lines.dtype == np.float32
    assert max(box_iou(line, truth) for line in lines) >= 0.6


def test_no_text_on_texture(background):
    assert len(detect_text(background[0])) == 0


def test_too_few_characters_is_not_a_line(background):
    frame, _ = add_subtitle(background[0], y=140, text="Hi")
    assert len(detect_text(frame)) == 0


def test_text_masks_cover_the_subtitle_in_every_frame(background):
    frames, truths = zip(*(add_subtitle(f, y=140) for f in background))
    frames = np.stack(frames)
    masks = text_masks(frames, plates=False)
    assert masks.shape == frames.shape[:3]
    for mask, (x, y, w, h) in zip(masks, truths):
        inner = mask[int(y) + 2 : int(y + h) - 2, int(x) + 2 : int(x + w) - 2]
        assert inner.all()
    assert masks.mean() < 0.2
    np.testing.assert_array_equal(MASK_SOURCES.get("text")(frames, plates=False), masks)


def test_a_missed_frame_is_bridged(background):
    frames = [add_subtitle(f, y=140)[0] for f in background]
    frames[2] = background[2]  # the subtitle "flickers off" for one frame: tracking covers it
    boxes = text_boxes(frames, plates=False, hold=0)
    assert all(len(b) == 1 for b in boxes)


def test_plates_returns_boxes_and_no_false_alarm_on_texture(background):
    found = detect_plates(background[0], both_cascades=True)
    assert found.shape == (0, 4) and found.dtype == np.float32


def test_bad_options():
    with pytest.raises(InvalidOptionError, match="plates, text or both"):
        text_boxes([], plates=False, text=False)
    with pytest.raises(InvalidOptionError, match="unknown text/plate option"):
        text_boxes([], min_size=3)
    with pytest.raises(InvalidOptionError, match="min_height"):
        detect_text(np.zeros((20, 20, 3), np.uint8), min_height=1)


@pytest.mark.slow
def test_subtitle_on_real_frames(shared_data):
    from vinpaint.io import read_image

    files = sorted((shared_data / "bear" / "frames").iterdir())[:40:8]
    for file in files:
        frame = cv2.resize(read_image(file), (427, 240), interpolation=cv2.INTER_AREA)
        marked, truth = add_subtitle(frame, y=222)
        lines = detect_text(marked)
        assert max(box_iou(line, truth) for line in lines) >= 0.6
        assert len(detect_text(frame)) <= 1  # at most one false line on the clean frame
