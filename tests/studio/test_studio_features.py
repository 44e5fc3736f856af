"""The studio's selection by box, quick preview, progress from tracking, grades and frame folders."""

from __future__ import annotations

import io
import threading

import numpy as np
import pytest

pytest.importorskip("fastapi", reason="the studio needs the web extra: pip install 'vinpaint[web]'")
pytest.importorskip("httpx", reason="the studio's API tests need httpx")

from PIL import Image

from vinpaint.arrays import resize_clip
from vinpaint.studio.queue import JobCancelled
from vinpaint.studio.service import (
    QUICK_PREVIEW_FRAMES,
    grade_metrics,
)
from vinpaint.testing.synthetic import make_panning_clip

from .conftest import wait_for_job, write_clip
from .test_api import clip_with_masks, open_clip


def alpha_mask(content: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(content)))[..., 3] > 0


# -- selection -------------------------------------------------------------------------------------------


def test_a_box_selects_the_object_inside_it(client, studio_clip):
    clip = open_clip(client, "shot/frames")
    ys, xs = studio_clip.masks[0].nonzero()
    box = [int(xs.min()) - 3, int(ys.min()) - 3, int(xs.max()) + 4, int(ys.max()) + 4]
    response = client.post(f"/api/clips/{clip['id']}/segment", json={"frame": 0, "box": box})
    assert response.status_code == 200, response.text
    mask, truth = alpha_mask(response.content), studio_clip.masks[0]
    assert (mask & truth).sum() / (mask | truth).sum() > 0.5
    outside = np.ones_like(mask)
    outside[box[1]:box[3], box[0]:box[2]] = False
    assert not (mask & outside).any()


def test_a_box_outside_the_frame_is_refused(client):
    clip = open_clip(client)
    response = client.post(f"/api/clips/{clip['id']}/segment", json={"frame": 0, "box": [10, 10, 90, 20]})
    assert response.status_code == 422 and "outside" in response.json()["detail"]


def test_negative_points_alone_ask_for_a_positive_one(client):
    clip = open_clip(client)
    response = client.post(f"/api/clips/{clip['id']}/segment",
                           json={"frame": 0, "points": [{"x": 5, "y": 5, "positive": False}]})
    assert response.status_code == 422 and "positive point" in response.json()["detail"]


# -- previews --------------------------------------------------------------------------------------------


def test_resize_clip_halves_frames_and_keeps_every_masked_pixel():
    frames = np.zeros((2, 40, 60, 3), np.uint8)
    masks = np.zeros((2, 40, 60), bool)
    masks[:, 11, 21] = True  # one pixel: its reduced pixel is masked
    small, small_masks = resize_clip(frames, masks, 0.5)
    assert small.shape == (2, 20, 30, 3) and small.dtype == np.uint8
    assert small_masks.shape == (2, 20, 30) and small_masks.dtype == bool
    assert small_masks[:, 5, 10].all() and small_masks.sum() == 2


def test_a_quick_preview_fills_twelve_frames_at_half_size(client, studio_data, tmp_path):
    wide = make_panning_clip(frames=16, height=144, width=256, object_size=24)
    write_clip(studio_data / "wide.mp4", wide.frames)
    try:
        clip = open_clip(client, "wide.mp4")
        mask = (wide.masks.any(axis=0) * 255).astype(np.uint8)
        buffer = io.BytesIO()
        Image.fromarray(mask).save(buffer, format="PNG")
        client.put(f"/api/clips/{clip['id']}/keyframes/0", content=buffer.getvalue())
        wait_for_job(client, client.post(f"/api/clips/{clip['id']}/masks", json={"method": "static"}).json())
        job = wait_for_job(client, client.post(f"/api/clips/{clip['id']}/preview", json={"first": 2}).json())
    finally:
        (studio_data / "wide.mp4").unlink()
    assert job["state"] == "done", job["error"]
    result = job["result"]
    assert (result["first"], result["last"], result["quality"], result["scale"]) == (2, 2 + QUICK_PREVIEW_FRAMES - 1,
                                                                                     "quick", 0.5)
    frame = Image.open(io.BytesIO(client.get(f"/api/jobs/{job['id']}/frames/2.jpg").content))
    assert frame.size == (128, 72)
    assert result["metrics"]["changed_outside"] == 0
    assert set(result["grades"]) >= {"steadiness", "hint"}


def test_a_full_quality_preview_takes_the_page_options(client, studio_clip):
    clip = clip_with_masks(client, studio_clip)
    job = client.post(f"/api/clips/{clip['id']}/preview",
                      json={"quality": "full", "count": 3, "options": {"preset": "quality"}}).json()
    job = wait_for_job(client, job)
    assert job["state"] == "done", job["error"]
    assert (job["result"]["quality"], job["params"]["options"]["preset"], job["done"]) == ("full", "quality", 3)


# -- progress --------------------------------------------------------------------------------------------


class Counter:
    """A progress callback that records its calls and cancels after ``stop_after`` of them."""

    def __init__(self, stop_after: int | None = None) -> None:
        self.calls, self.stop_after = [], stop_after

    def __call__(self, done, total=None):
        self.calls.append((done, total))
        if self.stop_after is not None and len(self.calls) >= self.stop_after:
            raise JobCancelled


def test_tracking_reports_every_frame_pair_and_stops_at_the_first_call_after_a_cancel():
    from vinpaint.masks import make_masks

    clip = make_panning_clip(frames=10)
    progress = Counter(stop_after=2)
    with pytest.raises(JobCancelled):
        make_masks(clip.frames, {0: clip.masks[0]}, method="track", progress=progress)
    assert len(progress.calls) == 2


def test_a_tracking_job_reports_the_motion_pairs_then_the_frames(client, studio_clip):
    clip = open_clip(client)
    mask = (studio_clip.masks[0] * 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(mask).save(buffer, format="PNG")
    client.put(f"/api/clips/{clip['id']}/keyframes/0", content=buffer.getvalue())
    studio = client.app.state.studio
    phases, lock = [], threading.Lock()
    original = studio.jobs._report

    def spy(job_id, done, total, phase, *, write):
        with lock:
            phases.append((phase, done, total))
        original(job_id, done, total, phase, write=write)

    studio.jobs._report = spy
    job = wait_for_job(client, client.post(f"/api/clips/{clip['id']}/masks", json={"method": "track"}).json())
    assert job["state"] == "done", job["error"]
    # 11 frame pairs' flow, then the 12 frames of the one object: 23 steps, reported in frames of 12
    tracking = [done for phase, done, total in phases if phase == "tracking" and total == 12]
    assert tracking[:11] == [step * 12 // 23 for step in range(1, 12)] and tracking[-1] == 12


# -- grades ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("metrics", "expected"), [
    ({"flicker_hole": 1.0, "sharpness": 0.9, "boundary": 1.0}, ("steady", "sharp", "no visible edge")),
    ({"flicker_hole": 5.0, "sharpness": 0.5, "boundary": 1.2}, ("some flicker", "a little soft", "no visible edge")),
    ({"flicker_hole": 20.0, "sharpness": 0.2, "boundary": 2.5}, ("flickers", "soft", "visible edge")),
])
def test_grades_put_the_metrics_in_words(metrics, expected):
    grades = grade_metrics(metrics)
    assert (grades["steadiness"], grades["sharpness"], grades["seam"]) == expected
    assert (grades["hint"] is not None) == (expected[2] == "visible edge")
    if grades["hint"]:
        assert "Dilate" in grades["hint"]


def test_grades_leave_out_what_was_not_measured():
    assert grade_metrics({"error": "no frames"}) == {"hint": None}


# -- frame folders ---------------------------------------------------------------------------------------


def test_a_frame_folder_opens_at_the_given_frame_rate(client):
    default = open_clip(client, "shot/frames")
    response = client.post("/api/clips", json={"entry": "shot/frames", "fps": 12.5})
    assert response.status_code == 201, response.text
    assert (default["fps"], response.json()["fps"]) == (25.0, 12.5)
    assert response.json()["id"] != default["id"]
    assert client.post("/api/clips", json={"entry": "shot/frames", "fps": 12.5}).json()["id"] == response.json()["id"]


def test_a_bad_frame_rate_is_422(client):
    assert client.post("/api/clips", json={"entry": "shot/frames", "fps": 0}).status_code == 422


def test_data_that_is_a_frame_folder_is_its_one_entry(studio_data, tmp_path):
    from fastapi.testclient import TestClient

    from vinpaint.studio import create_app

    app = create_app(studio_data / "shot" / "frames", tmp_path / "work")
    with TestClient(app, base_url="http://127.0.0.1") as client:
        entries = client.get("/api/data").json()
        assert [(e["id"], e["name"], e["kind"], e["has_masks"]) for e in entries] == [(".", "shot", "folder", True)]
        clip = client.post("/api/clips", json={"entry": ".", "fps": 10}).json()
        assert (clip["frame_count"], clip["fps"], clip["has_data_masks"]) == (12, 10.0, True)
