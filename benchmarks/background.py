"""Whole-clip background as a source: paste-and-remove and completion cases with and without it.

Runs :func:`vinpaint.bench.suite.run_case` on the bench's cases with two variants of the default
engine, ``background_frames=24`` and ``0`` (the window only, the default), and per-frame Telea, and
prints affected-region PSNR (paste cases), hole PSNR (completion cases), hole sharpness and the time
ratio of the two variants (same run).  Cases longer than the temporal window (40 + 8 frames) are
where the whole clip adds sources: use ``--frames 80``.

    python benchmarks/background.py --frames 80 --kinds paste
    python benchmarks/background.py --frames 50 --kinds completion
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from vinpaint.bench import suite as bench

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--frames", type=int, default=80)
    parser.add_argument("--kinds", default="paste", help="comma-separated: paste, completion")
    parser.add_argument("--cases", type=int, default=None, help="run only the first N cases")
    parser.add_argument("--only", default="", help="run only cases whose name contains one of these (comma-separated)")
    parser.add_argument("--json", type=Path, default=None, help="also write the rows here")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    kinds = set(args.kinds.split(","))
    cases = bench.build_cases(args.data, max_frames=args.frames, removal=False, paste="paste" in kinds,
                              completion="completion" in kinds)
    cases = cases[:args.cases] if args.cases else cases
    if args.only:
        cases = [case for case in cases if any(part in case.name for part in args.only.split(","))]
    variants = {"background": bench.RemoveOptions(dilate=0, background_frames=24),
                "window only": bench.RemoveOptions(dilate=0, background_frames=0)}
    rows = []
    for case in cases:
        runs = {run.engine: run for run in bench.run_case(case, variants)}
        row = {"case": case.name, "frames": len(case.frames)}
        for name, run in runs.items():
            score = run.extra.get("psnr_affected", run.report.psnr_hole)
            row[name] = {"psnr": round(score, 2), "sharpness": round(run.report.sharpness or 0, 3),
                         "seconds": round(run.seconds, 1)}
        row["time ratio"] = round(runs["background"].seconds / runs["window only"].seconds, 2)
        rows.append(row)
        print(json.dumps(row), flush=True)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
