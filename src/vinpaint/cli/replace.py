"""``vinpaint replace``: a picture or a clip tracked onto a surface, or an object swapped for a picture."""

from __future__ import annotations

from pathlib import Path

import click

from ..io import EncodeOptions
from ..pipeline import RemoveOptions
from . import main
from .jobs import _common, _fill_options, _report
from .options import IdList
from .progress import progress_bar


@main.command()
@_common
@click.option("--region", "-r", required=True, metavar="MASK|CORNERS",
              help="The surface: FRAME:x1,y1,x2,y2,x3,y3,x4,y4 (four corners in pixels, on frame FRAME), or a mask "
                   "image / mask folder (non-zero = the surface on the keyframe; with --remove-first, the object).")
@click.option("--with", "replacement", required=True, type=click.Path(path_type=Path), metavar="IMAGE|VIDEO",
              help="What goes on the surface: an image (a PNG's alpha is kept) or a video / frame folder (looped).")
@click.option("--keyframe", type=click.IntRange(min=0), default=None, show_default="the corners' frame, or 0",
              help="The frame the region is drawn on; the surface should be unoccluded there.")
@click.option("--target", default=None, metavar="X1,Y1,...,X4,Y4",
              help="Where the picture goes on the keyframe, on the tracked plane (default: the region itself): track a "
                   "large textured surface with --region and put the picture on a small part of it.")
@click.option("--remove-first", is_flag=True,
              help="Remove the masked object with the engine first, then put the picture where it was (fitted inside).")
@click.option("--fit", type=click.Choice(["stretch", "contain"]), default=None,
              show_default="stretch; contain with --remove-first",
              help="stretch: the picture's corners on the region's (corner pin); contain: fitted inside, aspect kept.")
@click.option("--light/--no-light", default=True, show_default=True,
              help="Follow the surface's light (per-frame gain per channel, measured against the keyframe).")
@click.option("--blur/--no-blur", default=True, show_default=True, help="Match the frame's motion blur along the track.")
@click.option("--grain/--no-grain", default=True, show_default=True, help="Add the frame's noise level to the picture.")
@click.option("--occluders/--no-occluders", default=True, show_default=True,
              help="Keep what passes in front of the surface (what differs from its look) on top of the picture.")
@click.option("--occluder-threshold", default=30.0, show_default=True, type=click.FloatRange(0, 255),
              help="Levels a pixel must differ from the surface's expected look to count as in front of it.")
@click.option("--mask-ids", type=IdList(), default=None, show_default="all non-zero",
              help="Object ids of palette masks that make the region.")
@_fill_options(default_dilate=4)
def replace(input_path, output_path, crf, lossless, fps, overwrite, quiet, region, replacement, keyframe, target, remove_first,
            fit, light, blur, grain, occluders, occluder_threshold, mask_ids, engine, dilate):
    """Put a picture or a clip on a surface tracked through INPUT, or swap an object for a picture.

    Example: vinpaint replace clip.mp4 --region 0:40,30,200,35,198,150,42,140 --with poster.png -o out.mp4
    """
    from ..masks.track.plane import parse_corners
    from ..recipes import replace_file

    target_corners = parse_corners(f"0:{target}")[1] if target else None
    with progress_bar("replacing", quiet=quiet) as progress:
        result = replace_file(input_path, output_path, region=region, replacement=replacement, keyframe=keyframe,
                              target=target_corners,
                              remove_first=remove_first, mask_ids=mask_ids, fit=fit, light=light, blur=blur, grain=grain,
                              occluders=occluders, occluder_threshold=occluder_threshold,
                              remove_options=RemoveOptions(engine=engine, dilate=dilate),
                              encode=EncodeOptions(crf=crf, lossless=lossless), fps=fps, overwrite=overwrite,
                              progress=progress)
    _report(result)
