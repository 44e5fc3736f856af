"""``vinpaint remove`` and ``vinpaint demo``."""

from __future__ import annotations

from pathlib import Path

import click

from ..composite import BLEND_MODES
from ..engines import ENGINES
from ..flow import FLOW_ESTIMATORS
from ..io import EncodeOptions
from ..pipeline import PRESETS, options_from_preset, remove_file
from ..spatial import SPATIAL_FILLERS
from . import debug_option, main
from .options import FrameRange, IdList, parse_engine_options
from .progress import progress_bar


@main.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@click.option("--mask", "-m", "mask_path", required=True, type=click.Path(path_type=Path),
              help="Mask folder (one image a frame), one image for all frames, or a mask video. Non-zero = fill.")
@click.option("--output", "-o", "output_path", required=True, type=click.Path(path_type=Path),
              help="Output video (.mp4 .mov .mkv .webm .avi) or a folder for PNG frames.")
@click.option("--preset", default="default", show_default=True, type=click.Choice(list(PRESETS)),
              help="fast: DIS fast at half size, Telea keyframes, no robust-flow pass; quality: two robust-flow passes, averaged.")
@click.option("--engine", default=None, type=click.Choice(ENGINES.names()), help="Inpainting engine [default: propagate].")
@click.option("--fill", default=None, type=click.Choice(SPATIAL_FILLERS.names()),
              help="Spatial filler for pixels no frame shows.")
@click.option("--flow", default=None, type=click.Choice(FLOW_ESTIMATORS.names()), help="Optical flow estimator.")
@click.option("--dilate", default=None, type=click.IntRange(0, 200), help="Grow the mask by PX pixels [default: 4].")
@click.option("--feather", default=None, type=click.FloatRange(0, 200),
              help="Soften the composite edge over PX pixels, inside the mask [default: 0].")
@click.option("--blend", default=None, type=click.Choice(BLEND_MODES),
              help="poisson: gradient-domain blending at the hole boundary [default: none].")
@click.option("--mask-ids", type=IdList(), default=None, help="Object ids to remove from palette masks (default: all non-zero).")
@click.option("--frames", "frame_range", type=FrameRange(), default=None,
              help="Fill only frames FIRST-LAST (0-based, inclusive); the others are copied bit for bit.")
@click.option("--crf", default=18, show_default=True, type=click.IntRange(0, 51), help="H.264 quality (lower = better).")
@click.option("--lossless", is_flag=True, help="Lossless output (FFV1 in .mkv, RGB H.264 in .mp4, lossless VP9 in .webm).")
@click.option("--fps", type=click.FloatRange(min=0.001), default=None, help="Frame rate of a frame-folder input (default 25).")
@click.option("--window", default=None, type=click.IntRange(1, 10000), help="Frames per temporal window [default: 40].")
@click.option("--context", default=None, type=click.IntRange(0, 1000),
              help="Frames of overlap kept before and read after each window [default: 8].")
@click.option("--option", "engine_option", multiple=True, metavar="KEY=VALUE",
              help="Extra engine option, e.g. --option max_keyframes=4 (repeatable).")
@click.option("--overwrite", is_flag=True, help="Replace an existing output.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@debug_option
def remove(input_path, mask_path, output_path, preset, engine, fill, flow, dilate, feather, blend, mask_ids, frame_range,
           crf, lossless, fps, window, context, engine_option, overwrite, quiet):
    """Remove the masked region of INPUT (a video or a folder of frames) and write OUTPUT.

    Example: vinpaint remove clip.mp4 --mask masks/ -o clean.mp4
    """
    engine_options = parse_engine_options(engine_option)
    if fill:
        engine_options["fill"] = fill
    if flow:
        engine_options["flow"] = flow
    given = {"engine": engine, "dilate": dilate, "feather": feather, "blend": blend, "window": window,
             "context": context, "frame_range": frame_range}
    options = options_from_preset(preset, engine_options=engine_options,
                                  **{key: value for key, value in given.items() if value is not None})
    with progress_bar("removing", quiet=quiet) as progress:
        written = remove_file(input_path, mask_path, output_path, options, encode=EncodeOptions(crf=crf, lossless=lossless),
                              mask_ids=mask_ids, fps=fps, overwrite=overwrite, progress=progress)
    click.echo(str(written))


@main.command()
@click.option("--output", "-o", "folder", default=Path("demo-output"), show_default=True, type=click.Path(path_type=Path),
              help="Folder for the demo's input, mask and result.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@debug_option
def demo(folder: Path, quiet: bool) -> None:
    """Make a short clip with a moving object, remove the object, and say where the result is."""
    from ..demo import run_demo

    with progress_bar("removing", quiet=quiet) as progress:
        result = run_demo(folder, progress=progress)
    click.echo(f"input:  {result.input}\nmask:   {result.mask}\nresult: {result.output}")
    click.echo(f"PSNR against the true background inside the hole: {result.psnr_hole:.1f} dB "
               f"(per-frame Telea: {result.psnr_hole_baseline:.1f} dB)")
