"""``vinpaint watermark``, ``anonymize``, ``restore`` and ``background``: detect a mask and fill it, one command."""

from __future__ import annotations

from pathlib import Path

import click

from ..io import EncodeOptions
from ..options import ENCODE_OPTIONS, REMOVE_OPTIONS
from ..pipeline import RemoveOptions
from ..wording import count_of
from . import debug_option, main
from .options import IdList, click_options, damage_detection_options, together, watermark_detection_options
from .progress import progress_bar


#: Input, output, encoding and run options every job shares.
_common = together(
    click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path)),
    click.option("--output", "-o", "output_path", required=True, type=click.Path(path_type=Path),
                 help="Output video (.mp4 .mov .mkv .webm .avi) or a folder for PNG frames."),
    click_options(ENCODE_OPTIONS),
    click.option("--fps", type=click.FloatRange(min=0.001), default=None, help="Frame rate of a frame-folder input (default 25)."),
    click.option("--overwrite", is_flag=True, help="Replace an existing output."),
    click.option("--quiet", "-q", is_flag=True, help="No progress bar."),
    debug_option,
)


def _fill_options(default_dilate: int):
    """``--engine`` and ``--dilate`` (the jobs differ in how far their masks should grow)."""
    return click_options([spec for spec in REMOVE_OPTIONS if spec.name in ("engine", "dilate")],
                         defaults={"dilate": default_dilate})


def _report(result) -> None:
    click.echo(f"masked {count_of(result.masked_frames, 'frame')}, {100 * result.masked_fraction:.2f}% of the pixels on average",
               err=True)
    if result.masks:
        click.echo(f"masks: {result.masks}", err=True)
    click.echo(str(result.output))


@main.command()
@_common
@_fill_options(default_dilate=4)
@watermark_detection_options
@click.option("--save-mask", type=click.Path(path_type=Path), default=None, help="Also write the found mask as this PNG.")
def watermark(input_path, output_path, crf, lossless, fps, overwrite, quiet, engine, dilate, samples, sensitivity, save_mask):
    """Find a static overlay (logo, timestamp, channel bug) and remove it.

    Example: vinpaint watermark clip.mp4 -o clean.mp4 --save-mask logo.png
    """
    from ..recipes import remove_watermark

    with progress_bar("removing", quiet=quiet) as progress:
        result = remove_watermark(input_path, output_path, RemoveOptions(engine=engine, dilate=dilate), samples=samples,
                                  save_mask=save_mask, detect_options={"sensitivity": sensitivity},
                                  encode=EncodeOptions(crf=crf, lossless=lossless), fps=fps, overwrite=overwrite,
                                  progress=progress)
    _report(result)


@main.command()
@_common
@click.option("--faces", is_flag=True, help="Hide faces (the default when nothing is chosen).")
@click.option("--plates", is_flag=True, help="Hide licence plates.")
@click.option("--text", "find_text", is_flag=True, help="Hide on-screen text and subtitles.")
@click.option("--method", default="blur", show_default=True, type=click.Choice(["inpaint", "blur", "pixelate"]),
              help="blur/pixelate change only the masked pixels; inpaint removes them.")
@click.option("--strength", default=0.0, show_default=True, type=click.FloatRange(min=0),
              help="Blur sigma or block size in pixels (0 = automatic, from the frame size).")
@click.option("--margin", default=0.25, show_default=True, type=click.FloatRange(0, 5),
              help="Grow each face box by this fraction of its size on each side.")
@click.option("--confidence", default=0.5, show_default=True, type=click.FloatRange(0, 1),
              help="Face detector score a track needs at least once.")
@click.option("--hold", default=3, show_default=True, type=click.IntRange(0, 1000),
              help="Frames a face stays hidden before its first and after its last detection.")
@click.option("--detector", type=click.Path(path_type=Path, dir_okay=False), default=None, metavar="MODEL.onnx",
              help="Also hide the objects a YOLO-style ONNX detector finds (needs vinpaint[onnx]).")
@click.option("--classes", default=None, metavar="NAMES",
              help="Detector classes to hide, comma-separated names or numbers (default: every class).")
@click.option("--score", default=0.25, show_default=True, type=click.FloatRange(0, 1),
              help="Least detector score of a hidden object.")
@click.option("--save-masks", type=click.Path(path_type=Path), default=None, help="Also write the masks to this folder.")
def anonymize(input_path, output_path, crf, lossless, fps, overwrite, quiet, faces, plates, find_text, method, strength,
              margin, confidence, hold, detector, classes, score, save_masks):
    """Hide faces, licence plates and text in every frame (blur, pixelate or inpaint).

    Example: vinpaint anonymize street.mp4 -o private.mp4 --faces --plates --method pixelate

    Any class, with your own detector: vinpaint anonymize street.mp4 -o private.mp4 --detector yolov8n.onnx --classes person,car
    """
    from ..recipes import anonymize as run

    if not (faces or plates or find_text or detector):
        faces = True
    with progress_bar("anonymizing", quiet=quiet) as progress:
        result = run(input_path, output_path, faces=faces, plates=plates, text=find_text, method=method, strength=strength,
                     margin=margin, confidence=confidence, hold=hold, detector=detector,
                     classes=classes.split(",") if classes else None, score=score, save_masks=save_masks,
                     encode=EncodeOptions(crf=crf, lossless=lossless), fps=fps, overwrite=overwrite, progress=progress)
    _report(result)


@main.command()
@_common
@_fill_options(default_dilate=2)
@damage_detection_options
@click.option("--save-masks", type=click.Path(path_type=Path), default=None, help="Also write the damage masks to this folder.")
def restore(input_path, output_path, crf, lossless, fps, overwrite, quiet, engine, dilate, radius, threshold, save_masks):
    """Find film damage (dust, scratches, drop-outs) and fill it from the neighbouring frames.

    Example: vinpaint restore old-film.mp4 -o restored.mp4
    """
    from ..recipes import restore as run

    with progress_bar("restoring", quiet=quiet) as progress:
        result = run(input_path, output_path, RemoveOptions(engine=engine, dilate=dilate), radius=radius,
                     detect_options={"threshold": threshold}, save_masks=save_masks,
                     encode=EncodeOptions(crf=crf, lossless=lossless), fps=fps, overwrite=overwrite, progress=progress)
    _report(result)


@main.command()
@_common
@click.option("--subject", "-s", "subject_path", required=True, type=click.Path(path_type=Path),
              help="Mask of the subject to keep: a folder (one image a frame), one image, or a mask video.")
@click.option("--with", "-w", "background", required=True, metavar="IMAGE|VIDEO|COLOR|fill",
              help="What goes behind the subject: an image, a video (looped), a colour (#00ff00, 0,255,0, green) "
                   "or 'fill' (a clean plate of the clip itself).")
@click.option("--feather", default=2.0, show_default=True, type=click.FloatRange(0, 200),
              help="Soften the subject's edge over PX pixels outside it.")
@click.option("--mask-ids", type=IdList(), default=None, help="Object ids of the subject in palette masks (default: all non-zero).")
def background(input_path, output_path, crf, lossless, fps, overwrite, quiet, subject_path, background, feather, mask_ids):
    """Keep the subject, replace everything else with an image, a video, a colour or a clean plate.

    Example: vinpaint background talk.mp4 --subject person-masks/ --with beach.jpg -o beach.mp4
    """
    from ..recipes import replace_background

    with progress_bar("compositing", quiet=quiet) as progress:
        result = replace_background(input_path, subject_path, output_path, background=background, feather=feather,
                                    mask_ids=mask_ids, encode=EncodeOptions(crf=crf, lossless=lossless), fps=fps,
                                    overwrite=overwrite, progress=progress)
    _report(result)
