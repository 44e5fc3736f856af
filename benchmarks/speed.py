"""Speed of ``vinpaint remove`` end to end, through the CLI, on clips with realistic holes.

Each run is a separate process timed from launch to the written file, with its peak resident memory
(``os.wait4``), against the floor of the same clip decoded and encoded again with vinpaint's own
reader and writer, and per-frame Telea (``--engine perframe``), all in the same run.  The PSNR of each
output against the clean clip is reported beside its speed, so speed is never bought with hidden loss.
Each run is first made once, untimed, on 4 frames: a checkout compiles its numba kernels on its first
run after a change, and that would be timed as its speed.

    python benchmarks/speed.py                              # 432x240 and 854x480, 60 frames
    python benchmarks/speed.py --sizes 1920x1080 --frames 30
    python benchmarks/speed.py --runs floor,default          # a subset of the runs
    python benchmarks/speed.py --before ../old/src           # also the default of another checkout

Clips (made from ``../shared/data``, written by a separate process so that this one holds no frames):

* ``completion``: the paragliding clip with the tennis clip's masks over it (8-14 % of the frame,
  dilated by 4 px), painted grey: a moving hole over a panning camera;
* ``paste``: the schoolgirls pasted with a soft edge over the bear clip (9-12 %), removed with their
  binary masks (``vinpaint remove``'s default growth).

Both are resized to each size (1920x1080 is upscaled from 854x480 footage).  ``--frames`` beyond a
clip's length play it backwards, then forwards again.  Start-up is the time
from launch to the first frame decoded (``--debug``'s "first frame decoded" line).  Never time this
while anything else runs on the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
VINPAINT = str(Path(sys.executable).with_name("vinpaint"))

#: name -> extra ``vinpaint remove`` arguments (``floor`` is the decode + encode copy, not vinpaint remove;
#: ``before``, with ``--before``, is the default of another checkout)
RUNS = {
    "floor": None,
    "telea": ["--engine", "perframe"],
    "fast": ["--preset", "fast"],
    "default": [],
}


def _back_and_forth(frames, masks, count: int):
    """``count`` frames (and masks) of a clip played forwards, backwards, forwards... (the camera pans
    back): a clip longer than the shared ones, whose later windows show the gain of the ones before."""
    import numpy as np

    order = np.concatenate([np.arange(len(frames)), np.arange(len(frames) - 2, 0, -1)])
    order = np.resize(order, count)
    return frames[order], None if masks is None else masks[order]


def prepare(work: Path, data: Path, size: str, frames: int) -> int:
    """Write ``work/CASE/input.mp4``, ``masks/`` and ``truth.npy`` for each case at ``size``."""
    import cv2
    import numpy as np

    from vinpaint.bench import suite as bench
    from vinpaint.io import encode_frames
    from vinpaint.io.masks import write_mask_folder

    width, height = (int(v) for v in size.split("x"))
    clips = {clip.name: clip for clip in bench.discover_clips(data)}
    loaded = {name: _back_and_forth(*bench.read_clip(clips[name], frames), frames)
              for name in ("paragliding", "tennis", "schoolgirls", "bear")}

    def resized(clip: np.ndarray, interpolation=cv2.INTER_AREA) -> np.ndarray:
        if clip.shape[1:3] == (height, width):
            return clip
        grow = width > clip.shape[2]
        return np.stack([cv2.resize(f, (width, height), interpolation=cv2.INTER_CUBIC if grow else interpolation)
                         for f in clip])

    completion = bench.make_completion_case("completion", resized(loaded["paragliding"][0]), loaded["tennis"][1])
    paste = bench.make_paste_case("paste", resized(loaded["bear"][0]), *loaded["schoolgirls"], size=(width, height))
    for case in (completion, paste):
        folder = work / case.name
        folder.mkdir(parents=True)
        encode_frames(np.ascontiguousarray(case.frames), folder / "input.mp4")
        write_mask_folder(case.masks, folder / "masks", overwrite=True)
        np.save(folder / "truth.npy", case.truth)
        np.save(folder / "scored.npy", case.masks if case.affected is None else case.affected)
    return 0


def copy(source: Path, target: Path) -> int:
    """The floor: decode ``source`` and encode it to ``target`` with vinpaint's reader and writer."""
    from vinpaint.io import open_video
    from vinpaint.io.writers import open_writer

    video = open_video(source)
    with open_writer(target, video.info) as writer:
        for frame in video:
            writer.write(frame.image, frame.pts)
    return 0


def score(output: Path, folder: Path) -> int:
    """Print the PSNR of ``output`` against the case's clean clip, whole frame and where the hole was."""
    import numpy as np

    from vinpaint.evaluate.metrics import psnr
    from vinpaint.io import read_frames

    truth = np.load(folder / "truth.npy")
    result = read_frames(output, 0, len(truth) - 1)
    scored = np.load(folder / "scored.npy")
    print(json.dumps({"psnr": psnr(result, truth), "psnr_hole": psnr(result, truth, scored)}))
    return 0


def timed(command: list[str], environment: dict | None = None) -> dict:
    """Run ``command``; its wall seconds, seconds to the first frame decoded, peak RSS (MB) and status."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                               env=environment)
    first = {}
    tail: list[str] = []

    def watch() -> None:
        for line in process.stderr:
            if "first frame decoded" in line and "seconds" not in first:
                first["seconds"] = time.perf_counter() - start
            tail[:] = (tail + [line])[-20:]

    reader = threading.Thread(target=watch)
    reader.start()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    reader.join()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.stderr.write("".join(tail))
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
    return {"seconds": seconds, "startup": first.get("seconds"), "peak_mb": usage.ru_maxrss * scale / 2**20,
            "status": os.waitstatus_to_exitcode(status)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--sizes", default="432x240,854x480")
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--runs", default=",".join(RUNS), help=f"comma-separated, of {', '.join(RUNS)}")
    parser.add_argument("--cases", default="completion,paste")
    parser.add_argument("--before", type=Path, default=None,
                        help="the src folder of another checkout: its default is timed too, as 'before'")
    parser.add_argument("--out", type=Path, default=Path("bench-output"))
    parser.add_argument("--prepare", nargs=2, metavar=("FOLDER", "SIZE"), help=argparse.SUPPRESS)
    parser.add_argument("--copy", nargs=2, type=Path, metavar=("IN", "OUT"), help=argparse.SUPPRESS)
    parser.add_argument("--score", nargs=2, type=Path, metavar=("OUTPUT", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.prepare:
        return prepare(Path(args.prepare[0]), args.data, args.prepare[1], args.frames)
    if args.copy:
        return copy(*args.copy)
    if args.score:
        return score(*args.score)

    runs = [r for r in args.runs.split(",") if r]
    unknown = sorted(set(runs) - set(RUNS))
    if args.before is not None:
        runs.append("before")
    if unknown:
        parser.error(f"unknown runs {', '.join(unknown)}; choose from {', '.join(RUNS)}")
    rows = []
    with tempfile.TemporaryDirectory(prefix="vinpaint-speed-") as workdir:
        for size in args.sizes.split(","):
            work = Path(workdir) / size
            writer = [sys.executable, __file__, "--prepare", str(work), size, "--data", str(args.data),
                      "--frames", str(args.frames)]
            if subprocess.run(writer).returncode != 0:
                return 2

            def command_of(run: str, folder: Path, output: Path, *extra: str) -> tuple[list[str], dict | None]:
                if run == "floor":
                    return [sys.executable, __file__, "--copy", str(folder / "input.mp4"), str(output)], None
                command = [VINPAINT, "--debug", "remove", str(folder / "input.mp4"), "--mask", str(folder / "masks"),
                           "-o", str(output), "--quiet", *RUNS.get(run, []), *extra]
                # the other checkout's package first on the path
                return command, {**os.environ, "PYTHONPATH": str(args.before.resolve())} if run == "before" else None

            # untimed, on a few frames, once: each checkout compiles its numba kernels on its first run after
            # a change, and that is not its speed
            first = work / args.cases.split(",")[0]
            for run in runs if size == args.sizes.split(",")[0] else ():
                if run == "floor":
                    continue
                command, environment = command_of(run, first, first / f"warm-up-{run}.mp4", "--frames", "0-3")
                warm = subprocess.run(command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                if warm.returncode != 0:
                    print(f"{run} failed on its warm-up run:\n{warm.stderr}", file=sys.stderr)
                    return 1
            for case in args.cases.split(","):
                folder = work / case
                for run in runs:
                    output = folder / f"{run}.mp4"
                    command, environment = command_of(run, folder, output)
                    print(f"{size} {case}: {run}...", file=sys.stderr, flush=True)
                    measured = timed(command, environment)
                    if measured["status"] != 0:
                        print(f"{run} failed with status {measured['status']}", file=sys.stderr)
                        return 1
                    scored = subprocess.run([sys.executable, __file__, "--score", str(output), str(folder)],
                                            capture_output=True, text=True, check=True)
                    rows.append({"size": size, "case": case, "run": run, "frames": args.frames, **measured,
                                 **json.loads(scored.stdout)})
    text = markdown(rows)
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "speed.md").write_text(text + "\n")
    (args.out / "speed.json").write_text(json.dumps(rows, indent=1) + "\n")
    return 0


def markdown(rows: list[dict]) -> str:
    """The table: frames/s, share of the floor's speed, start-up, peak memory and PSNR of each run."""
    floors = {(r["size"], r["case"]): r["seconds"] for r in rows if r["run"] == "floor"}
    lines = ["| size | case | run | frames/s | x floor time | start-up (s) | peak MB | PSNR (dB) | PSNR hole (dB) |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        floor = floors.get((r["size"], r["case"]))
        ratio = f"{r['seconds'] / floor:.1f}" if floor else "-"
        startup = f"{r['startup']:.2f}" if r["startup"] is not None else "-"
        lines.append(f"| {r['size']} | {r['case']} | {r['run']} | {r['frames'] / r['seconds']:.1f} | {ratio} | "
                     f"{startup} | {r['peak_mb']:.0f} | {r['psnr']:.2f} | {r['psnr_hole']:.2f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
