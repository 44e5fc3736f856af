"""``vinpaint remove`` and ``vinpaint demo``."""

from __future__ import annotations

from pathlib import Path

import click

from ..engines import engine_parameters
from ..io import STREAM_FORMATS, EncodeOptions, is_stdout
from ..io.readers import DEFAULT_FOLDER_FPS
from ..options import (DEFAULT_PRESET, ENCODE_OPTIONS, PRESET_ENGINES, PRESETS, REMOVE_OPTIONS, engine_option_specs,
                       load_config, spec_named)
from ..pipeline import options_from_preset, remove_file
from . import debug_option, main
from .options import FrameRange, IdList, click_options, explicit, parse_engine_options, parse_references
from .progress import progress_bar

#: Engine options with a flag of their own: every built-in engine takes them.
_ENGINE_FLAGS = ("fill", "flow")


def _engine_default(option: str) -> str:
    """The default engine's default for ``option``, and the presets that change it: ``"dis, fast preset: dis-fast"``."""
    engine = spec_named("engine", REMOVE_OPTIONS).default
    default = engine_parameters(engine)[option].default
    changed = [f"{name} preset: {engines[engine][option]}" for name, engines in PRESETS.items()
               if option in engines.get(engine, {})]
    return f"{default}, {', '.join(changed)}" if changed else str(default)


_ENGINE_FLAG_SPECS = tuple(spec for spec in engine_option_specs(spec_named("engine", REMOVE_OPTIONS).default)
                           if spec.name in _ENGINE_FLAGS)


@main.command()
@click.argument("input_path", metavar="INPUT", type=click.Path())  # text: a URL's "//" must survive
@click.option("--mask", "-m", "mask_path", required=True, type=click.Path(path_type=Path),
              help="Mask folder (one image a frame), one image for all frames, or a mask video. Non-zero = fill.")
@click.option("--output", "-o", "output_path", required=True, type=click.Path(),  # text, as INPUT
              help="Output video (.mp4 .mov .mkv .webm .avi), a folder for PNG frames, or a --format stream: "
                   "- for standard output, or an FFmpeg URL.")
@click.option("--config", "config_path", type=click.Path(path_type=Path), default=None,
              help="TOML file of options ([remove], [encode], [engine_options] or flat keys named like the flags, "
                   "e.g. dilate = 6); flags given here override it.")
@click.option("--preset", default=DEFAULT_PRESET, show_default=True, type=click.Choice(list(PRESETS)),
              help="Engine settings: fast (propagate: DIS fast at half size, 4 keyframes, no robust-flow pass), "
                   "quality (propagate: two robust-flow passes, averaged; perframe: PatchMatch), "
                   "live (the live engine: causal, no look-ahead, for pipes and streams; docs/live.md).")
@click_options(REMOVE_OPTIONS)
@click_options(_ENGINE_FLAG_SPECS, defaults={name: None for name in _ENGINE_FLAGS},
               helps={"fill": "Spatial filler for pixels no frame shows.", "flow": "Optical flow estimator."},
               show={name: _engine_default(name) for name in _ENGINE_FLAGS})
@click.option("--mask-ids", type=IdList(), default=None, show_default="all non-zero",
              help="Object ids to remove from palette masks.")
@click.option("--frames", "frame_range", type=FrameRange(), default=None, show_default="all",
              help="Fill only frames FIRST-LAST (0-based, inclusive, within the clip); the others are copied bit for bit.")
@click_options(ENCODE_OPTIONS)
@click.option("--fps", type=click.FloatRange(min=0.001), default=None, show_default=str(DEFAULT_FOLDER_FPS),
              help="Frame rate of a frame-folder input.")
@click.option("--reference", "references", multiple=True, metavar="FRAME:IMAGE",
              help="A clean version of frame FRAME you painted (any image editor): its pixels fill that frame's "
                   "mask and are carried to the other frames (repeatable).")
@click.option("--option", "engine_option", multiple=True, metavar="KEY=VALUE", show_default="none",
              help="Extra engine option, e.g. --option max_keyframes=4 (repeatable).")
@click.option("--format", "stream_format", type=click.Choice(list(STREAM_FORMATS)), default="nut", show_default=True,
              help="Container of a stream output (-o - or a URL): nut (raw frames, no encoding), matroska (lossless "
                   "FFV1) or mpegts (H.264, zero latency).")
@click.option("--input-format", default=None, metavar="FORMAT", show_default="guessed",
              help="FFmpeg input format, read as a live stream (v4l2 for a webcam, nut, mpegts...).")
@click.option("--overwrite", is_flag=True, help="Replace an existing output.")
@click.option("--workers", type=click.IntRange(min=1), default=None, show_default="one process",
              help="Fill in chunks on a local Dask cluster of N processes (resumable: rerun to finish a stopped run).")
@click.option("--scheduler", default=None, metavar="ADDRESS", show_default="none",
              help="Fill in chunks on the Dask cluster at ADDRESS (tcp://host:8786); workers must see the files.")
@click.option("--chunk-frames", type=click.IntRange(min=1), default=None, show_default="400, or fewer so that each of --workers N gets one",
              help="Frames a chunk produces, with --workers or --scheduler.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@debug_option
@click.pass_context
def remove(ctx, input_path, mask_path, output_path, config_path, preset, fill, flow, mask_ids, frame_range, fps,
           engine_option, overwrite, quiet, stream_format="nut", input_format=None, references=(), **_table_options):
    """Remove the masked region of INPUT (a video or a folder of frames) and write OUTPUT.

    Options come from the defaults, then the --preset, then the --config file, then the flags given.

    Example: vinpaint remove clip.mp4 --mask masks/ -o clean.mp4 (INPUT - and -o - make a pipe: docs/live.md)
    """
    config = load_config(config_path) if config_path else {"remove": {}, "encode": {}, "engine_options": {}, "preset": None}
    fields = {**config["remove"], **explicit(ctx, [spec.name for spec in REMOVE_OPTIONS])}
    encode = {**config["encode"], **explicit(ctx, [spec.name for spec in ENCODE_OPTIONS])}
    if config["preset"] and not explicit(ctx, ["preset"]):
        preset = config["preset"]
    engine = fields.pop("engine", None)
    preset_engine = PRESET_ENGINES.get(preset, spec_named("engine", REMOVE_OPTIONS).default)
    engine_options = {**config["engine_options"], **parse_engine_options(engine_option, engine or preset_engine)}
    for name, value in (("fill", fill), ("flow", flow)):
        if value is not None:
            engine_options[name] = value
    if references:
        fields["references"] = parse_references(references)
    options = options_from_preset(preset, engine=engine, engine_options=engine_options, frame_range=frame_range, **fields)
    workers, scheduler, chunk_frames = (_table_options.pop(name) for name in ("workers", "scheduler", "chunk_frames"))
    encode["stream_format"] = stream_format
    with progress_bar("removing", quiet=quiet) as progress:
        if workers or scheduler:
            from ..distributed import remove_file_distributed

            written = remove_file_distributed(input_path, mask_path, output_path, options, encode=EncodeOptions(**encode),
                                              mask_ids=mask_ids, fps=fps, overwrite=overwrite, progress=progress,
                                              workers=workers, scheduler=scheduler,
                                              **({"chunk_frames": chunk_frames} if chunk_frames else {}))
            click.echo(str(written))
            return
        written = remove_file(input_path, mask_path, output_path, options, encode=EncodeOptions(**encode),
                              mask_ids=mask_ids, fps=fps, overwrite=overwrite, progress=progress,
                              input_format=input_format)
    if not is_stdout(written):  # standard output holds the video: nothing else may go there
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
