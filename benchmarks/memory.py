"""Peak memory of ``vinpaint remove`` on a clip and on the same clip 10x longer: it must stay flat.

Each run is a separate ``vinpaint remove`` process; its peak resident set size is read from the
kernel's accounting of that child (``os.wait4`` -> ``ru_maxrss``), so it includes everything the
process held: Python, NumPy, OpenCV, FFmpeg.

    python benchmarks/memory.py                      # 432x240, 80 and 800 frames
    python benchmarks/memory.py --size 854x480 --frames 48 --repeats 1,3,10

The longer clip is the short one played forwards and backwards in turn (a ping-pong), so the content
and the mask keep moving smoothly and the per-frame work is the same.

The clips are written by a separate process (``--prepare``), and this one imports neither NumPy nor
vinpaint: a child started from a process holding the frames would count that process's pages in its
own peak (fork shares them), which once made the 10x run look 25 % heavier than it is.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def ping_pong(array, repeat: int):
    """``array`` forwards, backwards, forwards... ``repeat`` times along the first axis."""
    import numpy as np

    parts = [array if i % 2 == 0 else array[::-1] for i in range(repeat)]
    return np.concatenate(parts)


def peak_rss_mb(command: list[str]) -> tuple[float, float, int]:
    """Run ``command``; return its peak RSS in MB, its wall seconds and its exit status."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
    return usage.ru_maxrss * scale / 2**20, time.perf_counter() - start, process.returncode


def prepare(work: Path, data: Path, size: str, frames: int, repeat: int) -> int:
    """Write ``work/input.mp4`` and ``work/masks/``: the clip of ``size``, ``repeat`` times as long."""
    import numpy as np

    from vinpaint.bench import suite as bench
    from vinpaint.io import encode_frames
    from vinpaint.io.masks import write_mask_folder

    clips = {f"{f.shape[2]}x{f.shape[1]}": (f, m) for f, m in bench.speed_clips(data, frames)}
    if size not in clips:
        print(f"no {size} clip with a mask in {data}", file=sys.stderr)
        return 2
    clip, masks = clips[size]
    work.mkdir(parents=True)
    encode_frames(np.ascontiguousarray(ping_pong(clip, repeat)), work / "input.mp4")
    write_mask_folder(ping_pong(masks, repeat), work / "masks", overwrite=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--size", default="432x240", choices=["432x240", "854x480"])
    parser.add_argument("--frames", type=int, default=80, help="frames of the short clip")
    parser.add_argument("--repeats", default="1,10",
                        help="clip lengths to measure, in multiples of --frames (comma-separated; default 1,10)")
    parser.add_argument("--engine", default="propagate")
    parser.add_argument("--out", type=Path, default=Path("bench-output"))
    parser.add_argument("--prepare", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.prepare:
        return prepare(args.prepare, args.data, args.size, args.frames, int(args.repeats))

    repeats = [int(r) for r in args.repeats.split(",") if r.strip()]
    vinpaint = str(Path(sys.executable).with_name("vinpaint"))
    rows = []
    with tempfile.TemporaryDirectory(prefix="vinpaint-memory-") as workdir:
        for repeat in repeats:
            work = Path(workdir) / f"x{repeat}"
            writer = [sys.executable, __file__, "--prepare", str(work), "--data", str(args.data), "--size", args.size,
                       "--frames", str(args.frames), "--repeats", str(repeat)]
            if subprocess.run(writer).returncode != 0:
                return 2
            count = args.frames * repeat
            print(f"removing {count} frames of {args.size}...", file=sys.stderr, flush=True)
            command = [vinpaint, "remove", str(work / "input.mp4"), "--mask", str(work / "masks"),
                       "-o", str(work / "out.mp4"), "--engine", args.engine, "--quiet"]
            peak, seconds, status = peak_rss_mb(command)
            if status != 0:
                print(f"vinpaint remove failed with status {status}", file=sys.stderr)
                return 1
            rows.append((count, peak, seconds))
    lines = [f"### Peak memory of `vinpaint remove` ({args.engine}, {args.size}, H.264 in and out)", "",
             "| frames | peak RSS (MB) | seconds | frames/s |", "|---|---|---|---|"]
    lines += [f"| {count} | {peak:.0f} | {seconds:.1f} | {count / seconds:.2f} |" for count, peak, seconds in rows]
    if len(rows) > 1:
        lines += ["", f"{rows[-1][0] / rows[0][0]:.0f}x longer clip: peak memory x{rows[-1][1] / rows[0][1]:.2f}"]
    text = "\n".join(lines)
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"memory-{args.size}.md").write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
