"""Helpers of the model plug-in tests: clips and masks written as PNG folders, the CLI run in-process."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from vinpaint.cli import main
from vinpaint.io import open_masks, open_video, write_png


def write_folder(folder: Path, images: np.ndarray) -> Path:
    """``(T,H,W,3)`` uint8 frames or ``(T,H,W)`` bool masks as ``00000.png``... in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for index, image in enumerate(images):
        write_png(folder / f"{index:05d}.png", image.astype(np.uint8) * 255 if image.dtype == bool else image)
    return folder


def run_cli(*args) -> object:
    return CliRunner().invoke(main, [str(a) for a in args])


def read_frames_back(folder: Path) -> np.ndarray:
    return open_video(folder).read_all()


def read_masks_back(folder: Path, shape: tuple[int, int, int]) -> np.ndarray:
    return open_masks(folder, *shape).read_all()


@pytest.fixture
def models_folder(tmp_path) -> Path:
    folder = tmp_path / "models"
    folder.mkdir()
    return folder
