"""``vinpaint eval`` and ``vinpaint bench``."""

from __future__ import annotations

from pathlib import Path

import click

from ..options import REMOVE_OPTIONS, engine_option_specs, spec_named
from . import debug_option, main
from .options import IdList, click_options


@main.command("eval")
@click.argument("result_path", metavar="RESULT", type=click.Path(path_type=Path))
@click.option("--mask", "-m", "mask_path", required=True, type=click.Path(path_type=Path),
              help="The mask that was filled (as given to vinpaint remove).")
@click.option("--truth", "truth_path", type=click.Path(path_type=Path), default=None,
              help="True frames (completion tests): enables PSNR, SSIM and takes the flow from the truth.")
@click.option("--original", "original_path", type=click.Path(path_type=Path), default=None,
              help="The input that was filled: enables changed_outside (pixels changed outside the hole).")
@click_options([spec_named("dilate", REMOVE_OPTIONS)],
               helps={"dilate": "Grow the mask by PX pixels first: use the value you gave vinpaint remove."})
@click.option("--mask-ids", type=IdList(), default=None, help="Object ids of palette masks (default: all non-zero).")
@click_options([spec_named("flow", engine_option_specs(spec_named("engine", REMOVE_OPTIONS).default))],
               defaults={"flow": "dis"},  # the metrics' flow, as the bench's: not the engine's default
               helps={"flow": "Optical flow for the warping error (DIS medium, as the bench uses)."})
@click.option("--json", "json_path", type=click.Path(path_type=Path), default=None,
              help="Write every number, per-frame lists included, to this JSON file.")
@click.option("--plot", "plot_path", type=click.Path(path_type=Path), default=None,
              help="Plot the per-frame curves to this PNG.")
@click.option("--overwrite", is_flag=True, help="Replace the JSON and plot of an earlier vinpaint eval.")
@debug_option
def eval_command(result_path, mask_path, truth_path, original_path, dilate, mask_ids, flow, json_path, plot_path,
                 overwrite):
    """Measure a filled video RESULT (a video or a frame folder): quality, flicker, seams, sharpness.

    Example: vinpaint eval clean.mp4 --mask masks/ --original clip.mp4 --json eval.json
    """
    from ..bench.suite import evaluate_files, format_report, plot_per_frame, to_json
    from ..io.images import WRITTEN_BY
    from ..io.writers import check_file_output, refuse_overlap

    inputs = (result_path, mask_path, truth_path, original_path)
    if json_path:
        check_file_output(json_path, suffixes=(".json",), inputs=inputs, overwrite=overwrite, name="the JSON report")
    if plot_path:
        check_file_output(plot_path, suffixes=(".png",), inputs=inputs, overwrite=overwrite, name="the plot")
        if json_path:
            refuse_overlap(plot_path, json_path, name="the plot", other_name="the JSON report")
    report = evaluate_files(result_path, mask_path, truth=truth_path, original=original_path, dilate=dilate,
                            mask_ids=mask_ids, flow=flow)
    click.echo(format_report(report))
    if json_path:
        json_path.write_text(to_json({"written_by": WRITTEN_BY, **report.to_dict()}) + "\n")
        click.echo(f"json: {json_path}")
    if plot_path:
        plot_per_frame({result_path.name: report}, plot_path, title=str(result_path.name),
                       keys=("psnr_hole", "ssim_hole", "ewarp_hole", "flicker_hole", "boundary", "sharpness"))
        click.echo(f"plot: {plot_path}")


@main.command("bench")
@click.option("--data", type=click.Path(path_type=Path), default=Path("../shared/data"), show_default=True,
              help="Folder of clips laid out like ../shared/data (CLIP/frames, CLIP/masks).")
@click.option("--engines", default="propagate", show_default=True,
              help="Comma-separated engines to compare with the Telea baseline.")
@click.option("--variant", "variants", multiple=True, metavar="NAME=ENGINE[:KEY=VALUE,...]",
              help="A named configuration, e.g. fsr=propagate:fill=fsr (repeatable; replaces --engines).")
@click.option("--out", "out", type=click.Path(path_type=Path), default=Path("bench-output"), show_default=True,
              help="Folder for bench.md, bench.json, plots/ and sheets/.")
@click.option("--quick", is_flag=True, help="Shorter cases, one removal case (a couple of minutes).")
@click.option("--frames", type=click.IntRange(2, 100000), default=None, help="Frames per case (default 50, quick 20).")
@click.option("--cases", type=click.IntRange(1, 100), default=None, help="Completion cases (default 5).")
@click.option("--no-removal", is_flag=True, help="Skip the object-removal cases.")
@click.option("--speed/--no-speed", default=True, show_default=True,
              help="Also time end to end on encoded .mp4 at 432x240 and 854x480.")
@click.option("--quiet", "-q", is_flag=True, help="No progress lines.")
@debug_option
def bench_command(data, engines, variants, out, quick, frames, cases, no_removal, speed, quiet):
    """Compare engines with per-frame Telea on completion and removal cases built from --data.

    Example: vinpaint bench --data ../shared/data --engines propagate,perframe --quick
    """
    import tempfile

    from ..bench import suite as bench

    if variants:
        chosen = bench.parse_variants(variants)
    else:
        chosen = bench.parse_variants(name.strip() for name in engines.split(",") if name.strip())

    def progress(message: str) -> None:
        if not quiet:
            click.echo(message, err=True)

    built = bench.build_cases(data, quick=quick, max_frames=frames, max_cases=cases, removal=not no_removal)
    result = bench.run_bench(built, chosen, out=out, progress=progress)
    click.echo(bench.markdown_table(result))
    if speed:
        rows = []
        with tempfile.TemporaryDirectory(prefix="vinpaint-speed-") as workdir:
            for clip_frames, clip_masks in bench.speed_clips(data, 24 if quick else 80):
                rows += bench.measure_speed(clip_frames, clip_masks, chosen, workdir, progress=progress)
        (out / "speed.json").write_text(bench.to_json({"speed": rows}) + "\n")
        click.echo(bench.speed_table(rows))
    click.echo(f"written to {out}/")
