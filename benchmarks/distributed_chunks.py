"""``--workers 2`` against one process: speed, equality, and the seam at chunk boundaries.

A 432x240 clip is made from bmx-trees played forwards and backwards (no cut), with its own masks,
written losslessly (FFV1); it is filled by one process (``remove_file``), by one Dask worker and by
two, in chunks.  Printed: wall times; per frame whether the chunked output equals the single run, PSNR
where not; the hole's warping error (Lai et al.) over pairs across a chunk boundary against the rest.

Usage: python benchmarks/distributed_chunks.py [FRAMES] [CHUNK_FRAMES] [PRESET]   (defaults 320, 80, default)
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from vinpaint.composite import dilate_mask
from vinpaint.distributed import remove_file_distributed
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


def main(frame_count: int = 320, chunk_frames: int = 80, preset: str = "default") -> None:
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
        options = options_from_preset(preset, shots="none")
        timings = {}
        started = time.perf_counter()
        remove_file(video, work / "masks", work / "single.mkv", options)
        timings["one process"] = time.perf_counter() - started
        print(f"one process: {timings['one process']:.1f} s", flush=True)
        for workers in (1, 2):
            started = time.perf_counter()
            remove_file_distributed(video, work / "masks", work / f"workers{workers}.mkv", options, workers=workers,
                                    chunk_frames=chunk_frames)
            timings[f"{workers} worker(s)"] = time.perf_counter() - started
            print(f"{workers} worker(s): {timings[f'{workers} worker(s)']:.1f} s", flush=True)
        single = open_video(work / "single.mkv").read_all()
        chunked = open_video(work / "workers2.mkv").read_all()
        print(f"{frame_count} frames 432x240, preset {preset}, chunks of {chunk_frames}, window {options.window}, context {options.context}")
        for name, seconds in timings.items():
            print(f"  {name}: {seconds:.1f} s")
        print(f"  speed-up 2 workers vs 1 worker: {timings['1 worker(s)'] / timings['2 worker(s)']:.2f}x, "
              f"vs one process: {timings['one process'] / timings['2 worker(s)']:.2f}x")
        differ = [t for t in range(frame_count) if not np.array_equal(single[t], chunked[t])]
        print(f"  frames differing from the single run: {len(differ)} {differ[:5]}...{differ[-5:]}")
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
    main(*(int(arg) for arg in sys.argv[1:3]), *sys.argv[3:4])
