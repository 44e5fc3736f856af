"""Watermark detection on the real clips of ../shared/data; prints a Markdown table.

The overlays of the tests (``tests/masks/detectors/test_watermark.py``): a half-transparent (50 %)
white ring logo with "TV" in the top right and an opaque yellow timestamp in the bottom left,
composited over 48 frames sampled across each clip; the truth is the overlay's coverage > 0.1.
Clips: bear, tennis and bmx-trees (moving camera), schoolgirls (static camera, people moving) and a
slow zoom (the first frame of paragliding held still and zoomed in by 5 % over the 48 frames).
Columns: IoU of the found mask with the logo and the timestamp (each within 7 px of its overlay),
overall IoU, the largest false region (as a share of the frame), the shot kind found
(:func:`static_scene_share`) and the time.

Run: python benchmarks/watermark_detection.py [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import cv2
import numpy as np

from vinpaint.masks.detectors.watermark import (
    STATIC_SCENE_SHARE,
    find_watermark,
    gradient_statistics,
    sample_frames,
    static_scene_share,
)
from vinpaint.testing.overlays import largest_false_region, logo_alpha, watermarked_clip

ROOT = Path(__file__).resolve().parents[1]


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max((a | b).sum(), 1))

DATA = ROOT.parent / "shared" / "data"


def slow_zoom(frame: np.ndarray, count: int = 48, zoom: float = 1.05) -> np.ndarray:
    h, w = frame.shape[:2]
    out = []
    for scale in np.linspace(1.0, zoom, count):
        matrix = cv2.getRotationMatrix2D((w / 2, h / 2), 0, float(scale))
        out.append(cv2.warpAffine(frame, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT))
    return np.stack(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args()
    cases = {clip: sample_frames(args.data / clip / "frames", 48)[0] for clip in ("bear", "tennis", "bmx-trees", "schoolgirls")}
    cases["paragliding, slow zoom"] = slow_zoom(sample_frames(args.data / "paragliding" / "frames", 1)[0][0])
    print("| clip | size | logo IoU | timestamp IoU | overall IoU | largest false region | shot | time |")
    print("|---|---|---|---|---|---|---|---|")
    for name, frames in cases.items():
        marked, truth = watermarked_clip(frames)
        h, w = truth.shape
        start = time.perf_counter()
        found = find_watermark(marked)
        seconds = time.perf_counter() - start
        logo = truth & (logo_alpha(h, w, x=w - 80, y=16) > 0.1)
        scores = []
        for part in (logo, truth & ~logo):
            zone = cv2.dilate(part.astype(np.uint8), np.ones((15, 15), np.uint8)) > 0
            scores.append(iou(found & zone, part))
        gx, gy, typical = gradient_statistics(marked)
        share = static_scene_share(np.sqrt((gx**2 + gy**2).sum(-1)) / np.maximum(typical, 1.0), typical)
        shot = "static" if share >= STATIC_SCENE_SHARE else "moving"
        false = largest_false_region(found, truth)
        print(f"| {name} | {w}x{h} | {scores[0]:.3f} | {scores[1]:.3f} | {iou(found, truth):.3f} | "
              f"{false} px ({100 * false / (h * w):.3f} %) | {shot} ({share:.2f}) | {seconds:.1f} s |", flush=True)


if __name__ == "__main__":
    main()
