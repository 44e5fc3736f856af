"""Issue 11: the studio names no server path, keeps a Host allowlist on 0.0.0.0, serve's work-folder
errors exit 2, and the warping error sums the colour channels as Lai et al. define it."""

from __future__ import annotations

import socket

import numpy as np
import pytest
from click.testing import CliRunner

from vinpaint.cli import main
from vinpaint.evaluate.metrics import TemporalReference, warping_errors

pytest.importorskip("fastapi")


@pytest.fixture()
def studio(tmp_path):
    """A TestClient of a studio without a data folder, on the loopback name."""
    from fastapi.testclient import TestClient

    from vinpaint.studio import create_app

    with TestClient(create_app(None, tmp_path / "work"), base_url="http://127.0.0.1") as client:
        yield client


# --- the page never names a path ---------------------------------------------------------------------------


def test_upload_of_garbage_bytes_gives_an_error_without_paths_or_errno(studio, tmp_path):
    garbage = np.random.default_rng(0).integers(0, 256, 4000, dtype=np.uint8).tobytes()
    response = studio.post("/api/clips/upload", params={"filename": "holiday.mp4"}, content=garbage)
    assert response.status_code == 415
    detail = response.json()["detail"]
    assert "/" not in detail and "\\" not in detail and str(tmp_path) not in detail
    assert "Errno" not in detail
    assert "holiday.mp4" in detail and "could not be read as a video or image" in detail


def test_public_message_cuts_paths_to_their_last_part_and_drops_errno():
    from vinpaint.studio.app import public_message

    text = "[Errno 2] No such file or directory: '/srv/my videos/a.mp4'; mask folder /data/x/masks: 3 images"
    assert public_message(text) == "No such file or directory: 'a.mp4'; mask folder masks: 3 images"
    assert public_message("pick one listed by GET /api/data") == "pick one listed by GET /api/data"


def test_a_failed_jobs_error_reaches_the_page_without_paths():
    from vinpaint.studio.app import job_info
    from vinpaint.studio.queue import Job

    job = Job(id="0" * 32, kind="remove", clip_id=None, state="failed",
              error="cannot write /home/me/vinpaint-studio/jobs/x/result.mp4: [Errno 28] No space left on device")
    assert job_info(job).error == "cannot write result.mp4: No space left on device"


# --- Host allowlist and printed address on a wildcard address ----------------------------------------------


def test_allowlist_for_0_0_0_0_names_this_machine_and_is_not_a_wildcard():
    from vinpaint.cli.serve import allowed_hosts

    hosts = allowed_hosts("0.0.0.0")
    assert "*" not in hosts
    assert {socket.gethostname().lower(), "127.0.0.1", "localhost", "[::1]"} <= set(hosts)


def test_allow_host_values_join_the_allowlist_and_a_bare_star_is_refused():
    from vinpaint.cli.serve import allowed_hosts
    from vinpaint.errors import InvalidOptionError

    assert {"studio.lan", "*.lan"} <= set(allowed_hosts("0.0.0.0", ["studio.lan", "*.lan"]))
    with pytest.raises(InvalidOptionError, match="not a host name"):
        allowed_hosts("0.0.0.0", ["*"])


def test_studio_on_0_0_0_0_refuses_another_host_name(tmp_path):
    from fastapi.testclient import TestClient

    from vinpaint.cli.serve import allowed_hosts
    from vinpaint.studio import create_app

    app = create_app(None, tmp_path / "work", allowed_hosts=allowed_hosts("0.0.0.0"))
    with TestClient(app) as client:
        assert client.get("/api/clips", headers={"host": "evil.example"}).status_code == 400
        assert client.get("/api/clips", headers={"host": f"{socket.gethostname()}:8000"}).status_code == 200


def test_serve_on_0_0_0_0_prints_addresses_to_open_not_0_0_0_0(monkeypatch, tmp_path):
    import uvicorn

    def run_nothing(self, sockets=None):
        for sock in sockets or ():
            sock.close()

    monkeypatch.setattr(uvicorn.Server, "run", run_nothing)
    result = CliRunner().invoke(main, ["serve", "--host", "0.0.0.0", "--port", "0", "--work", str(tmp_path / "w")])
    assert result.exit_code == 0, result.output
    first = result.stdout.splitlines()[0]
    assert first.startswith("vinpaint studio: http://127.0.0.1:")
    assert f"http://{socket.gethostname()}:" in result.stdout
    assert "http://0.0.0.0" not in result.output


# --- serve --work FILE ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("below", [False, True], ids=["file", "folder-under-a-file"])
def test_serve_with_a_file_as_work_folder_exits_2_in_one_line(tmp_path, below):
    file = tmp_path / "work.txt"
    file.write_text("not a folder")
    work = file / "sub" if below else file
    result = CliRunner().invoke(main, ["serve", "--port", "0", "--work", str(work)])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert str(work) in lines[0] and "Traceback" not in result.output
    assert file.read_text() == "not a folder"


# --- warping error: Lai et al.'s sum over channels ----------------------------------------------------------


def test_warping_error_sums_the_squared_difference_over_the_channels():
    # two static 8x8 frames; frame 1 is 3, 6 and 9 levels brighter in R, G and B; zero flow.
    # Lai et al.: mean over valid pixels of ||V_0 - W(V_1)||² on [0,1] values = (3² + 6² + 9²) / 255².
    frames = np.full((2, 8, 8, 3), 100, np.uint8)
    frames[1] += np.array([3, 6, 9], np.uint8)
    frames[1, :, 4:] = 255  # these pixels are marked occluded: they must not count
    valid = np.zeros((1, 8, 8), bool)
    valid[0, :, :4] = True
    reference = TemporalReference(np.zeros((1, 8, 8, 2), np.float32), valid)
    squared, absolute = warping_errors(frames, reference)
    assert squared[0] == pytest.approx((3**2 + 6**2 + 9**2) / 255**2, rel=1e-12)
    assert absolute[0] == pytest.approx(6.0, rel=1e-12)  # flicker stays a per-channel mean in 0-255
