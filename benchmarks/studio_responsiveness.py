"""How quickly the studio answers on a real clip: a click, a box, the quick preview, tracking's progress.

Runs the studio in-process (FastAPI's TestClient, no browser) over ``../shared/data/bear`` (854x480,
82 frames) and prints, for frame 40:

- the time of one click on the bear and of a box around it, and the share of the frame each selects;
- the quick preview (the page's default: 12 frames around frame 40, fast preset, half size), from
  the request to its first result frame on disk and to its end, after a "same mask everywhere" job;
- tracking frames 30-50 from the box's mask: how many progress reports and the longest gap between
  two of them (a bound on how long a cancel waits).

Usage: ``nice -n 10 .venv/bin/python benchmarks/studio_responsiveness.py [--data ../shared/data/bear]``.
Times depend on the machine's load: note it with the figures.
"""

from __future__ import annotations

import argparse
import io
import os
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

CLICK = (300, 310)       # on the bear's body, frame 40
BOX = (105, 225, 478, 472)  # around the bear, frame 40
FRAME = 40


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "bear")
    parser.add_argument("--save", type=Path, help="write the click's and the box's masks as PNGs into this folder")
    args = parser.parse_args()
    from fastapi.testclient import TestClient

    from vinpaint.studio import create_app

    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as work, \
            TestClient(create_app(args.data, Path(work) / "work"), base_url="http://127.0.0.1") as client:
        started = time.monotonic()
        clip = client.post("/api/clips", json={"entry": "bear.mp4"}).json()
        print(f"open: {time.monotonic() - started:.1f} s ({clip['frame_count']} frames of {clip['width']}x{clip['height']})")
        pixels = clip["width"] * clip["height"]
        masks = {}
        for name, body in (("click", {"points": [{"x": CLICK[0], "y": CLICK[1]}]}), ("box", {"box": list(BOX)})):
            started = time.monotonic()
            response = client.post(f"/api/clips/{clip['id']}/segment", json={"frame": FRAME, **body})
            seconds = time.monotonic() - started
            response.raise_for_status()
            masks[name] = np.asarray(Image.open(io.BytesIO(response.content)))[..., 3] > 0
            inside = masks[name][BOX[1]:BOX[3], BOX[0]:BOX[2]].mean()
            print(f"{name}: {seconds:.2f} s, {masks[name].sum() / pixels * 100:.1f} % of the frame, "
                  f"{inside * 100:.0f} % of the box around the bear")
            if args.save:
                args.save.mkdir(parents=True, exist_ok=True)
                Image.fromarray(masks[name].astype(np.uint8) * 255).save(args.save / f"bear-{name}.png")
        buffer = io.BytesIO()
        Image.fromarray(masks["box"].astype(np.uint8) * 255).save(buffer, format="PNG")
        client.put(f"/api/clips/{clip['id']}/keyframes/{FRAME}", content=buffer.getvalue()).raise_for_status()
        job = client.post(f"/api/clips/{clip['id']}/masks", json={"method": "static", "frame": FRAME}).json()
        while job["state"] in ("queued", "running"):
            time.sleep(0.05)
            job = client.get(f"/api/jobs/{job['id']}").json()

        started = time.monotonic()
        job = client.post(f"/api/clips/{clip['id']}/preview", json={"first": FRAME - 6, "count": 12}).json()
        frames = Path(work) / "work" / "jobs" / job["id"] / "frames"
        first_frame = None
        while job["state"] in ("queued", "running"):
            if first_frame is None and frames.is_dir() and any(frames.glob("*.jpg")):
                first_frame = time.monotonic() - started
            time.sleep(0.02)
            job = client.get(f"/api/jobs/{job['id']}").json()
        total = time.monotonic() - started
        first_frame = first_frame if first_frame is not None else total
        print(f"quick preview ({job['state']}): first frame after {first_frame:.1f} s, done after {total:.1f} s "
              f"(fill {job['result']['seconds']} s), grades {job['result']['grades']}")

        studio = client.app.state.studio
        reports: list[float] = []
        original = studio.jobs._report
        studio.jobs._report = lambda *a, **k: (reports.append(time.monotonic()), original(*a, **k))
        started = time.monotonic()
        job = client.post(f"/api/clips/{clip['id']}/masks", json={"method": "track", "first": 30, "last": 50}).json()
        while job["state"] in ("queued", "running"):
            time.sleep(0.05)
            job = client.get(f"/api/jobs/{job['id']}").json()
        gaps = np.diff([started, *reports, time.monotonic()])
        print(f"tracking frames 30-50 ({job['state']}): {time.monotonic() - started:.1f} s, {len(reports)} progress "
              f"reports, longest gap {gaps.max():.1f} s")


if __name__ == "__main__":
    main()
