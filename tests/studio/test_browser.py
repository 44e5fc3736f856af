"""The studio end to end in a real headless Chromium: open, click the object, preview, run, download;
progress and cancel, undo, the before/after split, disabled buttons, messages, frame folders.

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

from vinpaint.io import open_video, write_png
from vinpaint.testing.synthetic import make_panning_clip

from .conftest import write_clip

pytestmark = pytest.mark.browser

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
FRAMES = 24
LONG_FRAMES = 40
JOB_TIMEOUT_MS = 60_000


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
    for name in ("blank", "undo", "preset", "split"):  # one clip per test: a clip keeps its masks between tests
        write_clip(root / "data" / f"{name}.mp4", clip.frames)
    # long enough that a job's progress is seen between polls (and a run is still going when cancelled)
    write_clip(root / "data" / "long.mp4", make_panning_clip(frames=LONG_FRAMES, height=240, width=320,
                                                             object_size=48).frames)
    folder = root / "data" / "shot" / "frames"
    folder.mkdir(parents=True)
    for index, frame in enumerate(clip.frames[:8]):
        write_png(folder / f"{index:05d}.png", frame)
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

    # a quick preview of the frames around frame 12: the side-by-side view shows the result
    assert run_job(page, "#preview", "preview") == "done", page.inner_text("#job-state")
    page.wait_for_function("document.getElementById('result-img').naturalWidth === 96")
    assert "Quick preview of frames 6–17" in page.inner_text("#result-info")

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
    page.wait_for_selector("#open-error:not([hidden])")
    message = page.inner_text("#open-error")
    assert "fake.mp4 is not a video or image vinpaint can read" in message
    assert "/" not in message and "Errno" not in message and str(tmp_path) not in message
    # the next action clears it
    page.click("[data-view=edit]")
    assert page.locator("#open-error").is_hidden()
    assert page.errors == []


def open_entry(page, server, entry: str, width: int) -> None:
    page.goto(server)
    page.wait_for_selector("body[data-ready='1']")
    page.select_option("#data-select", entry)
    page.dispatch_event("#data-select", "change")
    page.click("#open-data")
    page.wait_for_function(f"document.getElementById('frame-img').naturalWidth === {width}")


def record_progress(page) -> None:
    """Collect every progress count the page shows (``window.seen``), as it shows them."""
    page.evaluate("""() => { window.seen = [];
        new MutationObserver(() => { const s = document.getElementById('job-state');
            if (s.dataset.state === 'running') window.seen.push([s.dataset.phase, Number(s.dataset.done)]); })
          .observe(document.getElementById('job-state'), {attributes: true, childList: true}); }""")


def mask_with_a_box(page, x0: float, y0: float, x1: float, y1: float, width: int, height: int) -> None:
    box = page.locator("#marks-canvas").bounding_box()
    sx, sy = box["width"] / width, box["height"] / height
    page.click("[data-tool=brush]")
    page.fill("#brush-size", "120")
    page.mouse.move(box["x"] + x0 * sx, box["y"] + y0 * sy)
    page.mouse.down()
    for step in range(11):
        page.mouse.move(box["x"] + (x0 + (x1 - x0) * step / 10) * sx, box["y"] + (y0 + (y1 - y0) * step / 10) * sy)
    page.mouse.up()
    page.wait_for_function("document.getElementById('keyframes').textContent.trim() === '0'")


def test_buttons_are_disabled_until_a_clip_is_open(page, server):
    page.goto(server)
    page.wait_for_selector("body[data-ready='1']")
    for button in ("#track", "#preview", "#preview-full", "#run", "#undo", "[data-tool=point-pos]"):
        assert page.is_disabled(button), button
        assert "open a clip first" in page.get_attribute(button, "title"), button
    open_entry(page, server, "blank.mp4", 96)
    assert page.is_enabled("[data-tool=point-pos]")
    assert page.is_disabled("#track") and "mark the object" in page.get_attribute("#track", "title")
    assert page.is_disabled("#run") and "make masks" in page.get_attribute("#run", "title")
    assert page.errors == []


def test_undo_and_redo_of_a_point(page, server, clip):
    _, height, width = clip.masks.shape
    open_entry(page, server, "undo.mp4", 96)
    ys, xs = clip.masks[0].nonzero()
    page.click("[data-tool=point-pos]")
    click_on_video(page, xs.mean(), ys.mean(), width, height)
    page.wait_for_function("document.getElementById('marks-canvas').dataset.points === '1'")
    page.wait_for_function("!document.getElementById('undo').disabled")
    click_on_video(page, 80, 60, width, height)  # a second point, on the background
    page.wait_for_function("document.getElementById('marks-canvas').dataset.points === '2'")
    # the "selecting…" toast hides when the segmentation is back (slow on a loaded machine: it reads frames
    # and computes their motion)
    page.wait_for_function("document.getElementById('toast').hidden", timeout=JOB_TIMEOUT_MS)
    page.keyboard.press("Control+z")
    page.wait_for_function("document.getElementById('marks-canvas').dataset.points === '1'")
    page.keyboard.press("Control+z")
    page.wait_for_function("document.getElementById('marks-canvas').dataset.points === '0'")
    page.wait_for_function("document.getElementById('keyframes').textContent.trim() === 'none'")
    page.keyboard.press("Control+Shift+z")
    page.wait_for_function("document.getElementById('marks-canvas').dataset.points === '1'")
    page.wait_for_function("document.getElementById('keyframes').textContent.trim() === '0'")
    assert page.errors == []


def slow_down_progress(monkeypatch, seconds: float = 0.15) -> None:
    """Hold each progress report ``seconds`` in the job's thread, so every count outlasts a page poll.

    Without it a fast machine finishes the 12-frame quick preview between two polls and the page
    never shows a count between 0 and 12 (a correct page, but nothing for the test to see).
    """
    from vinpaint.studio.queue import JobProgress

    report = JobProgress.__call__

    def held(self, done, total=None):
        report(self, done, total)
        time.sleep(seconds)

    monkeypatch.setattr(JobProgress, "__call__", held)


def test_progress_advances_during_tracking_preview_and_run(page, server, monkeypatch):
    slow_down_progress(monkeypatch)
    open_entry(page, server, "long.mp4", 320)
    mask_with_a_box(page, 30, 30, 300, 220, 320, 240)
    record_progress(page)
    assert run_job(page, "#track", "masks") == "done", page.inner_text("#job-state")
    tracked = page.evaluate("window.seen")
    assert len({done for _, done in tracked}) >= 5, tracked
    record_progress(page)
    assert run_job(page, "#preview", "preview") == "done", page.inner_text("#job-state")
    previewed = page.evaluate("window.seen")
    assert any(phase == "filling" and 0 < done < 12 for phase, done in previewed), previewed
    record_progress(page)
    assert run_job(page, "#run", "remove") == "done", page.inner_text("#job-state")
    filled = [done for phase, done in page.evaluate("window.seen") if phase == "filling"]
    assert len(set(filled)) >= 5 and max(filled) <= LONG_FRAMES, filled
    assert page.errors == []


def test_cancel_stops_a_run_within_two_seconds_and_says_so_once(page, server):
    open_entry(page, server, "long.mp4", 320)
    if page.is_disabled("#run"):  # masks made by another test are kept with the clip
        mask_with_a_box(page, 30, 30, 300, 220, 320, 240)
        assert run_job(page, "#static", "masks") == "done"
    page.select_option("#preset", "quality")
    page.click("#run")
    page.wait_for_function("""() => { const s = document.getElementById('job-state');
        return s.dataset.kind === 'remove' && s.dataset.state === 'running' && s.dataset.phase === 'filling'
               && Number(s.dataset.done) > 0; }""", timeout=JOB_TIMEOUT_MS)
    started = time.monotonic()
    page.click("#cancel")
    assert page.inner_text("#job-state").endswith("cancelling…")
    page.wait_for_function("document.getElementById('job-state').dataset.state === 'cancelled'", timeout=10_000)
    assert time.monotonic() - started < 2.0
    assert page.inner_text("#job-state") == "Run cancelled"
    assert page.errors == []


def test_the_preset_reaches_the_job(page, server, clip):
    open_entry(page, server, "preset.mp4", 96)
    if page.is_disabled("#preview-full"):
        mask_with_a_box(page, 10, 10, 60, 50, 96, 72)
        assert run_job(page, "#static", "masks") == "done"
    page.select_option("#preset", "fast")
    assert run_job(page, "#preview-full", "preview") == "done", page.inner_text("#job-state")
    job = page.evaluate("fetch('/api/jobs/' + document.getElementById('job-state').dataset.job).then(r => r.json())")
    assert job["params"]["options"]["preset"] == "fast" and job["params"]["quality"] == "full"
    assert "fast preset" in page.inner_text("#result-info")
    assert page.errors == []


def test_the_split_line_follows_a_drag_on_the_picture(page, server, clip):
    open_entry(page, server, "split.mp4", 96)
    if page.is_disabled("#preview"):
        mask_with_a_box(page, 10, 10, 60, 50, 96, 72)
        assert run_job(page, "#static", "masks") == "done"
    assert run_job(page, "#preview", "preview") == "done"
    page.click("[data-view=slider]")
    page.wait_for_function("document.getElementById('compare-img').naturalWidth === 96")
    box = page.locator("#pane-a").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] / 2, steps=5)
    page.mouse.move(box["x"] + box["width"] * 0.2, box["y"] + box["height"] / 2, steps=5)
    page.mouse.up()
    assert abs(int(page.input_value("#split")) - 20) <= 1
    assert page.evaluate("document.getElementById('compare-img').style.clipPath") == f"inset(0px 0px 0px {page.input_value('#split')}%)"
    line = page.locator("#split-line").bounding_box()
    assert abs(line["x"] + line["width"] / 2 - (box["x"] + box["width"] * 0.2)) < 3
    assert page.errors == []


def test_a_frame_folder_keeps_its_frame_rate_in_the_result(page, server, tmp_path):
    page.goto(server)
    page.wait_for_selector("body[data-ready='1']")
    page.select_option("#data-select", "shot/frames")
    page.dispatch_event("#data-select", "change")
    assert page.is_visible("#fps")
    page.fill("#fps", "10")
    page.click("#open-data")
    page.wait_for_function("document.getElementById('frame-img').naturalWidth === 96")
    assert page.get_attribute("#clip-info", "data-fps") == "10"
    mask_with_a_box(page, 10, 10, 60, 50, 96, 72)
    assert run_job(page, "#static", "masks") == "done"
    assert run_job(page, "#run", "remove") == "done", page.inner_text("#job-state")
    assert page.is_visible("#download-video")  # in the viewer's toolbar
    with page.expect_download() as download:
        page.click("#download-video")
    video = tmp_path / "result.mp4"
    download.value.save_as(video)
    info = open_video(video).info
    assert (info.frame_count, float(info.fps)) == (8, 10.0)
    assert page.errors == []
