"""remove_range: frames FIRST..LAST filled with their context, as remove() fills the same frames."""

from __future__ import annotations

import numpy as np
import pytest

from vinpaint.errors import InvalidOptionError
from vinpaint.io import write_png
from vinpaint.pipeline import RemoveOptions, remove, remove_range
from vinpaint.testing.synthetic import make_panning_clip

OPTIONS = RemoveOptions(engine="perframe", dilate=2)


@pytest.fixture(scope="module")
def clip_files(tmp_path_factory):
    clip = make_panning_clip(frames=12, height=32, width=48)
    root = tmp_path_factory.mktemp("range")
    (root / "frames").mkdir()
    (root / "masks").mkdir()
    for index, (frame, mask) in enumerate(zip(clip.frames, clip.masks)):
        write_png(root / "frames" / f"{index:05d}.png", frame)
        write_png(root / "masks" / f"{index:05d}.png", mask)
    return clip, root / "frames", root / "masks"


def test_range_is_remove_of_the_range_and_its_context(clip_files):
    clip, frames, masks = clip_files
    filled = remove_range(frames, masks, 4, 7, OPTIONS, context=2)
    expected = remove(clip.frames[2:10], clip.masks[2:10], OPTIONS)[2:6]
    np.testing.assert_array_equal(filled.result, expected)
    np.testing.assert_array_equal(filled.original, clip.frames[4:8])
    np.testing.assert_array_equal(filled.masks, clip.masks[4:8])
    assert (filled.first, filled.last) == (4, 7)


def test_context_is_clipped_at_the_clip_ends(clip_files):
    clip, frames, masks = clip_files
    filled = remove_range(frames, masks, 0, 1, OPTIONS, context=3)
    np.testing.assert_array_equal(filled.result, remove(clip.frames[0:5], clip.masks[0:5], OPTIONS)[0:2])


def test_progress_counts_the_frames_filled_with_context(clip_files):
    _, frames, masks = clip_files
    calls = []
    remove_range(frames, masks, 5, 5, OPTIONS, context=1, progress=lambda done, total: calls.append((done, total)))
    assert calls[0] == (0, 3) and calls[-1] == (3, 3)


def test_range_past_the_clip_is_refused(clip_files):
    _, frames, masks = clip_files
    with pytest.raises(InvalidOptionError, match="outside the clip"):
        remove_range(frames, masks, 10, 12, OPTIONS)
