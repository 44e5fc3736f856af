"""Live mode through a pipe: ``vinpaint remove - --mask M --preset live -o -`` as a subprocess.

Clips: ``../shared/data`` bear and paragliding (clean, 854x480; area-resized to 432x240), played
forward then backward (no shot cut) to ``--frames`` frames.  Holes, fixed for the whole stream as a
live mask is (one image):

* ``logo``: a 20 % x 12 % rectangle in the top-right corner (about 2.4 % of the frame);
* ``region``: tennis' mask of frame 0 (the player and a band along a court line), resized to the
  clip and dilated by 4 pixels (about 10-13 % of the frame).

The hole is painted over the clean frames (flat white with a dark border, like a burnt-in logo);
the clean frames are the truth.  The input is piped as ``ffmpeg -i in.mp4 -c:v rawvideo -f nut -``
would pipe it (NUT, raw RGB frames, written here with PyAV); the output is read back from stdout.

Per clip, size and hole, in the same run:

* ``live``: ``--preset live``;
* ``floor``: the same pipe with an empty mask (decode, shot detection, encode: vinpaint's pipe overhead);
* ``telea``: per-frame Telea through the same pipe (``--engine perframe --fill telea``).

A short stream goes through the pipe first, unmeasured, so numba's one-off compilation of the live
kernel (cached after the first run) is not counted.  Reported: frames/s end to end (launch to the last frame out, start-up included) and steady (first
to last frame out), latency in frames (fed one frame at a time, each waited on: how many frames had
been written when the first frame came out), and PSNR in the filled region (the dilated hole)
against the clean clip, with per-frame Telea's beside it.

    python benchmarks/live.py                 # both clips, both sizes, both holes
    python benchmarks/live.py --quick         # bear only, 60 frames
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from vinpaint.composite import dilate_mask
from vinpaint.evaluate.metrics import psnr
from vinpaint.fill import fill_telea
from vinpaint.io import open_video, read_label_image, write_png

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
SIZES = {"432x240": (432, 240), "854x480": (854, 480)}
DILATE = 4  # vinpaint remove's default --dilate
#: seconds to wait for an output after each frame fed in the latency run (start-up waits longer)
SETTLE = 2.0


def vinpaint_command() -> list[str]:
    script = Path(sys.executable).parent / "vinpaint"
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from vinpaint.cli import main; sys.exit(main())"]


def load_clip(data: Path, name: str, size: tuple[int, int], frames: int) -> np.ndarray:
    """``(frames,H,W,3)`` uint8: the clip resized to ``size``, played forward then backward (no cut)."""
    clip = open_video(data / name / "frames").read_all()
    if clip.shape[2] != size[0]:
        clip = np.stack([cv2.resize(f, size, interpolation=cv2.INTER_AREA) for f in clip])
    order = np.concatenate([np.arange(len(clip)), np.arange(len(clip) - 2, 0, -1)])
    return clip[np.resize(order, frames)]


def make_hole(data: Path, kind: str, size: tuple[int, int]) -> np.ndarray:
    w, h = size
    if kind == "logo":
        hole = np.zeros((h, w), bool)
        hole[int(0.05 * h):int(0.17 * h), int(0.76 * w):int(0.96 * w)] = True
        return hole
    labels = read_label_image(data / "tennis" / "masks" / "00000.png") > 0
    return dilate_mask(cv2.resize(labels.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST) > 0, 4)


def paint(clean: np.ndarray, hole: np.ndarray) -> np.ndarray:
    frames = clean.copy()
    frames[:, hole] = (245, 245, 245)
    edge = hole & ~cv2.erode(hole.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    frames[:, edge] = (30, 30, 30)
    return frames


def nut_stream(frames: np.ndarray, fps: int = 25) -> tuple[bytes, list[int]]:
    """The frames as ``ffmpeg -c:v rawvideo -f nut -`` pipes them, and the byte offset after each frame."""
    buffer = io.BytesIO()
    ends = []
    with av.open(buffer, "w", format="nut", options={"flush_packets": "1"}) as container:
        stream = container.add_stream("rawvideo", rate=fps)
        stream.width, stream.height, stream.pix_fmt = frames.shape[2], frames.shape[1], "rgb24"
        stream.time_base = Fraction(1, fps)
        for index, image in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts, frame.time_base = index, Fraction(1, fps)
            for packet in stream.encode(frame):
                container.mux(packet)
            ends.append(buffer.tell())
    data = buffer.getvalue()
    ends[-1] = len(data)  # the trailer goes with the last frame
    return data, ends


@dataclass
class Run:
    frames: np.ndarray | None
    wall: float  # launch to the last frame out
    steady: float | None  # frames/s from the first frame out to the last
    latency: int | None  # frames written when the first frame came out (latency runs)
    stderr: str


class Reader(threading.Thread):
    """Decodes the subprocess' stdout as it comes, noting when each frame arrives."""

    def __init__(self, pipe) -> None:
        super().__init__(daemon=True)
        self.pipe, self.frames, self.times, self.error = pipe, [], [], None
        self.arrived = threading.Event()

    def run(self) -> None:
        try:
            with av.open(self.pipe, options={"probesize": "32", "analyzeduration": "1", "fpsprobesize": "0"}) as c:
                for frame in c.decode(video=0):
                    self.frames.append(frame.to_ndarray(format="rgb24"))
                    self.times.append(time.perf_counter())
                    self.arrived.set()
        except Exception as error:  # noqa: BLE001 - reported by the caller
            self.error = error


def run_pipe(arguments: list[str], data: bytes, ends: list[int], *, paced: bool) -> Run:
    """Feed ``data`` to ``vinpaint remove - ARGUMENTS -o -``: all at once, or frame by frame waiting for output."""
    start = time.perf_counter()
    process = subprocess.Popen([*vinpaint_command(), "remove", "-", *arguments, "-o", "-", "--quiet"],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    reader = Reader(process.stdout)
    reader.start()
    errors: list[bytes] = []
    threading.Thread(target=lambda: errors.append(process.stderr.read()), daemon=True).start()
    latency = None
    try:
        if paced:
            begin = 0
            for index, end in enumerate(ends):
                process.stdin.write(data[begin:end])
                process.stdin.flush()
                begin = end
                # a write of a frame larger than the pipe returns once the reader has taken most of it
                if reader.arrived.wait(SETTLE * (5 if index == 0 else 1)):
                    latency = index + 1
                    break
            process.stdin.write(data[begin:])
        else:
            process.stdin.write(data)
        process.stdin.close()
    except BrokenPipeError:
        pass
    process.wait(timeout=600)
    reader.join(timeout=60)
    wall = (reader.times[-1] if reader.times else time.perf_counter()) - start
    steady = (len(reader.times) - 1) / (reader.times[-1] - reader.times[0]) if len(reader.times) > 1 else None
    stderr = b"".join(errors).decode(errors="replace")
    if process.returncode or reader.error:
        print(f"  run failed ({process.returncode}, {reader.error}): {stderr.strip()[-400:]}", file=sys.stderr)
        return Run(None, wall, steady, latency, stderr)
    return Run(np.stack(reader.frames), wall, steady, latency, stderr)


def warm_up(folder: Path) -> None:
    """One short stream through the pipe first: numba compiles the live kernel once per install (and
    after each change to its source) and caches it; that one-off cost is not the pipe's speed."""
    frames = np.full((6, 64, 96, 3), 90, np.uint8)
    frames[:, :, ::7] = 200  # some texture for the flow
    hole = np.zeros((64, 96), bool)
    hole[20:40, 30:60] = True
    write_png(folder / "warm.png", hole)
    data, ends = nut_stream(frames)
    run_pipe(["--mask", str(folder / "warm.png"), "--preset", "live"], data, ends, paced=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder of clips (default ../shared/data)")
    parser.add_argument("--frames", type=int, default=240, help="frames per stream (default 240)")
    parser.add_argument("--clips", default="bear,paragliding")
    parser.add_argument("--sizes", default=",".join(SIZES))
    parser.add_argument("--holes", default="logo,region")
    parser.add_argument("--quick", action="store_true", help="bear only, 60 frames")
    args = parser.parse_args(argv)
    clips = ["bear"] if args.quick else args.clips.split(",")
    frames_wanted = 60 if args.quick else args.frames
    print(f"vinpaint live pipe benchmark: {frames_wanted} frames a stream; speed is machine-dependent, "
          "compare with the floor and Telea of the same run")
    header = ("| clip | size | hole | hole % | live fps (end to end / steady) | floor fps | Telea-pipe fps | "
              "live / floor | latency (frames) | PSNR hole live | PSNR hole Telea |")
    print(header)
    print("|---" * (header.count("|") - 1) + "|")
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        warm_up(folder)
        for size_name in args.sizes.split(","):
            size = SIZES[size_name]
            for clip_name in clips:
                clean = load_clip(args.data, clip_name, size, frames_wanted)
                for hole_kind in args.holes.split(","):
                    hole = make_hole(args.data, hole_kind, size)
                    frames = paint(clean, hole)
                    data, ends = nut_stream(frames)
                    write_png(folder / "hole.png", hole)
                    write_png(folder / "empty.png", np.zeros_like(hole))
                    mask = ["--mask", str(folder / "hole.png")]
                    live = run_pipe([*mask, "--preset", "live"], data, ends, paced=False)
                    paced = run_pipe([*mask, "--preset", "live"], data, ends, paced=True)
                    floor = run_pipe(["--mask", str(folder / "empty.png"), "--preset", "live"], data, ends, paced=False)
                    telea = run_pipe([*mask, "--engine", "perframe", "--fill", "telea", "--shots", "none"], data, ends,
                                     paced=False)
                    filled = dilate_mask(hole, DILATE)
                    n = len(frames)
                    psnr_live = (np.mean([psnr(o, c, filled) for o, c in zip(live.frames, clean)])
                                 if live.frames is not None else float("nan"))
                    psnr_telea = np.mean([psnr(fill_telea(f, filled), c, filled) for f, c in zip(frames, clean)])

                    def fps(run: Run, n: int = n) -> float:
                        return n / run.wall if run.frames is not None else float("nan")

                    steady = f"{live.steady:.1f}" if live.steady else "-"
                    print(f"| {clip_name} | {size_name} | {hole_kind} | {100 * filled.mean():.1f} | "
                          f"{fps(live):.1f} / {steady} | {fps(floor):.1f} | {fps(telea):.1f} | "
                          f"{fps(live) / fps(floor):.2f} | {paced.latency} | {psnr_live:.2f} | {psnr_telea:.2f} |",
                          flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
