"""Walk through the studio in headless Chromium on the bear and tennis clips; take the docs' screenshots.

Each step is shot at 1400x900 (``docs/img/studio-N-step.png``) and at 800x900, where the steps sit
below the viewer (``studio-N-step-narrow.png``, the whole page).  Prints each job's time as the page
saw it.  Needs Debian's ``chromium`` and Playwright (the ``dev`` extra).

Usage: ``nice -n 10 .venv/bin/python benchmarks/studio_walkthrough.py [--data ../shared/data] [--out docs/img]``.
"""

from __future__ import annotations

import argparse
import socket
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run"]
BOX = (105, 225, 478, 472)  # around the bear on frame 40 (854x480)


def serve(data: Path, work: Path) -> tuple[str, object]:
    import uvicorn

    from vinpaint.studio import create_app

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(data, work), host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", server


def shoot(page, out: Path, name: str) -> None:
    page.screenshot(path=str(out / f"studio-{name}.png"))
    page.set_viewport_size({"width": 800, "height": 900})
    page.wait_for_timeout(300)
    page.screenshot(path=str(out / f"studio-{name}-narrow.png"), full_page=True)
    page.set_viewport_size({"width": 1400, "height": 900})
    page.wait_for_timeout(300)


def wait_job(page, kind: str, timeout_s: float = 600) -> float:
    started = time.monotonic()
    page.wait_for_function(f"""() => {{ const s = document.getElementById('job-state');
        return s.dataset.kind === '{kind}' && !['queued', 'running'].includes(s.dataset.state); }}""",
                           timeout=timeout_s * 1000)
    return time.monotonic() - started


def goto_frame(page, frame: int) -> None:
    page.fill("#frame-slider", str(frame))
    page.dispatch_event("#frame-slider", "input")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as work, sync_playwright() as playwright:
        url, server = serve(args.data, Path(work))
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.set_default_timeout(600_000)
        page.goto(url)
        page.wait_for_selector("body[data-ready='1']")

        # 1: open the bear
        page.select_option("#data-select", "bear/bear.mp4")
        page.dispatch_event("#data-select", "change")
        page.click("#open-data")
        page.wait_for_function("document.getElementById('frame-img').naturalWidth === 854")
        goto_frame(page, 40)
        page.wait_for_timeout(500)
        page.evaluate("document.getElementById('open-section').open = true")
        shoot(page, args.out, "1-open")
        page.evaluate("document.getElementById('open-section').open = false")

        # 2: one box around the bear selects it (outline, hollow markers)
        page.click("[data-tool=box]")
        box = page.locator("#marks-canvas").bounding_box()
        scale = box["width"] / 854
        page.mouse.move(box["x"] + BOX[0] * scale, box["y"] + BOX[1] * scale)
        page.mouse.down()
        page.mouse.move(box["x"] + BOX[2] * scale, box["y"] + BOX[3] * scale, steps=8)
        page.mouse.up()
        page.wait_for_function("document.getElementById('keyframes').textContent.trim() === '40'")
        page.click("[data-tool=point-pos]")
        page.wait_for_timeout(500)
        shoot(page, args.out, "2-select")

        # 3: track frames 28-52, shot while it runs and when done
        page.fill("#mask-first", "28")
        page.fill("#mask-last", "52")
        page.click("#track")
        page.wait_for_function("Number(document.getElementById('job-state').dataset.done) > 3")
        page.wait_for_timeout(1500)
        shoot(page, args.out, "3-tracking")
        print(f"track frames 28-52: {wait_job(page, 'masks'):.1f} s after the shot")
        goto_frame(page, 50)
        page.wait_for_timeout(800)
        shoot(page, args.out, "4-tracked")

        # 5: the quick preview around frame 40
        goto_frame(page, 40)
        started = time.monotonic()
        page.click("#preview")
        print(f"quick preview: {wait_job(page, 'preview'):.1f} s (page, request to done; started {started:.0f})")
        page.wait_for_function("document.getElementById('result-img').naturalWidth > 0")
        page.wait_for_timeout(500)
        shoot(page, args.out, "5-preview")

        # 6: the whole clip, fast preset: progress, then the result with its downloads in the toolbar
        page.select_option("#preset", "fast")
        page.click("#run")
        page.wait_for_function("""() => { const s = document.getElementById('job-state');
            return s.dataset.kind === 'remove' && s.dataset.phase === 'filling' && Number(s.dataset.done) > 30; }""")
        page.wait_for_timeout(1500)
        shoot(page, args.out, "6-run")
        print(f"run (fast preset): {wait_job(page, 'remove'):.1f} s after the shot")
        goto_frame(page, 44)
        page.wait_for_function("document.getElementById('compare-img').naturalWidth === 854")
        page.wait_for_timeout(500)
        shoot(page, args.out, "7-result")

        # 8: tennis, a frame folder at its own frame rate, with its data-folder masks
        page.goto(url)
        page.wait_for_selector("body[data-ready='1']")
        page.select_option("#data-select", "tennis/frames")
        page.dispatch_event("#data-select", "change")
        page.fill("#fps", "15")
        page.click("#open-data")
        page.wait_for_function("document.getElementById('frame-img').naturalWidth === 432")
        page.click("#data-masks")
        wait_job(page, "masks")
        goto_frame(page, 35)
        page.click("#preview")
        print(f"tennis quick preview: {wait_job(page, 'preview'):.1f} s")
        page.wait_for_function("document.getElementById('result-img').naturalWidth > 0")
        page.wait_for_timeout(500)
        shoot(page, args.out, "8-tennis")
        browser.close()
        server.should_exit = True


if __name__ == "__main__":
    main()
