"""Does the mask report's "unsure" find the frames the tracker got wrong?  Prints a Markdown table.

For bmx-trees, tennis and schoolgirls (``../shared/data``): track from the first frame's given mask
only, as ``benchmarks/mask_tracking.py`` does (default options), with a
:class:`vinpaint.masks.track.TrackConfidence`; a frame is *bad* when its IoU with the given mask is
below ``--bad`` (0.6).  Reports, over frames 1..T-1, how many frames are unsure, how many are bad,
precision (unsure frames that are bad) and recall (bad frames found unsure), and the report's jumps.
A second table does the same per object (palette ids of the given masks): an object-frame is bad when
that object's IoU is below ``--bad``, unsure when the tracker's confidence for that object is below
:data:`~vinpaint.masks.track.confidence.UNSURE_BELOW` (the union can be right while objects of one
look swap: schoolgirls).
``--size 854x480`` upscales the frames and the first mask first (the tracker then works at 480 px).

Run: python benchmarks/mask_unsure.py [--data ../shared/data] [--clips tennis,bmx-trees] [--size 854x480]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from vinpaint.io import open_masks, open_video, read_label_image
from vinpaint.masks.report import mask_quality_report
from vinpaint.masks.track import TrackConfidence, track_objects
from vinpaint.masks.track.confidence import UNSURE_BELOW
from vinpaint.masks.track.propagate import (
    iou,  # the IoU of benchmarks/mask_tracking.py (1.0 when both are empty)
)

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def clip_figures(data: Path, name: str, *, bad: float, size: tuple[int, int] | None) -> dict:
    frames = open_video(data / name / "frames").read_all()
    t, h, w = frames.shape[:3]
    truth = open_masks(data / name / "masks", t, h, w).read_all()
    labels_given = np.stack([read_label_image(path) for path in sorted((data / name / "masks").glob("*.png"))])
    if size is not None:
        frames = np.stack([cv2.resize(frame, size, interpolation=cv2.INTER_LINEAR) for frame in frames])
        truth = np.stack([cv2.resize(m.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST) > 0 for m in truth])
        labels_given = np.stack([cv2.resize(m.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST).astype(np.int32)
                                 for m in labels_given])
    first = labels_given[0]
    confidence = TrackConfidence()
    labels = track_objects(frames, {0: first}, confidence=confidence)
    tracked = labels > 0  # what track_masks returns
    object_bad = object_unsure = object_hits = 0
    for object_id, values in confidence.objects.items():
        low = np.array([iou(labels[i] == object_id, labels_given[i] == object_id) < bad for i in range(1, t)])
        doubted = values[1:] < UNSURE_BELOW
        object_bad, object_unsure, object_hits = object_bad + low.sum(), object_unsure + doubted.sum(), object_hits + (low & doubted).sum()
    report = mask_quality_report(tracked, confidence=confidence.frames, unsure=confidence.unsure)
    scores = np.array([iou(tracked[i], truth[i]) for i in range(t)])
    frames_scored = np.arange(1, t)
    unsure = confidence.unsure[1:]
    low = scores[1:] < bad
    hits = int((unsure & low).sum())
    return {"clip": name, "frames": t - 1, "mean": float(scores[1:].mean()), "bad": int(low.sum()),
            "unsure": int(unsure.sum()), "hits": hits,
            "precision": hits / unsure.sum() if unsure.sum() else float("nan"),
            "recall": hits / low.sum() if low.sum() else float("nan"),
            "unsure_frames": frames_scored[unsure].tolist(), "bad_frames": frames_scored[low].tolist(),
            "jumps": report.jumps, "objects": len(confidence.objects), "object_bad": int(object_bad),
            "object_unsure": int(object_unsure), "object_hits": int(object_hits)}


def _cell(value: float) -> str:
    return "-" if np.isnan(value) else f"{value:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--clips", default="bmx-trees,tennis,schoolgirls")
    parser.add_argument("--bad", type=float, default=0.6, help="IoU below which a frame is bad")
    parser.add_argument("--size", default=None, help="WxH to resize the clips to, e.g. 854x480 (default: as stored)")
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.split("x")) if args.size else None
    rows = [clip_figures(args.data, name, bad=args.bad, size=size) for name in args.clips.split(",")]
    print(f"| clip | frames | mean IoU | IoU < {args.bad} | unsure | both | precision | recall |")
    print("|---|---|---|---|---|---|---|---|")
    for row in rows:
        print(f"| {row['clip']} | {row['frames']} | {row['mean']:.3f} | {row['bad']} | {row['unsure']} | {row['hits']} | "
              f"{_cell(row['precision'])} | {_cell(row['recall'])} |")
    print(f"\nPer object (object-frames):\n\n| clip | objects | IoU < {args.bad} | unsure | both | precision | recall |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        hits, doubted, low = row["object_hits"], row["object_unsure"], row["object_bad"]
        print(f"| {row['clip']} | {row['objects']} | {low} | {doubted} | {hits} | {_cell(hits / doubted if doubted else np.nan)} | "
              f"{_cell(hits / low if low else np.nan)} |")
    for row in rows:
        print(f"\n{row['clip']}: unsure {row['unsure_frames']}\n  IoU < {args.bad}: {row['bad_frames']}\n  jumps: {row['jumps']}")


if __name__ == "__main__":
    main()
