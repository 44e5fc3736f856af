"""The studio end to end in a real headless Chromium: open, click the object, preview, run, download.

Needs Debian's ``chromium`` (``apt-get install chromium``; ``.ci/run`` installs it) and Playwright for
Python (the ``dev`` extra).  Playwright drives the system browser: never ``playwright install``.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
import zipfile
from pathlib import Path

import pytest

from vinpaint.io import open_video
from vinpaint.testing.synthetic import make_panning_clip

from .conftest import write_clip

pytestmark = pytest.mark.browser

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
FRAMES = 24
JOB_TIMEOUT_MS = 30_000


def _chromium() -> str:
    path = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if path is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium; .ci/run installs it)")
    return path


@pytest.fixture(scope="module")
def clip():
    return make_panning_clip(frames=FRAMES)  # 96x72, a square moving over a panning texture


@pytest.fixture(scope="module")
def server(tmp_path_factory, clip):
    """The studio on 127.0.0.1 and a free port, in a thread, over a data folder holding ``clip.mp4``."""
    pytest.importorskip("fastapi", reason="the studio needs the web extra: pip install 'vinpaint[web]'")
    import uvicorn

    from vinpaint.studio import create_app

    root = tmp_path_factory.mktemp("browser")
    (root / "data").mkdir()
    write_clip(root / "data" / "clip.mp4", clip.frames)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(root / "data", root / "work"), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, name="studio-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the studio server did not start within 20 s")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(15)


@pytest.fixture(scope="module")
def browser():
    executable = _chromium()
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (the dev extra)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, timeout=60_000)
        yield browser
        browser.close()


@pytest.fixture()
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    yield page
    context.close()


def run_job(page, button: str, kind: str) -> str:
    """Click ``button`` and wait until the job it starts (a ``kind`` job) is final; return its state."""
    previous = page.get_attribute("#job-state", "data-job")
    page.click(button)
    page.wait_for_function(
        """([kind, previous]) => { const s = document.getElementById('job-state');
            return s.dataset.kind === kind && s.dataset.job !== previous
                   && !['queued', 'running'].includes(s.dataset.state); }""",
        arg=[kind, previous], timeout=JOB_TIMEOUT_MS)
    return page.get_attribute("#job-state", "data-state")


def click_on_video(page, x: float, y: float, width: int, height: int) -> None:
    box = page.locator("#marks-canvas").bounding_box()
    page.mouse.click(box["x"] + x * box["width"] / width, box["y"] + y * box["height"] / height)


def test_open_click_preview_run_download(page, server, clip, tmp_path):
    _, height, width = clip.masks.shape
    page.goto(server)
    page.wait_for_selector("body[data-ready='1']")

    # open the clip from the data folder
    page.select_option("#data-select", "clip.mp4")
    page.click("#open-data")
    page.wait_for_function("document.getElementById('frame-img').naturalWidth === 96")
    assert page.inner_text("#frame-label") == f"0 / {FRAMES - 1}"

    # select the object on frame 0 by clicking it
    ys, xs = clip.masks[0].nonzero()
    page.click("[data-tool=point-pos]")
    click_on_video(page, xs.mean(), ys.mean(), width, height)
    page.wait_for_function("document.getElementById('keyframes').textContent.trim() === '0'")

    # masks for every frame, shown over a later frame
    assert run_job(page, "#track", "masks") == "done", page.inner_text("#job-state")
    page.fill("#frame-slider", "12")
    page.dispatch_event("#frame-slider", "input")
    page.wait_for_function("document.getElementById('mask-img').naturalWidth === 96")

    # preview the first frames: the side-by-side view shows the result
    page.fill("#preview-count", "6")
    assert run_job(page, "#preview", "preview") == "done", page.inner_text("#job-state")
    page.wait_for_function("document.getElementById('result-img').naturalWidth === 96")
    assert "Preview of frames 0–5" in page.inner_text("#result-info")

    # run the whole clip, then compare with the slider
    assert run_job(page, "#run", "remove") == "done", page.inner_text("#job-state")
    page.wait_for_function("document.getElementById('compare-img').naturalWidth === 96")
    assert page.locator("#metrics tr[data-metric=q]").count() == 1

    # download the video and the masks
    with page.expect_download() as download:
        page.click("#download-video")
    video = tmp_path / "result.mp4"
    download.value.save_as(video)
    assert open_video(video).info.frame_count == FRAMES
    with page.expect_download() as download:
        page.click("#download-masks")
    masks = tmp_path / "masks.zip"
    download.value.save_as(masks)
    assert len(zipfile.ZipFile(masks).namelist()) == FRAMES
    assert page.errors == []


def test_a_bad_upload_shows_the_servers_reason(page, server, tmp_path):
    page.goto(server)
    page.wait_for_selector("body[data-ready='1']")
    fake = tmp_path / "fake.mp4"
    fake.write_bytes(b"not a video at all" * 50)
    page.set_input_files("#upload-input", str(fake))
    page.wait_for_function("document.getElementById('status').className === 'error'")
    assert "not a video or image vinpaint can read" in page.inner_text("#status")
    assert page.errors == []
