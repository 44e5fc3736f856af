"""Fixtures of the reliability suite: an inputs folder holding a tiny clip and its masks, and an
empty outputs folder, so a test can check that inputs stay byte-identical and that nothing is left
beside an output."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.reliability.media import (
    box_masks,
    textured_frames,
    write_clip,
    write_mask_folder,
)

FRAMES, HEIGHT, WIDTH = 12, 48, 64


@pytest.fixture
def inputs(tmp_path) -> Path:
    folder = tmp_path / "inputs"
    folder.mkdir()
    return folder


@pytest.fixture
def outputs(tmp_path) -> Path:
    folder = tmp_path / "outputs"
    folder.mkdir()
    return folder


@pytest.fixture
def clip(inputs) -> Path:
    """A 12-frame 64x48 H.264 clip without audio."""
    return write_clip(inputs / "clip.mp4", textured_frames(FRAMES, HEIGHT, WIDTH))


@pytest.fixture
def masks(inputs) -> Path:
    """12 binary masks of 64x48 (a moving square)."""
    return write_mask_folder(inputs / "masks", box_masks(FRAMES, HEIGHT, WIDTH))
