"""``--workers 2`` against one process: speed, equality, and the seam at chunk boundaries.

A 432x240 clip is made from bmx-trees played forwards and backwards (no cut), with its own masks,
written losslessly (FFV1); it is filled by one process (``remove_file``) and by local Dask clusters of
1 and 2 workers (``--workers``), in chunks.  Printed: wall times and CPU seconds of each run (this
process and its children, from ``resource.getrusage``: a cluster's workers are counted once it is
closed), the threads each task got (:func:`vinpaint.distributed.run.worker_threads`); per frame
whether the output of the most workers equals the single run, PSNR where not; the hole's warping
error (Lai et al.) over pairs across a chunk boundary against the rest.

Usage: python benchmarks/distributed_chunks.py [FRAMES] [CHUNK_FRAMES] [PRESET] [--workers 1 2] [--threads K]
(defaults 320, 80, default; ``--threads K`` sets the fill's threads in every run, as ``--option threads=K``;
without it the one-process run takes the engine's default and each worker its share of the cores).
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from vinpaint.composite import dilate_mask
from vinpaint.distributed import dask_client, remove_file_distributed
from vinpaint.distributed.run import close_client, machine_cores, worker_threads
from vinpaint.evaluate.metrics import (
    hole_pairs,
    psnr,
    temporal_reference,
    warping_errors,
)
from vinpaint.io import encode_frames, open_video
from vinpaint.io.masks import write_mask_folder
from vinpaint.pipeline import options_from_preset, remove_file

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "bmx-trees"


def cpu_seconds() -> float:
    """User and system CPU seconds of this process and of its children that have ended."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main(frame_count: int = 320, chunk_frames: int = 80, preset: str = "default", *,
         worker_counts: tuple[int, ...] = (1, 2), threads: int | None = None) -> None:
    files = sorted((DATA / "frames").iterdir())
    # forwards then backwards without repeating the turning frames (a repeated frame would be a still pair)
    period = [*range(len(files)), *range(len(files) - 2, 0, -1)]
    order = (period * (frame_count // len(period) + 1))[:frame_count]
    frames = np.stack([cv2.cvtColor(cv2.imread(str(files[i])), cv2.COLOR_BGR2RGB) for i in order])
    masks = np.stack([cv2.imread(str(DATA / "masks" / files[i].with_suffix(".png").name), 0) > 0 for i in order])
    work = Path(tempfile.mkdtemp(prefix="vinpaint-chunks-"))
    try:
        # FFV1: lossless, so every difference below is the fill's
        video = encode_frames(frames, work / "clip.mkv", fps=30)
        write_mask_folder(masks, work / "masks")
        options = options_from_preset(preset, shots="none", engine_options={"threads": threads} if threads else {})
        timings, cpu = {}, {}
        print(f"{machine_cores()} cores; fill threads: {threads or 'default'}", flush=True)
        started, used = time.perf_counter(), cpu_seconds()
        remove_file(video, work / "masks", work / "single.mkv", options)
        timings["one process"], cpu["one process"] = time.perf_counter() - started, cpu_seconds() - used
        print(f"one process: {timings['one process']:.1f} s, {cpu['one process']:.1f} CPU s", flush=True)
        for workers in worker_counts:
            name = f"{workers} worker(s)"
            started, used = time.perf_counter(), cpu_seconds()
            client = dask_client(workers=workers)
            try:
                share = worker_threads(client)
                remove_file_distributed(video, work / "masks", work / f"workers{workers}.mkv", options, client=client,
                                        chunk_frames=chunk_frames)
            finally:
                close_client(client)  # the workers end here, so their CPU time is counted below
            timings[name], cpu[name] = time.perf_counter() - started, cpu_seconds() - used
            print(f"{name}: {timings[name]:.1f} s, {cpu[name]:.1f} CPU s, {share} thread(s) a task "
                  f"(fill: {threads or share})", flush=True)
        most = max(worker_counts)
        single = open_video(work / "single.mkv").read_all()
        chunked = open_video(work / f"workers{most}.mkv").read_all()
        print(f"{frame_count} frames 432x240, preset {preset}, chunks of {chunk_frames}, window {options.window}, context {options.context}")
        for name, seconds in timings.items():
            print(f"  {name}: {seconds:.1f} s, {cpu[name]:.1f} CPU s")
        if 1 in worker_counts and most > 1:
            print(f"  speed-up {most} workers vs 1 worker: {timings['1 worker(s)'] / timings[f'{most} worker(s)']:.2f}x, "
                  f"vs one process: {timings['one process'] / timings[f'{most} worker(s)']:.2f}x")
        differ = [t for t in range(frame_count) if not np.array_equal(single[t], chunked[t])]
        print(f"  frames of {most} worker(s) differing from the single run: {len(differ)} {differ[:5]}...{differ[-5:]}")
        if differ:
            worst = min(psnr(chunked[t], single[t], masks[t]) for t in differ)
            print(f"  lowest PSNR in the hole of a differing frame vs single run: {worst:.2f} dB")
        grown = np.stack([dilate_mask(mask, options.dilate) for mask in masks])
        print(f"  pixels outside the grown masks changed vs input: {int((chunked[~grown] != frames[~grown]).sum())}")
        reference = temporal_reference(frames)
        region = hole_pairs(masks, reference)
        for name, result in (("single", single), ("chunked", chunked)):
            errors, _ = warping_errors(result, reference, region)
            boundaries = [b - 1 for b in range(chunk_frames, frame_count, chunk_frames)]
            inside = [t for t in range(frame_count - 1) if t not in boundaries and np.isfinite(errors[t])]
            at = [errors[t] for t in boundaries if np.isfinite(errors[t])]
            print(f"  {name}: hole warping error at chunk boundaries {np.mean(at):.5f}, elsewhere {np.mean(errors[inside]):.5f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("frames", nargs="?", type=int, default=320)
    parser.add_argument("chunk_frames", nargs="?", type=int, default=80)
    parser.add_argument("preset", nargs="?", default="default")
    parser.add_argument("--workers", nargs="+", type=int, default=[1, 2], help="local cluster sizes to run")
    parser.add_argument("--threads", type=int, default=None, help="the fill's threads in every run (default: "
                        "the engine's own in one process, each worker's share of the cores on a cluster)")
    args = parser.parse_args()
    main(args.frames, args.chunk_frames, args.preset, worker_counts=tuple(args.workers), threads=args.threads)
