"""The studio's replace step: upload a picture, click four corners, preview and run (vinpaint.recipes.replace)."""

from __future__ import annotations

import io

import numpy as np
import pytest

from .conftest import wait_for_job
from .test_browser import browser, clip, page, run_job, server  # noqa: F401  (fixtures of the browser test)

pytest.importorskip("fastapi", reason="the studio needs the web extra: pip install 'vinpaint[web]'")

#: a quad on the 64x48 test clip's background, which pans (2, 0.5) px a frame: over 12 frames around frame 6
#: the quad stays right of x = 18 and under y = 21, so rows and columns under 14 px (JPEG's 16 px blocks and
#: their chroma smoothing included) are outside it on every frame
CORNERS = [[30, 24], [50, 24], [50, 40], [30, 40]]
CLEAR = 14
#: pixels of the 20x16 quad (285 strictly inside) that must turn to the picture's colour on the keyframe
MIN_PICTURE_PIXELS = 200


def _png(rgba: tuple[int, int, int, int], size: tuple[int, int] = (16, 12)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGBA", size, rgba).save(buffer, format="PNG")
    return buffer.getvalue()


def _jpeg(client, url: str) -> np.ndarray:
    from PIL import Image

    answer = client.get(url)
    assert answer.status_code == 200, answer.text
    return np.asarray(Image.open(io.BytesIO(answer.content)).convert("RGB")).astype(int)


@pytest.fixture()
def clip_id(client) -> str:
    return client.post("/api/clips", json={"entry": "clip.mp4"}).json()["id"]


def _upload_picture(client, clip_id: str, data: bytes):
    return client.post(f"/api/clips/{clip_id}/replace/picture", content=data,
                       headers={"Content-Type": "application/octet-stream"})


def test_picture_upload_reports_size_and_alpha(client, clip_id):
    answer = _upload_picture(client, clip_id, _png((255, 0, 0, 128), size=(20, 10)))
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"width": 20, "height": 10, "alpha": True}


def test_picture_that_is_not_an_image_is_415(client, clip_id):
    answer = _upload_picture(client, clip_id, b"not an image at all")
    assert answer.status_code == 415
    assert "picture" in answer.json()["detail"]


def test_preview_changes_the_quad_and_nothing_outside(client, clip_id):
    assert _upload_picture(client, clip_id, _png((255, 0, 0, 255))).status_code == 200
    answer = client.post(f"/api/clips/{clip_id}/replace", json={"keyframe": 6, "corners": CORNERS})
    assert answer.status_code == 202, answer.text
    job = wait_for_job(client, answer.json())
    assert job["state"] == "done", job["error"]
    assert job["kind"] == "preview" and job["params"]["recipe"] == "replace"
    first, last = job["result"]["first"], job["result"]["last"]
    assert (first, last) == (0, 11)
    for index in range(first, last + 1):
        before = _jpeg(client, f"/api/clips/{clip_id}/frames/{index}.jpg")
        after = _jpeg(client, f"/api/jobs/{job['id']}/frames/{index}.jpg")
        np.testing.assert_array_equal(after[:CLEAR], before[:CLEAR])
        np.testing.assert_array_equal(after[:, :CLEAR], before[:, :CLEAR])
        if index == 6:  # on the keyframe the surface is where the corners are, and nothing is in front of it
            red = (after[..., 0] - after[..., 1]) - (before[..., 0] - before[..., 1]) > 60  # redder by 60 levels
            assert red.sum() >= MIN_PICTURE_PIXELS


@pytest.mark.parametrize("corners, words", [
    ([[24, 20], [56, 20], [56, 44]], "four corners"),
    ([[24, 20], [56, 20], [56, 44], [24, 90]], "outside"),
    ([[24, 20], [25, 20], [25, 21], [24, 21]], "too small"),
])
def test_bad_corners_are_422_with_a_message(client, clip_id, corners, words):
    assert _upload_picture(client, clip_id, _png((255, 0, 0, 255))).status_code == 200
    answer = client.post(f"/api/clips/{clip_id}/replace", json={"keyframe": 0, "corners": corners})
    assert answer.status_code == 422
    assert words in answer.json()["detail"]


def test_replace_without_a_picture_is_409(client, clip_id):
    answer = client.post(f"/api/clips/{clip_id}/replace", json={"keyframe": 0, "corners": CORNERS})
    assert answer.status_code == 409
    assert "upload the picture" in answer.json()["detail"]


def test_whole_clip_run_writes_a_video_to_download(client, clip_id):

    assert _upload_picture(client, clip_id, _png((0, 0, 255, 255))).status_code == 200
    answer = client.post(f"/api/clips/{clip_id}/replace", json={"keyframe": 0, "corners": CORNERS, "preview": False})
    job = wait_for_job(client, answer.json())
    assert job["state"] == "done", job["error"]
    assert job["kind"] == "remove" and job["result"]["frame_count"] == 12
    video = client.get(f"/api/jobs/{job['id']}/video")
    assert video.status_code == 200 and video.content[4:8] == b"ftyp"
    before = _jpeg(client, f"/api/clips/{clip_id}/frames/0.jpg")
    after = _jpeg(client, f"/api/jobs/{job['id']}/frames/0.jpg")
    blue = (after[..., 2] - after[..., 0]) - (before[..., 2] - before[..., 0]) > 60
    assert blue.sum() >= MIN_PICTURE_PIXELS


# -- in a real headless Chromium (the fixtures and helpers of test_browser.py) --------------------------------


@pytest.mark.browser
def test_browser_four_clicks_place_the_corners_and_the_preview_shows(page, server, tmp_path):  # noqa: F811
    from PIL import Image

    picture = tmp_path / "sign.png"
    Image.new("RGBA", (30, 20), (255, 0, 0, 255)).save(picture)
    page.goto(server)
    page.wait_for_selector("body[data-ready='1']")
    page.select_option("#data-select", "clip.mp4")
    page.click("#open-data")
    page.wait_for_function("document.getElementById('frame-img').naturalWidth === 96")

    page.click("#replace-section > summary")
    page.set_input_files("#replace-picture", str(picture))
    page.wait_for_function("document.getElementById('replace-picture-info').textContent.includes('30×20')")
    assert page.is_disabled("#replace-preview")  # a picture, but no corners yet
    page.click("#replace-corners")
    box = page.locator("#replace-canvas").bounding_box()
    for x, y in [(40, 30), (70, 30), (70, 55), (40, 55)]:  # pixels of the 96x72 clip
        page.mouse.click(box["x"] + x * box["width"] / 96, box["y"] + y * box["height"] / 72)
    assert page.get_attribute("#replace-canvas", "data-corners") == "4"
    assert page.inner_text("#replace-corners-info").startswith("4 of 4 corners on frame 0")

    assert run_job(page, "#replace-preview", "preview") == "done", page.inner_text("#job-state")
    page.wait_for_function("document.getElementById('result-img').naturalWidth === 96")
    assert "/api/jobs/" in page.get_attribute("#result-img", "src")
    assert page.inner_text("#result-info").startswith("Preview of frames 0–11")
    assert page.is_hidden("#replace-error")
    assert page.errors == []
