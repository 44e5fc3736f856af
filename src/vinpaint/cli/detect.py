"""``vinpaint mask watermark|faces|text|damage``: masks found by detectors, on the ``mask`` group."""

from __future__ import annotations

from pathlib import Path

import click
import numpy as np

from ..wording import count_of
from . import debug_option
from .mask import mask, mask_output_options, write_masks
from .options import damage_detection_options, watermark_detection_options

_INPUT = click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
_FPS = click.option("--fps", type=click.FloatRange(min=0.001), default=None, help="Frame rate of a frame-folder input (default 25).")


@mask.command()
@_INPUT
@watermark_detection_options
@click.option("--min-consistency", default=0.6, show_default=True, type=click.FloatRange(0, 1),
              help="How alike an overlay's edges must be in every frame (1 = identical).")
@_FPS
@mask_output_options
@debug_option
def watermark(input_path, samples, sensitivity, min_consistency, fps, **output):
    """Find a static overlay (logo, timestamp, channel bug) from what stays constant while the content moves.

    Example: vinpaint mask watermark clip.mp4 -o logo-masks/ --dilate 2
    """
    from ..masks.detectors.watermark import find_watermark_by_shot

    overlays = find_watermark_by_shot(input_path, samples=samples, fps=fps, sensitivity=sensitivity,
                                      min_consistency=min_consistency)  # each shot's overlay from its own frames
    for overlay in overlays:
        where = f"frames {overlay.first}-{overlay.stop - 1}: " if len(overlays) > 1 else ""
        click.echo(f"{where}overlay: {count_of(int(overlay.mask.sum()), 'pixel')} "
                   f"({100 * overlay.mask.mean():.2f}% of the frame)", err=True)
    masks = [np.broadcast_to(overlay.mask, (overlay.stop - overlay.first, *overlay.mask.shape)) for overlay in overlays]
    write_masks(masks[0] if len(masks) == 1 else np.concatenate(masks), **output)


@mask.command()
@_INPUT
@click.option("--confidence", default=0.5, show_default=True, type=click.FloatRange(0, 1),
              help="Detector score a face needs at least once to be tracked.")
@click.option("--keep", default=0.3, show_default=True, type=click.FloatRange(0, 1),
              help="Lower score that extends a face's track (hysteresis).")
@click.option("--margin", default=0.25, show_default=True, type=click.FloatRange(0, 5),
              help="Grow each face box by this fraction of its size on each side.")
@click.option("--shape", default="ellipse", show_default=True, type=click.Choice(["ellipse", "rect"]))
@click.option("--hold", default=3, show_default=True, type=click.IntRange(0, 1000),
              help="Frames a face stays covered before its first and after its last detection.")
@click.option("--max-gap", default=8, show_default=True, type=click.IntRange(0, 1000),
              help="Missed frames a track bridges (boxes interpolated).")
@click.option("--scale", default=1.0, show_default=True, type=click.FloatRange(0.05, 2),
              help="Run the detector at this fraction of the size (0.5 = faster, misses small faces).")
@_FPS
@mask_output_options
@debug_option
def faces(input_path, confidence, keep, margin, shape, hold, max_gap, scale, fps, **output):
    """Faces (YuNet, weights inside the yuface wheel), tracked so that no frame leaks one.

    Example: vinpaint mask faces clip.mp4 -o face-masks/
    """
    from ..errors import InvalidOptionError
    from ..io import open_video
    from ..masks import MASK_SOURCES

    if keep > confidence:
        raise InvalidOptionError(f"--keep ({keep}) must not exceed --confidence ({confidence})")
    masks = MASK_SOURCES.get("faces")(open_video(input_path, fps=fps).images(), confidence=confidence, keep=keep,
                                      scale=scale, max_gap=max_gap, hold=hold, margin=margin, shape=shape)
    click.echo(f"faces: covered in {int(masks.any(axis=(1, 2)).sum())} of {count_of(len(masks), 'frame')}", err=True)
    write_masks(masks, **output)


@mask.command()
@_INPUT
@click.option("--plates/--no-plates", default=True, show_default=True, help="Licence plates (OpenCV Haar cascades).")
@click.option("--text/--no-text", "find_text", default=True, show_default=True, help="Lines of text (MSER + stroke width).")
@click.option("--min-height", default=8, show_default=True, type=click.IntRange(3, 10000), help="Smallest character height (pixels).")
@click.option("--min-chars", default=4, show_default=True, type=click.IntRange(1, 100), help="Characters a text line needs.")
@click.option("--margin", default=0.1, show_default=True, type=click.FloatRange(0, 5),
              help="Grow each box by this fraction of its size on each side.")
@_FPS
@mask_output_options
@debug_option
def text(input_path, plates, find_text, min_height, min_chars, margin, fps, **output):
    """Licence plates and on-screen text (subtitles, captions, signs), as rectangles, tracked over time.

    Example: vinpaint mask text clip.mp4 -o text-masks/ --no-plates
    """
    from ..errors import InvalidOptionError
    from ..io import open_video
    from ..masks import MASK_SOURCES

    if not (plates or find_text):
        raise InvalidOptionError("--no-plates and --no-text leave nothing to find")
    options = {"min_height": min_height, "min_chars": min_chars} if find_text else {}
    masks = MASK_SOURCES.get("text")(open_video(input_path, fps=fps).images(), plates=plates, text=find_text,
                                     margin=margin, **options)
    write_masks(masks, **output)


@mask.command()
@_INPUT
@damage_detection_options
@click.option("--grow", default=1, show_default=True, type=click.IntRange(0, 50), help="Grow each damaged spot by PX pixels.")
@_FPS
@mask_output_options
@debug_option
def damage(input_path, radius, threshold, grow, fps, **output):
    """Film damage (dust, scratches, drop-outs): outliers against flow-aligned neighbouring frames.

    Example: vinpaint mask damage old-film.mp4 -o damage-masks/
    """
    from ..io import open_video
    from ..masks import MASK_SOURCES

    found = MASK_SOURCES.get("damage")(open_video(input_path, fps=fps).images(), radius=radius, threshold=threshold,
                                       grow=grow)
    write_masks(found, **output)
