"""The studio's HTTP API: bad input first (size, type, unknown ids, paths), then the whole flow."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest

pytest.importorskip("fastapi", reason="the studio needs the web extra: pip install 'vinpaint[web]'")
pytest.importorskip("httpx", reason="the studio's API tests need httpx")

from PIL import Image  # noqa: E402

from vinpaint.composite import dilate_mask  # noqa: E402
from vinpaint.engines import ENGINES  # noqa: E402
from vinpaint.io import open_video  # noqa: E402
from vinpaint.fill import SPATIAL_FILLERS  # noqa: E402

from .conftest import wait_for_job  # noqa: E402

UNKNOWN_ID = "0123456789abcdef0123456789abcdef"
PERFRAME = {"options": {"engine": "perframe"}}  # the fastest engine: these tests check the plumbing


def png_bytes(mask: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(mask.astype(np.uint8) * 255).save(buffer, format="PNG")
    return buffer.getvalue()


def open_clip(client, entry: str = "clip.mp4") -> dict:
    response = client.post("/api/clips", json={"entry": entry})
    assert response.status_code == 201, response.text
    return response.json()


def clip_with_masks(client, studio_clip) -> dict:
    """clip.mp4 opened, with a static keyframe mask covering the square's whole path."""
    clip = open_clip(client)
    path = dilate_mask(studio_clip.masks.any(axis=0), 2)
    assert client.put(f"/api/clips/{clip['id']}/keyframes/0", content=png_bytes(path)).status_code == 200
    job = client.post(f"/api/clips/{clip['id']}/masks", json={"method": "static", "frame": 0}).json()
    assert wait_for_job(client, job)["state"] == "done"
    return client.get(f"/api/clips/{clip['id']}").json()


# -- catalogue ---------------------------------------------------------------------------------------------


def test_options_come_from_the_registries(client):
    options = client.get("/api/options").json()
    assert [engine["name"] for engine in options["engines"]] == ENGINES.names()
    assert options["fillers"] == SPATIAL_FILLERS.names()
    assert options["preview_frames"] == 30
    assert options["max_upload_bytes"] == 200_000


def test_data_lists_videos_and_frame_folders_only(client):
    entries = {entry["id"]: entry for entry in client.get("/api/data").json()}
    assert set(entries) == {"clip.mp4", "shot/frames"}
    assert entries["shot/frames"]["name"] == "shot"
    assert entries["shot/frames"]["has_masks"] is True
    assert entries["clip.mp4"]["kind"] == "video"


def test_openapi_gives_every_route_a_summary(client):
    schema = client.get("/openapi.json").json()
    operations = [op for path in schema["paths"].values() for op in path.values()]
    assert len(operations) >= 20
    assert all(op.get("summary") for op in operations)
    assert client.get("/docs").status_code == 200


def test_page_and_its_assets_are_served_without_external_urls(client):
    page = client.get("/").text
    assert 'src="/static/app.js"' in page
    for asset in ("/static/app.js", "/static/style.css"):
        response = client.get(asset)
        assert response.status_code == 200
        assert "http://" not in response.text and "https://" not in response.text


def test_other_host_names_are_refused(client):
    """A DNS-rebinding page reaches 127.0.0.1 under its own name: it must not read the API."""
    assert client.get("/api/clips", headers={"host": "evil.example"}).status_code == 400
    assert client.get("/api/clips", headers={"host": "localhost:8000"}).status_code == 200


def test_changes_from_another_origin_are_refused(client, studio_data):
    body = (studio_data / "clip.mp4").read_bytes()
    response = client.post("/api/clips/upload", params={"filename": "a.mp4"}, content=body,
                           headers={"origin": "http://evil.example", "content-type": "text/plain"})
    assert response.status_code == 403
    assert client.get("/api/clips").json() == []
    same = client.post("/api/clips", json={"entry": "clip.mp4"}, headers={"origin": "http://127.0.0.1"})
    assert same.status_code == 201


# -- opening clips -----------------------------------------------------------------------------------------


def test_open_data_entry_probes_the_video(client, studio_clip):
    clip = open_clip(client)
    assert (clip["frame_count"], clip["width"], clip["height"]) == (12, 64, 48)
    frame = client.get(f"/api/clips/{clip['id']}/frames/11.jpg")
    assert frame.status_code == 200 and frame.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(frame.content)).size == (64, 48)


def test_open_same_entry_twice_gives_the_same_clip(client):
    assert open_clip(client)["id"] == open_clip(client)["id"]


@pytest.mark.parametrize("entry", [
    "../outside.mp4", "clip.mp4/../../outside.mp4", "/etc/passwd", "shot/../../outside.mp4", "notes.txt", "shot",
])
def test_open_data_refuses_anything_not_listed(client, studio_data, entry):
    assert (studio_data.parent / "outside.mp4").is_file()
    response = client.post("/api/clips", json={"entry": entry})
    assert response.status_code == 404
    assert client.get("/api/clips").json() == []


def test_open_data_refuses_absolute_path_of_a_listed_file(client, studio_data):
    response = client.post("/api/clips", json={"entry": str(studio_data / "clip.mp4")})
    assert response.status_code == 404


def test_link_out_of_the_data_folder_is_neither_listed_nor_opened(client, studio_data):
    link = studio_data / "escape.mp4"
    link.symlink_to(studio_data.parent / "outside.mp4")
    try:
        assert "escape.mp4" not in {e["id"] for e in client.get("/api/data").json()}
        assert client.post("/api/clips", json={"entry": "escape.mp4"}).status_code == 404
    finally:
        link.unlink()


# -- uploads -----------------------------------------------------------------------------------------------


def test_upload_a_video(client, studio_data):
    body = (studio_data / "clip.mp4").read_bytes()
    response = client.post("/api/clips/upload", params={"filename": "my clip.mp4"}, content=body)
    assert response.status_code == 201, response.text
    clip = response.json()
    assert (clip["name"], clip["origin"], clip["frame_count"]) == ("my clip.mp4", "upload", 12)


def test_upload_an_image_is_a_one_frame_clip(client, studio_clip):
    buffer = io.BytesIO()
    Image.fromarray(studio_clip.frames[0]).save(buffer, format="PNG")
    response = client.post("/api/clips/upload", params={"filename": "still.png"}, content=buffer.getvalue())
    assert response.status_code == 201, response.text
    assert (response.json()["kind"], response.json()["frame_count"]) == ("image", 1)


def test_upload_over_the_limit_is_refused_by_its_declared_size(client, tmp_path):
    response = client.post("/api/clips/upload", params={"filename": "big.mp4"}, content=b"\0" * 200_001)
    assert response.status_code == 413
    assert list((tmp_path / "work" / "uploads").iterdir()) == []


def test_upload_over_the_limit_is_refused_while_streaming(client, tmp_path):
    def chunks():  # no Content-Length: the server counts
        for _ in range(30):
            yield b"\0" * 10_000

    response = client.post("/api/clips/upload", params={"filename": "big.mp4"}, content=chunks())
    assert response.status_code == 413
    assert list((tmp_path / "work" / "uploads").iterdir()) == []
    assert client.get("/api/clips").json() == []


@pytest.mark.parametrize("filename", ["notes.txt", "run.exe", "archive.zip", "noextension", "clip.mp4.sh"])
def test_upload_of_another_type_is_refused(client, filename):
    response = client.post("/api/clips/upload", params={"filename": filename}, content=b"hello")
    assert response.status_code == 415
    assert "not a video or image" in response.json()["detail"]


def test_upload_that_does_not_decode_is_refused_whatever_its_extension(client, tmp_path):
    response = client.post("/api/clips/upload", params={"filename": "fake.mp4"}, content=b"this is text" * 100)
    assert response.status_code == 415
    assert client.get("/api/clips").json() == []
    assert list((tmp_path / "work" / "clips").iterdir()) == []


def test_empty_upload_is_refused(client):
    assert client.post("/api/clips/upload", params={"filename": "empty.mp4"}, content=b"").status_code == 422


@pytest.mark.parametrize("filename", ["../../evil.mp4", "..\\..\\evil.mp4", "/tmp/evil.mp4", "a/b/../../../evil.mp4",
                                      ".evil.mp4"])
def test_path_in_the_upload_name_is_dropped(client, studio_data, tmp_path, filename):
    body = (studio_data / "clip.mp4").read_bytes()
    response = client.post("/api/clips/upload", params={"filename": filename}, content=body)
    assert response.status_code == 201, response.text
    clip = response.json()
    assert clip["name"] == "evil.mp4"
    stored = sorted(p.name for p in (tmp_path / "work" / "clips" / clip["id"]).iterdir())
    assert "input.mp4" in stored and "evil.mp4" not in stored
    assert not (tmp_path / "evil.mp4").exists() and not (tmp_path / "work" / "evil.mp4").exists()


# -- unknown ids and out-of-range frames -------------------------------------------------------------------


def test_unknown_clip_is_404(client):
    assert client.get(f"/api/clips/{UNKNOWN_ID}").status_code == 404
    assert client.get(f"/api/clips/{UNKNOWN_ID}/frames/0.jpg").status_code == 404


@pytest.mark.parametrize("clip_id", ["abc", "..", "0123456789abcdef0123456789abcdeg", "%2e%2e%2fjobs.sqlite3"])
def test_malformed_clip_id_is_refused(client, clip_id):
    assert client.get(f"/api/clips/{clip_id}").status_code in (404, 422)
    assert client.get(f"/api/clips/{clip_id}/frames/0.jpg").status_code in (404, 422)


def test_unknown_job_is_404(client):
    assert client.get(f"/api/jobs/{UNKNOWN_ID}").status_code == 404
    assert client.get(f"/api/jobs/{UNKNOWN_ID}/video").status_code == 404
    assert client.post(f"/api/jobs/{UNKNOWN_ID}/cancel").status_code == 404


def test_malformed_job_id_is_422(client):
    assert client.get("/api/jobs/not-a-job").status_code == 422


def test_frame_past_the_end_is_404_and_negative_is_422(client):
    clip = open_clip(client)
    assert client.get(f"/api/clips/{clip['id']}/frames/12.jpg").status_code == 404
    assert client.get(f"/api/clips/{clip['id']}/frames/-1.jpg").status_code == 422


# -- masks -------------------------------------------------------------------------------------------------


def test_keyframe_of_another_size_is_refused(client):
    clip = open_clip(client)
    response = client.put(f"/api/clips/{clip['id']}/keyframes/0", content=png_bytes(np.ones((10, 10), bool)))
    assert response.status_code == 422
    assert "64x48" in response.json()["detail"]


def test_keyframe_that_is_not_an_image_is_refused(client):
    clip = open_clip(client)
    assert client.put(f"/api/clips/{clip['id']}/keyframes/0", content=b"not a png").status_code == 415


def test_keyframe_is_stored_and_an_empty_one_removed(client, studio_clip):
    clip = open_clip(client)
    url = f"/api/clips/{clip['id']}/keyframes/3"
    assert client.put(url, content=png_bytes(studio_clip.masks[3])).json()["keyframes"] == [3]
    stored = Image.open(io.BytesIO(client.get(url + ".png", params={"style": "binary"}).content))
    np.testing.assert_array_equal(np.asarray(stored) > 0, studio_clip.masks[3])
    assert client.put(url, content=png_bytes(np.zeros((48, 64), bool))).json()["keyframes"] == []


def test_masks_need_a_keyframe(client):
    clip = open_clip(client)
    assert client.post(f"/api/clips/{clip['id']}/masks", json={"method": "static"}).status_code == 409
    assert client.post(f"/api/clips/{clip['id']}/masks", json={"method": "track"}).status_code == 409


def test_data_folder_masks_are_loaded(client, studio_clip):
    clip = open_clip(client, "shot/frames")
    job = wait_for_job(client, client.post(f"/api/clips/{clip['id']}/masks", json={"method": "data"}).json())
    assert job["state"] == "done", job["error"]
    response = client.get(f"/api/clips/{clip['id']}/masks/7.png", params={"style": "binary"})
    np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(response.content))) > 0, studio_clip.masks[7])


def test_data_masks_of_a_clip_without_them_is_409(client):
    clip = open_clip(client)
    assert client.post(f"/api/clips/{clip['id']}/masks", json={"method": "data"}).status_code == 409


def test_tracking_follows_the_keyframe(client, studio_clip):
    clip = open_clip(client, "shot/frames")
    client.put(f"/api/clips/{clip['id']}/keyframes/0", content=png_bytes(studio_clip.masks[0]))
    job = wait_for_job(client, client.post(f"/api/clips/{clip['id']}/masks", json={"method": "track"}).json())
    assert job["state"] == "done", job["error"]
    last = np.asarray(Image.open(io.BytesIO(client.get(f"/api/clips/{clip['id']}/masks/11.png",
                                                       params={"style": "binary"}).content))) > 0
    truth = studio_clip.masks[11]
    assert (last & truth).sum() / (last | truth).sum() > 0.5


def test_segment_selects_the_clicked_object(client, studio_clip):
    clip = open_clip(client, "shot/frames")
    response = client.post(f"/api/clips/{clip['id']}/segment", json={"frame": 0, "points": [{"x": 18, "y": 20}]})
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    mask = np.asarray(Image.open(io.BytesIO(response.content)))[..., 3] > 0
    truth = studio_clip.masks[0]
    assert (mask & truth).sum() / (mask | truth).sum() > 0.5


def test_segment_point_outside_the_frame_is_refused(client):
    clip = open_clip(client)
    response = client.post(f"/api/clips/{clip['id']}/segment", json={"frame": 0, "points": [{"x": 64, "y": 3}]})
    assert response.status_code == 422


# -- fills -------------------------------------------------------------------------------------------------


def test_preview_without_masks_is_409(client):
    clip = open_clip(client)
    response = client.post(f"/api/clips/{clip['id']}/preview", json={})
    assert response.status_code == 409
    assert "no masks" in response.json()["detail"]


@pytest.mark.parametrize("options", [
    {"engine": "nope"}, {"engine_options": {"bogus": 1}}, {"engine_options": {"fill": "nope"}},
    {"engine_options": {"max_keyframes": "many"}}, {"blend": "multiply"}, {"dilate": -1}, {"crf": 60},
])
def test_bad_fill_options_are_422(client, studio_clip, options):
    clip = clip_with_masks(client, studio_clip)
    response = client.post(f"/api/clips/{clip['id']}/remove", json={"options": options})
    assert response.status_code == 422, response.text


def test_preview_fills_the_first_frames(client, studio_clip):
    clip = clip_with_masks(client, studio_clip)
    job = client.post(f"/api/clips/{clip['id']}/preview", json={"count": 5}).json()
    job = wait_for_job(client, job)
    assert job["state"] == "done", job["error"]
    assert (job["result"]["first"], job["result"]["last"], job["done"]) == (0, 4, 5)
    assert client.get(f"/api/jobs/{job['id']}/frames/4.jpg").status_code == 200
    assert client.get(f"/api/jobs/{job['id']}/frames/5.jpg").status_code == 404
    assert job["result"]["metrics"]["frames"] == 5
    assert job["result"]["metrics"]["changed_outside"] == 0


def test_run_writes_the_video_and_the_masks(client, studio_clip, tmp_path):
    clip = clip_with_masks(client, studio_clip)
    job = wait_for_job(client, client.post(f"/api/clips/{clip['id']}/remove", json=PERFRAME).json())
    assert job["state"] == "done", job["error"]
    video = client.get(f"/api/jobs/{job['id']}/video")
    assert video.status_code == 200 and 'filename="clip-vinpaint.mp4"' in video.headers["content-disposition"]
    (tmp_path / "result.mp4").write_bytes(video.content)
    result = open_video(tmp_path / "result.mp4").read_all()
    assert result.shape == studio_clip.frames.shape
    hole = studio_clip.masks
    before = np.abs(studio_clip.frames[hole].astype(int) - studio_clip.background[hole]).mean()
    after = np.abs(result[hole].astype(int) - studio_clip.background[hole]).mean()
    assert after < 0.5 * before  # the square is gone
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"/api/jobs/{job['id']}/masks.zip").content))
    assert len(archive.namelist()) == 12 and archive.namelist()[0] == "clip-masks/00000.png"


def test_downloads_of_an_unfinished_or_preview_job_are_refused(client, studio_clip):
    clip = clip_with_masks(client, studio_clip)
    preview = wait_for_job(client, client.post(f"/api/clips/{clip['id']}/preview", json={"count": 2}).json())
    assert client.get(f"/api/jobs/{preview['id']}/video").status_code == 404
    masks_job = client.get("/api/jobs", params={"clip_id": clip["id"]}).json()[-1]
    assert masks_job["kind"] == "masks"
    assert client.get(f"/api/jobs/{masks_job['id']}/frames/0.jpg").status_code == 404


def test_finished_jobs_survive_a_restart(studio_data, studio_clip, tmp_path):
    from fastapi.testclient import TestClient

    from vinpaint.studio import create_app

    with TestClient(create_app(studio_data, tmp_path / "work"), base_url="http://127.0.0.1") as first:
        clip = clip_with_masks(first, studio_clip)
        job = wait_for_job(first, first.post(f"/api/clips/{clip['id']}/remove", json=PERFRAME).json())
        assert job["state"] == "done"
    with TestClient(create_app(studio_data, tmp_path / "work"), base_url="http://localhost") as second:
        again = second.get(f"/api/jobs/{job['id']}").json()
        assert again["state"] == "done" and again["result"] == job["result"]
        assert second.get(f"/api/jobs/{job['id']}/video").status_code == 200
        assert second.get(f"/api/clips/{clip['id']}").json()["has_masks"] is True


def test_run_on_an_image_gives_a_png(client, studio_clip):
    buffer = io.BytesIO()
    Image.fromarray(studio_clip.frames[0]).save(buffer, format="PNG")
    clip = client.post("/api/clips/upload", params={"filename": "still.png"}, content=buffer.getvalue()).json()
    client.put(f"/api/clips/{clip['id']}/keyframes/0", content=png_bytes(dilate_mask(studio_clip.masks[0], 2)))
    masks_job = client.post(f"/api/clips/{clip['id']}/masks", json={"method": "static"}).json()
    assert wait_for_job(client, masks_job)["state"] == "done"
    job = wait_for_job(client, client.post(f"/api/clips/{clip['id']}/remove", json=PERFRAME).json())
    assert job["state"] == "done", job["error"]
    result = client.get(f"/api/jobs/{job['id']}/video")
    assert result.headers["content-type"] == "image/png"
    assert np.asarray(Image.open(io.BytesIO(result.content))).shape == (48, 64, 3)


def test_page_cannot_name_a_model_file(client, studio_clip):
    """An ``onnx:PATH`` engine option would make the server open a file the page chose: refused."""
    clip = clip_with_masks(client, studio_clip)
    response = client.post(f"/api/clips/{clip['id']}/preview",
                            json={"options": {"engine_options": {"fill": "onnx:/etc/hostname"}}})
    assert response.status_code == 422
    assert "command line" in response.json()["detail"]


def test_the_studio_never_fills_a_folder_of_the_users(studio_data, tmp_path):
    from vinpaint.errors import OutputError
    from vinpaint.studio import create_app

    mine = tmp_path / "frames"
    mine.mkdir()
    (mine / "00000.png").write_bytes(b"my frame")
    with pytest.raises(OutputError, match="did not write"):
        create_app(studio_data, mine)
    assert sorted(path.name for path in mine.iterdir()) == ["00000.png"]


def test_a_studio_that_fails_to_start_leaves_no_work_folder(studio_data, tmp_path):
    from vinpaint.errors import VinpaintError
    from vinpaint.studio import create_app

    with pytest.raises(VinpaintError):
        create_app(studio_data, tmp_path / "work", segmenter=tmp_path / "missing_encoder.onnx")
    assert not (tmp_path / "work").exists()
