"""Fixtures of the studio tests: a small data folder (an mp4 and a frame folder with masks) and a client."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from vinpaint.io import VideoInfo, open_writer, write_png
from vinpaint.testing.synthetic import SyntheticClip, make_panning_clip


def write_clip(path: Path, frames: np.ndarray, *, fps: int = 25) -> Path:
    """Write ``(T,H,W,3)`` frames as a video with :func:`vinpaint.io.open_writer`."""
    t, h, w = frames.shape[:3]
    info = VideoInfo(path, w, h, t, Fraction(fps), Fraction(1, fps))
    with open_writer(path, info) as writer:
        for index, frame in enumerate(frames):
            writer.write(frame, index)
    return path


@pytest.fixture(scope="session")
def studio_clip() -> SyntheticClip:
    """12 frames of 64x48: a textured background panning under a moving square."""
    return make_panning_clip(frames=12, height=48, width=64, object_size=12)


@pytest.fixture(scope="session")
def studio_data(tmp_path_factory, studio_clip) -> Path:
    """A data folder: ``clip.mp4``, ``shot/frames/*.png`` with ``shot/masks/*.png``, and a file outside it."""
    root = tmp_path_factory.mktemp("studio")
    data = root / "data"
    data.mkdir()
    write_clip(data / "clip.mp4", studio_clip.frames)
    frames, masks = data / "shot" / "frames", data / "shot" / "masks"
    frames.mkdir(parents=True)
    masks.mkdir()
    for index, (frame, mask) in enumerate(zip(studio_clip.frames, studio_clip.masks, strict=True)):
        write_png(frames / f"{index:05d}.png", frame)
        write_png(masks / f"{index:05d}.png", mask)
    (data / "notes.txt").write_text("not a video")
    write_clip(root / "outside.mp4", studio_clip.frames[:3])
    return data


@pytest.fixture()
def client(studio_data, tmp_path):
    """A TestClient of a fresh studio over ``studio_data`` with a 200 kB upload limit."""
    from fastapi.testclient import TestClient

    from vinpaint.studio import create_app

    app = create_app(studio_data, tmp_path / "work", max_upload_bytes=200_000)
    with TestClient(app, base_url="http://127.0.0.1") as test_client:
        yield test_client


def wait_for_job(client, job: dict, timeout: float = 60.0) -> dict:
    """Poll ``GET /api/jobs/{id}`` until the job is final (fails the test after ``timeout`` s)."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        job = client.get(f"/api/jobs/{job['id']}").json()
        if job["state"] not in ("queued", "running"):
            return job
        if time.monotonic() > deadline:
            pytest.fail(f"job {job['kind']} still {job['state']} after {timeout} s")
        time.sleep(0.05)
