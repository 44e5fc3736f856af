"""Contact sheet of a real removal with no truth: the bear of ``../shared/data/bear``, masked by clicks and tracking.

The mask is made as a user makes it in the studio (three positive clicks on frame 0, GrabCut, then
:func:`vinpaint.masks.track.track_masks`), then removed with ``vinpaint remove``'s defaults and with
per-frame Telea; the sheet (input with the mask outlined, Telea, each variant) is written to
``--out`` (default ``docs/img/removal-bear.png``).  Look at it: the question is whether a
translucent bear, a smeared wall or its shadow is left.

    python benchmarks/removal_sheets.py --frames 40
    python benchmarks/removal_sheets.py --variants 'choose=propagate:fuse=choose'
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

import numpy as np

from vinpaint import remove
from vinpaint.bench import suite as bench
from vinpaint.composite import dilate_mask
from vinpaint.io import open_video, write_png
from vinpaint.masks.click import Point, click_track

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
#: clicks on the bear in frame 0 of the 854x480 clip (x, y)
BEAR_CLICKS = ((250, 280), (360, 290), (170, 300), (420, 370))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--frames", type=int, default=40, help="frames of the clip to use")
    parser.add_argument("--out", type=Path, default=Path("docs/img/removal-bear.png"))
    parser.add_argument("--variants", action="append", default=[], metavar="SPEC")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(message)s")
    started = time.perf_counter()
    frames = np.stack([f for f, _ in zip(open_video(args.data / "bear" / "frames").images(), range(args.frames))])
    masks = click_track(frames, [Point(x, y) for x, y in BEAR_CLICKS])
    print(f"[{time.perf_counter() - started:.0f}s] mask: {masks.mean() * 100:.1f} % of the pixels", file=sys.stderr)
    variants = bench.parse_variants(args.variants) if args.variants else {"propagate": bench.RemoveOptions()}
    indices = bench.sample_indices(len(frames), 4)
    holes = dilate_mask(masks, bench.RemoveOptions().dilate)
    columns = {"input + mask": {i: bench._outline(frames[i], masks[i]) for i in indices}}
    telea = bench.telea_baseline(frames, holes)
    columns["telea"] = {i: telea[i] for i in indices}
    for name, options in variants.items():
        options = bench.dataclasses.replace(options, dilate=bench.RemoveOptions().dilate)
        out = remove(frames, masks, options)
        report = bench.evaluate(out, holes, original=frames)
        print(f"[{time.perf_counter() - started:.0f}s] {name}: sharpness {report.sharpness:.2f}, "
              f"flicker {report.flicker_hole:.2f}", file=sys.stderr)
        columns[name] = {i: out[i] for i in indices}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_png(args.out, bench.contact_sheet(columns))
    print(f"written {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
