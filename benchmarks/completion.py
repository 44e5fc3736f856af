"""The completion benchmark behind ``make bench``: engines against per-frame Telea, and speed.

Prints (and writes to ``--out``, default ``bench-output/``) the issue-2 / issue-4 table: per case
PSNR, SSIM, hole PSNR and hole warping error for every variant and the Telea baseline, the
paste-and-remove cases (a real object pasted over a clean clip and removed: PSNR over every pixel the
paste changed, hole sharpness), averages and the target checks; then end-to-end speed (``vinpaint.remove_file`` on an encoded .mp4, decode + fill
+ encode) at 432x240 and 854x480 with the baseline timed in the same run.

    python benchmarks/completion.py --quick                 # ~1-2 min: the same 5 cases at 20 frames, 1 removal case, short speed clips
    python benchmarks/completion.py                         # full: 5 + 3 cases of 50 frames
    python benchmarks/completion.py --paste-only            # the paste-and-remove cases (issue 12) alone
    python benchmarks/completion.py --quick --variants 'propagate;fsr=propagate:fill=fsr;pb=propagate:blend=poisson'

A variant is ``NAME=ENGINE[:KEY=VALUE,...]`` (see ``vinpaint.bench.suite.parse_variant``); ``;`` separates
several.  The default is the ``propagate`` engine with its defaults.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path

from vinpaint.bench import suite as bench

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder of clips (default ../shared/data)")
    parser.add_argument("--out", type=Path, default=Path("bench-output"), help="output folder")
    parser.add_argument("--quick", action="store_true", help="shorter cases, one removal case, short speed clips (< 3 min)")
    parser.add_argument("--variants", action="append", default=[], metavar="SPEC",
                        help="NAME=ENGINE[:KEY=VALUE,...]; ';' separates several; repeatable")
    parser.add_argument("--frames", type=int, default=None, help="frames per case")
    parser.add_argument("--cases", type=int, default=None, help="completion cases")
    parser.add_argument("--no-removal", action="store_true", help="skip the object-removal cases")
    parser.add_argument("--no-paste", action="store_true", help="skip the paste-and-remove cases")
    parser.add_argument("--paste-only", action="store_true",
                        help="only the paste-and-remove cases (no completion, no removal, no speed)")
    parser.add_argument("--no-speed", action="store_true", help="skip the end-to-end speed measurement")
    parser.add_argument("--speed-only", action="store_true", help="only the end-to-end speed measurement")
    parser.add_argument("--speed-frames", type=int, default=None, help="frames of the speed clips (default 80, quick 24)")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(message)s")
    variants = bench.parse_variants(args.variants) if args.variants else bench.default_variants()
    started = time.perf_counter()

    def progress(message: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f}s] {message}", file=sys.stderr, flush=True)

    sections = []
    if not args.speed_only:
        cases = bench.build_cases(args.data, quick=args.quick, max_frames=args.frames, max_cases=args.cases,
                                  removal=not (args.no_removal or args.paste_only), paste=not args.no_paste,
                                  completion=not args.paste_only)
        result = bench.run_bench(cases, variants, out=args.out, progress=progress)
        sections.append(bench.markdown_table(result))
    if not (args.no_speed or args.paste_only):
        frames = args.speed_frames or (24 if args.quick else 80)
        rows = []
        with tempfile.TemporaryDirectory(prefix="vinpaint-speed-") as workdir:
            for clip_frames, clip_masks in bench.speed_clips(args.data, frames):
                rows += bench.measure_speed(clip_frames, clip_masks, variants, workdir, progress=progress)
        table = bench.speed_table(rows)
        sections.append("### End-to-end speed (remove_file on H.264 .mp4: decode, fill, encode)\n\n" + table + "\n")
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "speed.json").write_text(bench.to_json({"speed": rows}) + "\n")
    text = "\n".join(sections)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "completion.md").write_text(text + f"\n_total {time.perf_counter() - started:.0f} s_\n")
    print(text)
    print(f"written to {args.out}/ in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
