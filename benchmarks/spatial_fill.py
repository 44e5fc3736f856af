"""Compare the spatial fillers on holes cut into real frames, where the truth is the untouched frame.

Usage::

    python benchmarks/spatial_fill.py [--data ../shared/data]
                                      [--methods telea,ns,fsr,patchmatch,patchmatch:final_vote=mean]
                                      [--frames 3] [--sheet docs/img/spatial-fill.png] [--per-case]

The contact sheet shows each of ``--sheet-cases`` as a row: the input, each filler and the truth.

Cases: frames of bmx-trees, tennis and schoolgirls (432x240) and of bear and judo (854x480); on each,
two holes of about 10 % of the frame: a rectangle, and an object mask of another clip (dilated, resized
to the frame).  The hole is painted over, filled, and compared with the original frame.

Columns (means over the cases of one frame size):

* ``PSNR``: peak signal-to-noise ratio inside the hole against the untouched frame, dB.
* ``SSIM``: structural similarity (Wang et al. 2004, 7x7 Gaussian window on grey) averaged inside the hole.
* ``sharp``: mean gradient magnitude inside the hole / that in a 12-pixel ring around it
  (~1: textured like the surroundings; << 1: a smear).  ``sharp(truth)`` is the same ratio on the
  untouched frame, the value a perfect fill would get.
* ``ms``: wall time per frame of the filler, median over the cases, after one warm-up call;
  ``CPU ms`` the process CPU time of the same call (less sensitive to other load on a shared machine;
  above the wall time where a filler uses several threads).
* ``first call``: the first call of each filler at each size in the process: for ``patchmatch`` it
  includes loading numba's cached machine code (or compiling it, on the very first run).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

from vinpaint.arrays import to_gray
from vinpaint.evaluate.metrics import psnr, ssim_map
from vinpaint.io import read_image, read_label_image
from vinpaint.fill import fill_spatial

ROOT = Path(__file__).resolve().parents[1]
CLIPS_SMALL = ("bmx-trees", "tennis", "schoolgirls")
CLIPS_LARGE = ("bear", "judo")
MASK_DONOR = {"bmx-trees": "schoolgirls", "tennis": "schoolgirls", "schoolgirls": "tennis", "bear": "schoolgirls",
              "judo": "tennis"}


def frame_paths(clip: Path) -> list[Path]:
    return sorted(p for p in (clip / "frames").iterdir() if p.suffix.lower() in (".jpg", ".png"))


def donor_mask(data: Path, clip: str, index: int, size: tuple[int, int]) -> np.ndarray:
    """An object mask of another clip, dilated by 2 % of the width and resized to ``size`` (w, h)."""
    masks = sorted((data / clip / "masks").iterdir())
    labels = read_label_image(masks[index % len(masks)]) > 0
    mask = cv2.resize(labels.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST)
    k = max(3, size[0] // 50) | 1
    return cv2.dilate(mask, np.ones((k, k), np.uint8)).astype(bool)


def rect_hole(shape: tuple[int, int], index: int, fraction: float = 0.10) -> np.ndarray:
    """A rectangle of ``fraction`` of the frame, aspect 4:3, at a position that varies with ``index``."""
    h, w = shape
    area = fraction * h * w
    rh = int(round(np.sqrt(area * 3 / 4)))
    rw = int(round(area / rh))
    rng = np.random.default_rng(index)
    y0 = int(rng.integers(h // 8, h - rh - h // 8))
    x0 = int(rng.integers(w // 8, w - rw - w // 8))
    hole = np.zeros(shape, bool)
    hole[y0 : y0 + rh, x0 : x0 + rw] = True
    return hole


def grey_ssim_map(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """SSIM map on grey levels with a 7x7 window (the figures in docs were measured so)."""
    return ssim_map(to_gray(a), to_gray(b), window=7, border=cv2.BORDER_REFLECT_101)


def gradient_magnitude(image: np.ndarray) -> np.ndarray:
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32)
    gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3)
    return np.hypot(gx, gy)


def sharpness_ratio(image: np.ndarray, hole: np.ndarray, ring: int = 12) -> float:
    """Mean gradient magnitude inside the hole / in a ``ring``-pixel band around it."""
    grad = gradient_magnitude(image)
    band = cv2.dilate(hole.astype(np.uint8), np.ones((2 * ring + 1, 2 * ring + 1), np.uint8)).astype(bool) & ~hole
    return float(grad[hole].mean() / max(grad[band].mean(), 1e-6))


def make_cases(data: Path, frames_per_clip: int):
    """(name, frame, hole) for each clip, frame and hole shape."""
    cases = []
    for clip in CLIPS_SMALL + CLIPS_LARGE:
        paths = frame_paths(data / clip)
        picks = np.linspace(0, len(paths) - 1, frames_per_clip + 2)[1:-1].astype(int)
        for n, i in enumerate(picks):
            frame = read_image(paths[i])
            h, w = frame.shape[:2]
            cases.append((f"{clip}/{i:05d}/rect", frame, rect_hole((h, w), 17 * n + len(clip))))
            cases.append((f"{clip}/{i:05d}/mask", frame, donor_mask(data, MASK_DONOR[clip], int(i), (w, h))))
    return cases


def run_filler(frame: np.ndarray, hole: np.ndarray, method: str) -> np.ndarray:
    """``method`` is a filler name, optionally with options: ``patchmatch:final_vote=mean,texture_weight=0``."""
    name, _, spec = method.partition(":")
    options = {}
    for item in filter(None, spec.split("+")):
        key, _, value = item.partition("=")
        try:
            options[key] = int(value)
        except ValueError:
            try:
                options[key] = float(value)
            except ValueError:
                options[key] = value
    return fill_spatial(frame, hole, method=name, **options)


def measure(cases, methods):
    rows = []
    warmed = set()
    for name, frame, hole in cases:
        painted = frame.copy()
        painted[hole] = 0
        truth_sharp = sharpness_ratio(frame, hole)
        for method in methods:
            key = (method, frame.shape)
            if key not in warmed:  # first call: numba compile or cache load, OpenCV init
                t0 = time.perf_counter()
                run_filler(painted, hole, method)
                rows.append({"case": "warm-up", "method": method, "size": frame.shape[:2],
                             "first_ms": 1000 * (time.perf_counter() - t0)})
                warmed.add(key)
            t0, c0 = time.perf_counter(), time.process_time()
            out = run_filler(painted, hole, method)
            ms, cpu_ms = 1000 * (time.perf_counter() - t0), 1000 * (time.process_time() - c0)
            if not np.array_equal(out[~hole], frame[~hole]):
                raise RuntimeError(f"{method} changed pixels outside the hole on {name}")
            rows.append({
                "case": name, "method": method, "size": frame.shape[:2], "hole": float(hole.mean()),
                "psnr": psnr(out[hole], frame[hole]), "ssim": float(grey_ssim_map(out, frame)[hole].mean()),
                "sharp": sharpness_ratio(out, hole), "truth_sharp": truth_sharp, "ms": ms,
                "cpu_ms": cpu_ms,
            })
    return rows


def summary_table(rows, methods) -> str:
    lines = ["| frame size | filler | PSNR (dB) | SSIM | sharp | sharp(truth) | ms/frame | CPU ms/frame "
             "| first call (ms) |",
             "|---|---|---|---|---|---|---|---|---|"]
    sizes = sorted({r["size"] for r in rows}, key=lambda s: s[0] * s[1])
    for size in sizes:
        for method in methods:
            sel = [r for r in rows if r["size"] == size and r["method"] == method and r["case"] != "warm-up"]
            first = [r["first_ms"] for r in rows
                     if r["size"] == size and r["method"] == method and r["case"] == "warm-up"]
            if not sel:
                continue
            lines.append(
                f"| {size[1]}x{size[0]} ({len(sel)} holes, {100 * np.mean([r['hole'] for r in sel]):.1f} %) "
                f"| {method} "
                f"| {np.mean([r['psnr'] for r in sel]):.2f} | {np.mean([r['ssim'] for r in sel]):.3f} "
                f"| {np.mean([r['sharp'] for r in sel]):.2f} | {np.mean([r['truth_sharp'] for r in sel]):.2f} "
                f"| {statistics.median(r['ms'] for r in sel):.0f} "
                f"| {statistics.median(r['cpu_ms'] for r in sel):.0f} "
                f"| {first[0]:.0f} |")
    return "\n".join(lines)


def case_table(rows, methods) -> str:
    lines = ["| case | " + " | ".join(f"{m} PSNR / sharp" for m in methods) + " |",
             "|---|" + "---|" * len(methods)]
    names = [r["case"] for r in rows if r["case"] != "warm-up"]
    for name in dict.fromkeys(names):
        cells = []
        for method in methods:
            r = next(r for r in rows if r["case"] == name and r["method"] == method)
            cells.append(f"{r['psnr']:.1f} / {r['sharp']:.2f}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def contact_sheet(cases, methods, path: Path, max_bytes: int = 290_000, height: int = 140, columns: int = 3) -> None:
    """Per case: input with the hole, each filler, truth, ``columns`` a row; cropped around the hole, labelled."""
    from PIL import Image

    rows = []
    for _, frame, hole in cases:
        ys, xs = np.nonzero(hole)
        h, w = hole.shape
        pad = max(hole.shape) // 20
        y0, y1 = max(ys.min() - pad, 0), min(ys.max() + pad + 1, h)
        x0, x1 = max(xs.min() - pad, 0), min(xs.max() + pad + 1, w)
        blanked = frame.copy()
        blanked[hole] = 0
        painted = frame.copy()
        painted[hole] = (255, 0, 255)
        panels = [("input + hole", painted)]
        panels += [(m, run_filler(blanked, hole, m)) for m in methods]
        panels.append(("truth", frame))
        tiles = []
        for label, image in panels:
            crop = image[y0:y1, x0:x1]
            size = (round(crop.shape[1] * height / crop.shape[0]), height)
            tile = cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
            cv2.putText(tile, label, (5, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 3, cv2.LINE_AA)
            cv2.putText(tile, label, (5, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1, cv2.LINE_AA)
            tiles.append(tile)
        while len(tiles) % columns:
            tiles.append(np.full_like(tiles[0], 255))
        for i in range(0, len(tiles), columns):
            row = sum(([t, np.full((height, 4, 3), 255, np.uint8)] for t in tiles[i : i + columns]), [])[:-1]
            rows.append(np.concatenate(row, axis=1))
    width = max(r.shape[1] for r in rows)
    rows = [cv2.resize(r, (width, round(r.shape[0] * width / r.shape[1])), interpolation=cv2.INTER_AREA)
            for r in rows]
    gap = np.full((4, width, 3), 255, np.uint8)
    sheet = np.concatenate(sum(([r, gap] for r in rows), [])[:-1], axis=0)
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.fromarray(sheet)
    image.save(path, optimize=True)
    colors = 256
    while path.stat().st_size > max_bytes and colors >= 32:  # photographic content: a palette keeps it small
        palette = image.quantize(colors=colors, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
        palette.save(path, optimize=True)
        colors //= 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--methods", default="telea,ns,fsr,patchmatch",
                        help="comma-separated fillers, each optionally NAME:KEY=VALUE+KEY=VALUE "
                             "(e.g. patchmatch:final_vote=mean+texture_weight=0)")
    parser.add_argument("--sheet-methods", default="telea,ns,fsr,patchmatch", help="fillers on the contact sheet")
    parser.add_argument("--frames", type=int, default=3, help="frames per clip")
    parser.add_argument("--sheet", type=Path, default=None, help="write a contact sheet PNG here")
    parser.add_argument("--sheet-cases", default="schoolgirls/00019/mask,bear/00040/rect",
                        help="comma-separated case names shown on the contact sheet, one row each")
    parser.add_argument("--per-case", action="store_true", help="also print one row per case")
    parser.add_argument("--small-only", action="store_true", help="only the 432x240 clips")
    args = parser.parse_args(argv)
    methods = args.methods.split(",")
    if not args.data.is_dir():
        print(f"error: no clips at {args.data}", file=sys.stderr)
        return 2
    cases = make_cases(args.data, args.frames)
    if args.small_only:
        cases = [c for c in cases if c[1].shape[0] <= 240]
    rows = measure(cases, methods)
    print(summary_table(rows, methods))
    if args.per_case:
        print()
        print(case_table(rows, methods))
    if args.sheet:
        wanted = args.sheet_cases.split(",")
        shown = [c for name in wanted for c in cases if c[0] == name]
        contact_sheet(shown, args.sheet_methods.split(","), args.sheet)
        print(f"\ncontact sheet: {args.sheet} ({', '.join(c[0] for c in shown)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
