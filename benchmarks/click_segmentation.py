"""Click and box segmentation on frames of the real clips of ../shared/data; prints a Markdown table.

Cases: one object on one frame of bmx-trees (the rider and his bike), tennis (the player; the given
mask also holds a band along a court line, which no click on the player selects), schoolgirls (one
girl: palette ids 1 and 3) and judo (id 1 on frame 0 is the pair of judoka in the middle, held as one
object by the given masks; id 2 on frame 5 is one judoka standing at the right).

Protocol (the one of interactive-segmentation benchmarks, Xu et al. CVPR 2016): the first click is at
the object's centre, the pixel of the given mask furthest from its outline; the second click is at the
centre of the larger error region of the first result (positive where object was missed, negative
where background was taken).  The box is the given mask's bounding box grown by 4 px on each side.
Motion comes from the frames 3 before and 3 after the clicked one (fewer at the clip's ends).

Columns: ``image only`` is one click with no neighbouring frames (what a caller that passes one frame
gets), then one click, two clicks and the box with the neighbouring frames; IoU against the given
mask, and the reported confidence / ``needs_more_clicks`` of the one-click result.

``--bear DIR`` also clicks once at the centre of the bear (no given masks: judged by eye) on frames
10, 40 and 70 of the bear clip, with and without the neighbouring frames, prints the selected area
and writes ``DIR/bear_FRAME.png`` (left: with neighbours, right: the frame alone).

Run: python benchmarks/click_segmentation.py [--data ../shared/data] [--clips bmx-trees,tennis] [--bear DIR]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import cv2
import numpy as np

from vinpaint.io import read_image, read_label_image
from vinpaint.masks.click import Point
from vinpaint.masks.segment import segment_object

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"

#: (clip, frame, object ids)
CASES = [
    ("bmx-trees", 0, None), ("bmx-trees", 40, None),
    ("tennis", 0, None), ("tennis", 35, None),
    ("schoolgirls", 0, (1,)), ("schoolgirls", 40, (3,)),
    ("judo", 0, (1,)), ("judo", 5, (2,)),
]
NEIGHBOUR_OFFSETS = (-3, 3)


def iou(a: np.ndarray, b: np.ndarray) -> float:
    union = (a | b).sum()
    return 1.0 if union == 0 else float((a & b).sum() / union)


def centre_of(region: np.ndarray) -> tuple[int, int]:
    """The pixel of ``region`` furthest from its outline, ``(x, y)``."""
    padded = np.pad(region.astype(np.uint8), 1)
    distance = cv2.distanceTransform(padded, cv2.DIST_L2, 5)[1:-1, 1:-1]
    y, x = np.unravel_index(int(np.argmax(distance)), distance.shape)
    return int(x), int(y)


def next_click(found: np.ndarray, truth: np.ndarray, frame: int) -> Point:
    """A click at the centre of the larger error region: positive if missed, negative if wrongly taken."""
    missed, extra = truth & ~found, found & ~truth
    depth = [cv2.distanceTransform(np.pad(e.astype(np.uint8), 1), cv2.DIST_L2, 5).max() for e in (missed, extra)]
    positive = depth[0] >= depth[1]
    x, y = centre_of(missed if positive else extra)
    return Point(x, y, positive, frame)


def load_case(data: Path, clip: str, index: int, ids):
    folder = data / clip / "frames"
    files = sorted(folder.iterdir())
    image = read_image(files[index])
    h, w = image.shape[:2]
    labels = read_label_image(data / clip / "masks" / f"{index:05d}.png")
    if labels.shape != (h, w):
        labels = cv2.resize(labels, (w, h), interpolation=cv2.INTER_NEAREST)
    truth = labels > 0 if ids is None else np.isin(labels, ids)
    picks = sorted({min(max(index + o, 0), len(files) - 1) for o in NEIGHBOUR_OFFSETS} - {index})
    neighbours = np.stack([read_image(files[i]) for i in picks])
    return image, truth, neighbours


def run_case(image, truth, neighbours, index):
    x, y = centre_of(truth)
    first = Point(x, y, True, index)
    row = {}
    row["image only"] = iou(segment_object(image, [first]).mask, truth)
    one = segment_object(image, [first], neighbours=neighbours)
    row["1 click"] = iou(one.mask, truth)
    row["confidence"] = one.confidence
    row["ask"] = one.needs_more_clicks
    second = next_click(one.mask, truth, index)
    row["2 clicks"] = max(row["1 click"], iou(segment_object(image, [first, second], neighbours=neighbours).mask, truth))
    ys, xs = np.nonzero(truth)
    h, w = truth.shape
    x0, y0 = max(0, xs.min() - 4), max(0, ys.min() - 4)
    box = (x0, y0, min(w - 1, xs.max() + 4) - x0 + 1, min(h - 1, ys.max() + 4) - y0 + 1)
    row["box"] = iou(segment_object(image, box=box, neighbours=neighbours).mask, truth)
    return row


#: bear frames and a click at the bear's centre, picked by eye
BEAR_CLICKS = {10: (270, 290), 40: (300, 310), 70: (286, 260)}


def bear_check(data: Path, out: Path) -> None:
    """One click on the bear: print the selected area, write the overlays (judge them by eye)."""
    files = sorted((data / "bear" / "frames").iterdir())
    out.mkdir(parents=True, exist_ok=True)
    print("\n| bear frame | neighbours | area (px) | share of frame | bounding box | confidence | asks for a click |")
    print("|---|---|---|---|---|---|---|")
    for index, (x, y) in BEAR_CLICKS.items():
        image = read_image(files[index])
        neighbours = np.stack([read_image(files[index + o]) for o in NEIGHBOUR_OFFSETS])
        panels = []
        for name, options in (("3 before + 3 after", {"neighbours": neighbours}), ("none", {})):
            found = segment_object(image, [Point(x, y, True, index)], **options)
            ys, xs = np.nonzero(found.mask)
            print(f"| {index} | {name} | {int(found.mask.sum())} | {100 * found.mask.mean():.1f} % | x {xs.min()}-{xs.max()}, "
                  f"y {ys.min()}-{ys.max()} | {found.confidence:.2f} | {'yes' if found.needs_more_clicks else 'no'} |", flush=True)
            panel = image.copy()
            panel[found.mask] = (0.45 * panel[found.mask] + (0, 0, 140)).astype(np.uint8)
            outline, _ = cv2.findContours(found.mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
            cv2.drawContours(panel, outline, -1, (255, 255, 0), 2)
            cv2.circle(panel, (x, y), 5, (255, 0, 0), -1)
            panels.append(panel)
        cv2.imwrite(str(out / f"bear_{index:02d}.png"), cv2.cvtColor(np.concatenate(panels, 1), cv2.COLOR_RGB2BGR))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--clips", default=None, help="comma-separated clip names (default: all)")
    parser.add_argument("--bear", type=Path, default=None, help="also click the bear and write overlays to this folder")
    args = parser.parse_args()
    wanted = set(args.clips.split(",")) if args.clips else None
    columns = ["image only", "1 click", "2 clicks", "box"]
    print("| clip | frame | object | " + " | ".join(columns) + " | confidence (1 click) | asks for a click | time |")
    print("|---|---|---|" + "---|" * len(columns) + "---|---|---|")
    for clip, index, ids in CASES:
        if wanted and clip not in wanted:
            continue
        start = time.perf_counter()
        image, truth, neighbours = load_case(args.data, clip, index, ids)
        row = run_case(image, truth, neighbours, index)
        seconds = time.perf_counter() - start
        name = "all" if ids is None else ",".join(map(str, ids))
        print(f"| {clip} | {index} | {name} | " + " | ".join(f"{row[c]:.3f}" for c in columns)
              + f" | {row['confidence']:.2f} | {'yes' if row['ask'] else 'no'} | {seconds:.1f} s |", flush=True)
    if args.bear is not None:
        bear_check(args.data, args.bear)


if __name__ == "__main__":
    main()
