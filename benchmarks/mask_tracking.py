"""Mask tracking accuracy on the real clips of ../shared/data; prints a Markdown table.

For bmx-trees, tennis and schoolgirls: track from the first frame's given mask only and report the
mean IoU of the tracked union mask against the given masks over all other frames (the first frame,
which is the input, is left out); the last column re-anchors with the given mask every ``--every``
frames (0, 20, 40...) and scores the frames in between.  judo has masks at frames 0, 5, 8 and 13 only, each naming one
new object: there is no dense truth, so it reports (a) that tracking from all four inits runs, with
each init frame kept exactly, and (b) the round-trip IoU of each object: tracked from its init frame
to the last frame and back again from there, compared with its init mask (a self-check of drift).

The "shape change" column is a reference, not a tracker: each frame's given mask is scored against
the previous frame's given mask moved by the similarity (scale, rotation, shift) that fits it best,
found by a search that looks at the answer.  It says how far the object's outline changes from one
frame to the next: a tracker that carried the exact previous mask perfectly would score that, and
beats it only by re-segmenting the outline in every frame.

The "frames/s" column is the first-frame track's frames over its wall-clock seconds, flow included
(the flow is estimated inside the timed call).  ``--speed`` adds a check at 854x480: the first
``--speed-frames`` frames of tennis upscaled to 854x480, tracked by default (at the working size,
``work_size``) and at the full size (``work_size=None``, as before), in the same run, so that their
ratio holds on a loaded machine even where the absolute frames/s do not.  ``--quick`` leaves out the
two slow columns (re-anchored, shape change), ``--no-reference`` the shape change only (it depends
on the given masks alone).

Run: python benchmarks/mask_tracking.py [--data ../shared/data] [--clips bmx-trees,tennis] [--quick] [--speed]
"""

from __future__ import annotations

import argparse
import itertools
import time
from pathlib import Path

import cv2
import numpy as np

from vinpaint.flow import estimate_flow
from vinpaint.io import open_masks, open_video, read_label_image
from vinpaint.masks.track import track_masks, track_objects, tracking_flow_estimator

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def iou(a: np.ndarray, b: np.ndarray) -> float:
    union = (a | b).sum()
    return 1.0 if union == 0 else float((a & b).sum() / union)


def best_similarity_iou(source: np.ndarray, target: np.ndarray) -> float:
    """IoU of ``target`` with ``source`` moved by the best similarity on a grid (an oracle: it sees ``target``).

    Scale around the square root of the area ratio (0.85-1.15x), rotation -6 to 6 degrees, shift
    within 4 px of the centroids' offset; both ``(H,W)`` bool.
    """
    ys, xs = np.nonzero(source)
    yt, xt = np.nonzero(target)
    if not len(ys) or not len(yt):
        return float(len(ys) == len(yt))
    h, w = target.shape
    centre = (float(xs.mean()), float(ys.mean()))
    base = np.sqrt(len(yt) / len(ys))
    offset = (xt.mean() - centre[0], yt.mean() - centre[1])
    image = source.astype(np.uint8)
    best = 0.0
    for scale in base * np.array([0.85, 0.9, 0.95, 1.0, 1.05, 1.1, 1.15]):
        for angle in (-6, -3, 0, 3, 6):
            rotation = cv2.getRotationMatrix2D(centre, angle, float(scale))
            for dx, dy in itertools.product(range(-4, 5), repeat=2):
                matrix = rotation.copy()
                matrix[:, 2] += (offset[0] + dx, offset[1] + dy)
                moved = cv2.warpAffine(image, matrix, (w, h), flags=cv2.INTER_NEAREST) > 0
                best = max(best, iou(moved, target))
    return best


def dense_clip(data: Path, name: str, every: int, quick: bool = False, reference: bool = True, **options) -> dict:
    frames = open_video(data / name / "frames").read_all()
    t, h, w = frames.shape[:3]
    truth_labels = open_masks(data / name / "masks", t, h, w).read_all()
    files = sorted((data / name / "masks").glob("*.png"))
    first_labels = read_label_image(files[0])
    start = time.perf_counter()
    tracked = track_masks(frames, {0: first_labels}, **options)
    seconds = time.perf_counter() - start
    scores = [iou(tracked[i], truth_labels[i]) for i in range(1, t)]
    result = {"clip": name, "frames": t, "objects": len(np.unique(first_labels)) - 1, "mean": float(np.mean(scores)),
              "min": float(np.min(scores)), "worst": 1 + int(np.argmin(scores)), "last": scores[-1],
              "seconds": seconds, "anchored": float("nan"), "shape_change": float("nan")}
    if quick:
        return result
    flows = estimate_flow(frames, estimator=tracking_flow_estimator()) if options.get("flow") is None else None
    # re-anchored: an init every `every` frames; scored on the frames that are not inits
    inits = {k: read_label_image(files[k]) for k in range(0, t, every)}
    anchored = track_masks(frames, inits, flows=flows, **options)
    anchored_scores = [iou(anchored[i], truth_labels[i]) for i in range(t) if i not in inits]
    result["anchored"] = float(np.mean(anchored_scores))
    if reference:
        shape_change = [best_similarity_iou(truth_labels[i - 1] > 0, truth_labels[i] > 0) for i in range(1, t)]
        result["shape_change"] = float(np.mean(shape_change))
    return result


def speed_check(data: Path, frame_count: int, **options) -> dict:
    """Frames/s tracking tennis upscaled to 854x480 from its first mask: default and ``work_size=None``."""
    frames = open_video(data / "tennis" / "frames").read_all()[:frame_count]
    frames = np.stack([cv2.resize(frame, (854, 480), interpolation=cv2.INTER_LINEAR) for frame in frames])
    first = read_label_image(sorted((data / "tennis" / "masks").glob("*.png"))[0])
    first = cv2.resize(first.astype(np.uint8), (854, 480), interpolation=cv2.INTER_NEAREST)
    out = {}
    for label, work_size in (("working size (default)", "default"), ("full size (work_size=None)", None)):
        extra = {} if work_size == "default" else {"work_size": None}
        start, cpu = time.perf_counter(), time.process_time()
        track_masks(frames, {0: first}, **options, **extra)
        out[label] = (len(frames) / (time.perf_counter() - start), len(frames) / (time.process_time() - cpu))
    return out


def judo(data: Path, **options) -> dict:
    frames = open_video(data / "judo" / "frames").read_all()
    t, h, w = frames.shape[:3]
    inits = {}
    for path in sorted((data / "judo" / "masks").glob("*.png")):
        labels = read_label_image(path)
        if labels.shape != (h, w):
            labels = cv2.resize(labels.astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST).astype(np.int32)
        inits[int(path.stem)] = labels
    flows = estimate_flow(frames, estimator=tracking_flow_estimator())  # the tracker's default flow
    start = time.perf_counter()
    labels = track_objects(frames, inits, flows=flows, **options)
    seconds = time.perf_counter() - start
    kept = {k: iou(labels[k] == v.max(), v > 0) for k, v in inits.items()}
    from_first = track_objects(frames, {0: inits[0]}, flows=flows, **options)
    round_trip = {}
    for key, init in inits.items():
        object_id = int(init.max())
        there = track_objects(frames, {key: init}, flows=flows, **options)[t - 1] == object_id
        back = track_objects(frames, {t - 1: there}, flows=flows, **options)[key] > 0
        round_trip[key] = iou(back, init > 0)
    return {"seconds": seconds, "kept": kept, "round_trip": round_trip,
            "first_only_objects": sorted(set(np.unique(from_first).tolist()) - {0}),
            "all_objects": sorted(set(np.unique(labels).tolist()) - {0}),
            "coverage_first_only": {k: float((from_first[k] > 0)[inits[k] > 0].mean()) for k in inits if k},
            "coverage_all": {k: float((labels[k] > 0)[inits[k] > 0].mean()) for k in inits if k}}


def _cell(value: float) -> str:
    return "-" if np.isnan(value) else f"{value:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--clips", default="bmx-trees,tennis,schoolgirls,judo")
    parser.add_argument("--no-refine", action="store_true", help="warp only (ablation)")
    parser.add_argument("--smooth", type=int, default=1)
    parser.add_argument("--every", type=int, default=20, help="init spacing of the re-anchored column")
    parser.add_argument("--quick", action="store_true", help="leave out the re-anchored and shape-change columns")
    parser.add_argument("--no-reference", action="store_true", help="leave out the shape-change column (slow)")
    parser.add_argument("--speed", action="store_true", help="add the 854x480 speed check (tennis upscaled)")
    parser.add_argument("--speed-frames", type=int, default=40, help="frames of the speed check")
    args = parser.parse_args()
    options = {"refine": not args.no_refine, "smooth": args.smooth}
    clips = args.clips.split(",")
    print(f"| clip | frames | objects | mean IoU | min IoU (frame) | IoU last frame | seconds | frames/s "
          f"| mean IoU, init every {args.every} frames | shape change (oracle reference) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    means = []
    for name in clips:
        if name == "judo":
            continue
        r = dense_clip(args.data, name, args.every, quick=args.quick, reference=not args.no_reference, **options)
        means.append((r["mean"], r["anchored"], r["shape_change"]))
        print(f"| {name} | {r['frames']} | {r['objects']} | {r['mean']:.3f} | {r['min']:.3f} ({r['worst']}) | {r['last']:.3f} "
              f"| {r['seconds']:.1f} | {r['frames'] / r['seconds']:.1f} | {_cell(r['anchored'])} | {_cell(r['shape_change'])} |",
              flush=True)
    if means:
        first, anchored, shape_change = np.mean(means, axis=0)
        print(f"| **mean** | | | **{first:.3f}** | | | | | **{_cell(anchored)}** | {_cell(shape_change)} |")
    if args.speed:
        print()
        print(f"| tennis upscaled to 854x480, {args.speed_frames} frames, one object | frames/s (wall) | frames per CPU second |")
        print("|---|---|---|")
        for label, (wall, cpu) in speed_check(args.data, args.speed_frames, **options).items():
            print(f"| {label} | {wall:.2f} | {cpu:.2f} |", flush=True)
    if "judo" in clips:
        r = judo(args.data, **options)
        print()
        print("| judo init frame | object id | kept exactly (IoU) | covered, frame-0 init only | covered, all inits | round-trip IoU |")
        print("|---|---|---|---|---|---|")
        for key, object_id in zip(sorted(r["kept"]), (1, 2, 3, 4)):
            first = f"{r['coverage_first_only'][key]:.2f}" if key else "(input)"
            every = f"{r['coverage_all'][key]:.2f}" if key else "(input)"
            print(f"| {key} | {object_id} | {r['kept'][key]:.3f} | {first} | {every} | {r['round_trip'][key]:.3f} |")
        print(f"\njudo, all inits: objects {r['all_objects']} tracked in {r['seconds']:.1f} s "
              f"(frame-0 init only: objects {r['first_only_objects']})")


if __name__ == "__main__":
    main()
