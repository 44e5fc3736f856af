"""Shared fixtures: small synthetic clips (always available) and the real clips in ../shared/data."""

from __future__ import annotations

from pathlib import Path

import pytest

from vinpaint.evaluate.metrics import psnr  # noqa: F401  (tests import it from here)
from vinpaint.testing.synthetic import SyntheticClip, make_panning_clip

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def small_clip() -> SyntheticClip:
    """16 frames of 64x48: a textured background panning under a moving square."""
    return make_panning_clip(frames=16, height=48, width=64, object_size=12)


@pytest.fixture(scope="session")
def medium_clip() -> SyntheticClip:
    """30 frames of 160x96, for quality assertions."""
    return make_panning_clip(frames=30, height=96, width=160, object_size=24, object_speed=(3.0, 0.8))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real clips of ../shared/data (skips the test where they are missing)."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real clips not found at {SHARED_DATA}")
    return SHARED_DATA
