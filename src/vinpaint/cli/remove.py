"""``vinpaint remove`` and ``vinpaint demo``."""

from __future__ import annotations

from pathlib import Path

import click

from ..composite import BLEND_MODES
from ..engines import ENGINES, engine_parameters
from ..flow import FLOW_ESTIMATORS
from ..io import EncodeOptions
from ..io.readers import DEFAULT_FOLDER_FPS
from ..pipeline import PRESETS, RemoveOptions, options_from_preset, remove_file
from ..fill import SPATIAL_FILLERS
from . import debug_option, main
from .options import FrameRange, IdList, parse_engine_options
from .progress import progress_bar


def _default(field: str) -> object:
    """The default of a :class:`RemoveOptions` field (the one table of defaults, shown in the help)."""
    return RemoveOptions.__dataclass_fields__[field].default


def _engine_default(option: str) -> str:
    """The default engine's default for ``option``, and the presets that change it: ``"dis, fast preset: dis-fast"``."""
    default = engine_parameters(_default("engine"))[option].default
    changed = [f"{name} preset: {settings['engine_options'][option]}" for name, settings in PRESETS.items()
               if option in settings.get("engine_options", {})]
    return f"{default}, {', '.join(changed)}" if changed else str(default)


@main.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@click.option("--mask", "-m", "mask_path", required=True, type=click.Path(path_type=Path),
              help="Mask folder (one image a frame), one image for all frames, or a mask video. Non-zero = fill.")
@click.option("--output", "-o", "output_path", required=True, type=click.Path(path_type=Path),
              help="Output video (.mp4 .mov .mkv .webm .avi) or a folder for PNG frames.")
@click.option("--preset", default="default", show_default=True, type=click.Choice(list(PRESETS)),
              help="fast: DIS fast at half size, Telea keyframes, no robust-flow pass; quality: two robust-flow passes, averaged.")
@click.option("--engine", default=None, show_default=_default("engine"), type=click.Choice(ENGINES.names()),
              help="Inpainting engine.")
@click.option("--fill", default=None, show_default=_engine_default("fill"), type=click.Choice(SPATIAL_FILLERS.names()),
              help="Spatial filler for pixels no frame shows (propagate engine).")
@click.option("--flow", default=None, show_default=_engine_default("flow"), type=click.Choice(FLOW_ESTIMATORS.names()),
              help="Optical flow estimator (propagate engine).")
@click.option("--dilate", default=None, show_default=str(_default("dilate")), type=click.IntRange(0, 200),
              help="Grow the mask by PX pixels.")
@click.option("--feather", default=None, show_default=str(_default("feather")), type=click.FloatRange(0, 200),
              help="Soften the composite edge over PX pixels, inside the mask.")
@click.option("--blend", default=None, show_default=_default("blend"), type=click.Choice(BLEND_MODES),
              help="poisson: gradient-domain blending at the hole boundary.")
@click.option("--mask-ids", type=IdList(), default=None, show_default="all non-zero",
              help="Object ids to remove from palette masks.")
@click.option("--frames", "frame_range", type=FrameRange(), default=None, show_default="all",
              help="Fill only frames FIRST-LAST (0-based, inclusive, within the clip); the others are copied bit for bit.")
@click.option("--allow-full-mask", is_flag=True,
              help="Where every pixel of the frames within reach is masked, fill with neutral grey instead of stopping "
                   "with an error (there is nothing to copy from).")
@click.option("--crf", default=18, show_default=True, type=click.IntRange(0, 51), help="H.264 quality (lower = better).")
@click.option("--lossless", is_flag=True, help="Lossless output (FFV1 in .mkv, RGB H.264 in .mp4, lossless VP9 in .webm).")
@click.option("--fps", type=click.FloatRange(min=0.001), default=None, show_default=str(DEFAULT_FOLDER_FPS),
              help="Frame rate of a frame-folder input.")
@click.option("--window", default=None, show_default=str(_default("window")), type=click.IntRange(1, 10000),
              help="Frames per temporal window.")
@click.option("--context", default=None, show_default=str(_default("context")), type=click.IntRange(0, 1000),
              help="Frames of overlap kept before and read after each window.")
@click.option("--option", "engine_option", multiple=True, metavar="KEY=VALUE", show_default="none",
              help="Extra engine option, e.g. --option max_keyframes=4 (repeatable).")
@click.option("--overwrite", is_flag=True, help="Replace an existing output.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@debug_option
def remove(input_path, mask_path, output_path, preset, engine, fill, flow, dilate, feather, blend, mask_ids, frame_range,
           allow_full_mask, crf, lossless, fps, window, context, engine_option, overwrite, quiet):
    """Remove the masked region of INPUT (a video or a folder of frames) and write OUTPUT.

    Example: vinpaint remove clip.mp4 --mask masks/ -o clean.mp4
    """
    engine_options = parse_engine_options(engine_option)
    if fill:
        engine_options["fill"] = fill
    if flow:
        engine_options["flow"] = flow
    given = {"engine": engine, "dilate": dilate, "feather": feather, "blend": blend, "window": window,
             "context": context, "frame_range": frame_range, "allow_full_mask": allow_full_mask or None}
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
    from ..testing.demo import run_demo

    with progress_bar("removing", quiet=quiet) as progress:
        result = run_demo(folder, progress=progress)
    click.echo(f"input:  {result.input}\nmask:   {result.mask}\nresult: {result.output}")
    click.echo(f"PSNR against the true background inside the hole: {result.psnr_hole:.1f} dB "
               f"(per-frame Telea: {result.psnr_hole_baseline:.1f} dB)")
