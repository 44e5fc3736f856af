"""The studio with painted reference frames (``/api/clips/{id}/references/{frame}``) and an ONNX segmenter."""

from __future__ import annotations

import io

import numpy as np
import pytest

pytest.importorskip("fastapi", reason="the studio needs the web extra: pip install 'vinpaint[web]'")
pytest.importorskip("httpx", reason="the studio's API tests need httpx")

from PIL import Image  # noqa: E402

from vinpaint.io import write_png  # noqa: E402
from vinpaint.testing.synthetic import make_texture  # noqa: E402

from .conftest import wait_for_job  # noqa: E402

FRAMES, HEIGHT, WIDTH = 8, 48, 64


def image_bytes(image: np.ndarray, fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format=fmt)
    return buffer.getvalue()


@pytest.fixture()
def still_shot(tmp_path):
    """A static textured shot with a grey block that never moves: ``(data folder, background, hole)``."""
    background = make_texture(HEIGHT, WIDTH, seed=7)
    hole = np.zeros((HEIGHT, WIDTH), bool)
    hole[16:32, 24:40] = True
    folder = tmp_path / "data" / "still" / "frames"
    folder.mkdir(parents=True)
    for index in range(FRAMES):
        frame = background.copy()
        frame[hole] = 128
        write_png(folder / f"{index:05d}.png", frame)
    return tmp_path / "data", background, hole


def make_client(data, work, **options):
    from fastapi.testclient import TestClient

    from vinpaint.studio import create_app

    return TestClient(create_app(data, work, **options), base_url="http://127.0.0.1")


def clip_with_hole(client, hole) -> dict:
    clip = client.post("/api/clips", json={"entry": "still/frames"}).json()
    mask = image_bytes(hole.astype(np.uint8) * 255)
    assert client.put(f"/api/clips/{clip['id']}/keyframes/0", content=mask).status_code == 200
    job = client.post(f"/api/clips/{clip['id']}/masks", json={"method": "static", "frame": 0}).json()
    assert wait_for_job(client, job)["state"] == "done"
    return clip


def hole_error(client, clip, background, hole) -> float:
    """Mean absolute error in the hole over frames 1.. of a full preview of the whole shot."""
    job = wait_for_job(client, client.post(f"/api/clips/{clip['id']}/preview",
                                           json={"count": FRAMES, "quality": "full"}).json())
    assert job["state"] == "done", job["error"]
    errors = []
    for index in range(1, FRAMES):
        result = np.asarray(Image.open(io.BytesIO(client.get(f"/api/jobs/{job['id']}/frames/{index}.jpg").content)))
        errors.append(np.abs(result[hole].astype(float) - background[hole]).mean())
    return float(np.mean(errors))


def test_painted_reference_fills_the_never_seen_hole(still_shot, tmp_path):
    data, background, hole = still_shot
    with make_client(data, tmp_path / "work") as client:
        clip = clip_with_hole(client, hole)
        without = hole_error(client, clip, background, hole)
        response = client.put(f"/api/clips/{clip['id']}/references/0", content=image_bytes(background))
        assert response.status_code == 200, response.text
        assert response.json()["references"] == [0]
        with_reference = hole_error(client, clip, background, hole)
    # the default fill invents texture (error ~ the texture's contrast); the reference is the truth,
    # carried to the other frames (what is left is the JPEG of the result frames)
    print(f"hole error: {without:.2f} without, {with_reference:.2f} with the reference")
    assert with_reference < 0.25 * without, (with_reference, without)
    assert with_reference < 10


def test_reference_of_the_wrong_size_is_422(still_shot, tmp_path):
    data, background, _ = still_shot
    with make_client(data, tmp_path / "work") as client:
        clip = client.post("/api/clips", json={"entry": "still/frames"}).json()
        response = client.put(f"/api/clips/{clip['id']}/references/0", content=image_bytes(background[:40]))
        assert response.status_code == 422
        assert "64x40" in response.json()["detail"] and "64x48" in response.json()["detail"]
        assert client.get(f"/api/clips/{clip['id']}").json()["references"] == []


def test_reference_jpeg_is_listed_served_and_removable(still_shot, tmp_path):
    data, background, _ = still_shot
    with make_client(data, tmp_path / "work") as client:
        clip = client.post("/api/clips", json={"entry": "still/frames"}).json()
        painted = image_bytes(background, "JPEG")
        assert client.put(f"/api/clips/{clip['id']}/references/3", content=painted).status_code == 200
        assert client.get(f"/api/clips/{clip['id']}").json()["references"] == [3]
        served = np.asarray(Image.open(io.BytesIO(client.get(f"/api/clips/{clip['id']}/references/3.png").content)))
        np.testing.assert_array_equal(served, np.asarray(Image.open(io.BytesIO(painted)).convert("RGB")))  # kept losslessly
        assert client.delete(f"/api/clips/{clip['id']}/references/3").json()["references"] == []
        assert client.get(f"/api/clips/{clip['id']}/references/3.png").status_code == 404


def test_reference_that_is_not_an_image_is_415(still_shot, tmp_path):
    data, _, _ = still_shot
    with make_client(data, tmp_path / "work") as client:
        clip = client.post("/api/clips", json={"entry": "still/frames"}).json()
        assert client.put(f"/api/clips/{clip['id']}/references/0", content=b"not an image").status_code == 415
        assert client.put(f"/api/clips/{clip['id']}/references/99", content=b"x").status_code == 404


def test_click_uses_the_onnx_segmenter(still_shot, tmp_path):
    pytest.importorskip("onnxruntime")
    from ..models.tiny_models import disc_segmenter_models

    data, _, _ = still_shot
    models = tmp_path / "models"
    models.mkdir()
    encoder, decoder = disc_segmenter_models(models, radius=8)
    with make_client(data, tmp_path / "work", segmenter=(encoder, decoder)) as client:
        assert client.get("/api/options").json()["segmenter"] == "disc_encoder.onnx"
        clip = client.post("/api/clips", json={"entry": "still/frames"}).json()
        response = client.post(f"/api/clips/{clip['id']}/segment", json={"frame": 2, "points": [{"x": 20, "y": 20}]})
        assert response.status_code == 200, response.text
    mask = np.asarray(Image.open(io.BytesIO(response.content)))[..., 3] > 0
    ys, xs = np.mgrid[0:HEIGHT, 0:WIDTH]
    np.testing.assert_array_equal(mask, (xs - 20) ** 2 + (ys - 20) ** 2 < 64)


def test_without_a_segmenter_the_options_name_none(still_shot, tmp_path):
    data, _, _ = still_shot
    with make_client(data, tmp_path / "work") as client:
        assert client.get("/api/options").json()["segmenter"] is None


def test_serve_refuses_a_decoder_without_a_segmenter(tmp_path):
    from click.testing import CliRunner

    from vinpaint.cli import main

    decoder = tmp_path / "decoder.onnx"
    decoder.write_bytes(b"")
    result = CliRunner().invoke(main, ["serve", "--decoder", str(decoder), "--work", str(tmp_path / "work")])
    assert result.exit_code == 2 and "--segmenter" in result.output
