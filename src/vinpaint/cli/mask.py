"""``vinpaint mask ...``: commands that make a mask folder usable by ``vinpaint remove``.

Every command reads a video, calls one mask source of :data:`vinpaint.masks.MASK_SOURCES` by name, post-processes the
result with :func:`~vinpaint.masks.postprocess.postprocess_masks` and writes ``00000.png...``
(255 = fill) and ``report.json``, the masks' quality report (:mod:`vinpaint.masks.report`), whose
one-line summary goes to stderr.  Other modules add commands to the :func:`mask` group with ``@mask.command()`` and share
:func:`mask_output_options` and :func:`write_masks`.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING

import click
import numpy as np

from . import debug_option, main
from .options import FrameRange, IdList
from .progress import progress_bar
from ..options import CLICK_RADIUS_FRACTION

if TYPE_CHECKING:
    from ..masks.track import TrackConfidence


@main.group()
def mask() -> None:
    """Make a mask folder (00000.png..., 255 = fill) for `vinpaint remove` without drawing every frame."""


def mask_output_options(function):
    """The options every ``vinpaint mask`` command shares, passed as keyword arguments:

    ``output`` (``-o``, a folder), ``dilate`` (pixels), ``smooth`` (temporal majority-vote radius in
    frames), ``frame_range`` (``--frames FIRST-LAST`` or None) and ``overwrite``; and ``inputs``, the
    command's input paths (``input_path``, ``mask_path``, ``json_path``), which the mask folder may
    neither be nor hold.  Hand them to :func:`write_masks`.
    """
    options = [
        click.option("--output", "-o", "output", required=True, type=click.Path(path_type=Path),
                     help="Mask folder to write (00000.png..., 255 = fill)."),
        click.option("--dilate", default=0, show_default=True, type=click.IntRange(0, 200),
                     help="Grow the mask by PX pixels."),
        click.option("--smooth", default=0, show_default=True, type=click.IntRange(0, 100),
                     help="Temporal smoothing: majority vote over 2*R+1 frames (0 = off)."),
        click.option("--frames", "frame_range", type=FrameRange(), default=None,
                     help="Keep the mask only on frames FIRST-LAST (0-based, inclusive); other frames are empty."),
        click.option("--overwrite", is_flag=True, help="Replace the masks in an existing folder."),
    ]

    @functools.wraps(function)
    def with_inputs(**kwargs):
        from ..io import open_video
        from ..io.masks import check_mask_folder
        from ..options import check_frame_range

        inputs = tuple(kwargs[name] for name in ("input_path", "mask_path", "json_path") if kwargs.get(name))
        # what can be checked before the work is: the folder, and the range against the clip's length
        check_mask_folder(kwargs["output"], overwrite=kwargs["overwrite"], inputs=inputs)
        if kwargs.get("frame_range") and kwargs.get("input_path"):
            clip = open_video(kwargs["input_path"], fps=kwargs.get("fps"))
            check_frame_range(kwargs["frame_range"], clip.info.frame_count)
        return function(**kwargs, inputs=inputs)

    for option in reversed(options):
        with_inputs = option(with_inputs)
    return with_inputs


def write_masks(masks: np.ndarray, *, output: Path, dilate: int = 0, smooth: int = 0,
                frame_range: tuple[int, int] | None = None, overwrite: bool = False,
                confidence: TrackConfidence | None = None, inputs: tuple = ()) -> Path:
    """Post-process ``(T,H,W)`` bool masks with the shared options, write the folder and its
    ``report.json``, echo the folder's path (stdout) and the report's summary (stderr).

    ``inputs``: paths the folder may neither be nor hold (the command's inputs).
    ``confidence``: the tracker's :class:`~vinpaint.masks.track.TrackConfidence` where the source
    tracked (its unsure frames go into the report; outside ``frame_range`` none is reported).
    """
    from ..masks.postprocess import postprocess_masks, write_mask_folder
    from ..masks.report import check_report_path, mask_quality_report, write_mask_report

    masks = postprocess_masks(masks, dilate=dilate, smooth=smooth, frame_range=frame_range)
    values = unsure = None
    if confidence is not None and confidence.frame_count == len(masks):
        values, unsure = confidence.frames, confidence.unsure.copy()
        if frame_range is not None:
            keep = np.zeros(len(masks), bool)
            keep[frame_range[0]:frame_range[1] + 1] = True
            unsure &= keep
    report = mask_quality_report(masks, confidence=values, unsure=unsure)
    if Path(output).is_dir():
        check_report_path(output)  # before any mask is replaced
    folder = write_mask_folder(masks, output, overwrite=overwrite, inputs=inputs)
    write_mask_report(report, folder)
    click.echo(str(folder))
    click.echo(report.summary(f"{folder}/"), err=True)
    return folder


def work_size_option(function):
    """``--work-size PX``: the long side the tracker works at (0 = the frames' own size)."""
    # from the options table, not the tracker: importing vinpaint.masks would slow every command's start
    from ..options import TRACK_WORK_SIZE

    return click.option("--work-size", default=TRACK_WORK_SIZE, show_default=True, type=click.IntRange(min=0),
                        metavar="PX",
                        help="Track at this long side in pixels (a larger clip is tracked downscaled and its masks "
                             "upsampled); 0 = the frames' own size (slower, finer edges).")(function)


def _work_size(value: int) -> int | None:
    return None if value == 0 else value


def model_options(function):
    """``--card`` (a model card: JSON file or inline JSON) and ``--provider`` (ONNX Runtime execution provider)."""
    function = click.option("--provider", default=None, metavar="NAME",
                            show_default="$VINPAINT_ONNX_PROVIDERS or CPUExecutionProvider",
                            help="ONNX Runtime execution provider, e.g. CUDAExecutionProvider.")(function)
    return click.option("--card", default=None, metavar="JSON",
                        help="Model card (a JSON file or inline JSON) overriding the one beside the model; "
                             "see docs/models.md.")(function)


def _providers(provider: str | None) -> list[str] | None:
    return [provider, "CPUExecutionProvider"] if provider and provider != "CPUExecutionProvider" else None


def read_clip(input_path: Path, *, fps: float | None = None) -> tuple[np.ndarray, object]:
    """Decode the whole clip ``(T,H,W,3)`` uint8 and return it with its ``VideoInfo`` (short clips only)."""
    from ..io import open_video

    source = open_video(input_path, fps=fps)
    return source.read_all(), source.info


def _parse_init(text: str, height: int, width: int) -> tuple[int, np.ndarray]:
    """``FRAME:mask.png`` -> (frame, ``(H,W)`` int labels fitted to the video)."""
    from ..errors import InvalidOptionError
    from ..io import fit_mask, read_label_image

    frame_text, sep, path = text.partition(":")
    try:
        frame = int(frame_text)
    except ValueError:
        frame = -1
    if not sep or frame < 0 or not path:
        raise InvalidOptionError(f"--init {text!r} is not FRAME:MASK_IMAGE, e.g. --init 0:masks/00000.png")
    if not Path(path).exists():
        from ..errors import InputNotFoundError

        raise InputNotFoundError(f"init mask not found: {path}")
    labels = read_label_image(path)
    return frame, fit_mask(labels, height, width, name=f"init mask {path}")


@mask.command("box")
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@click.option("--box", "boxes", multiple=True, metavar="FRAME:x,y,w,h[:ID]",
              help="A box on a keyframe (repeatable); boxes of one ID are interpolated between keyframes.")
@click.option("--json", "json_path", type=click.Path(path_type=Path), default=None,
              help='Keyframes from a JSON file: [{"frame": 0, "box": [x, y, w, h], "id": 1}, '
                   '{"frame": 9, "polygon": [[x, y], ...]}].')
@click.option("--span", type=click.Choice(["hold", "keyed"]), default="hold", show_default=True,
              help="hold: keep the first/last shape before/after the keyframes; keyed: only between them.")
@click.option("--fps", type=click.FloatRange(min=0.001), default=None, hidden=True)
@mask_output_options
@debug_option
def box_command(input_path, boxes, json_path, span, fps, **output):
    """Boxes or polygons at keyframes, interpolated linearly in between.

    Example: vinpaint mask box clip.mp4 --box 0:40,30,120,60 --box 40:90,35,120,60 -o masks/
    """
    from ..errors import InvalidOptionError
    from ..io import open_video
    from ..masks import MASK_SOURCES
    from ..masks.keyframes import load_keyframes, parse_box

    keyframes = [parse_box(text) for text in boxes]
    if json_path is not None:
        keyframes += load_keyframes(json_path)
    if not keyframes:
        raise InvalidOptionError("give at least one --box FRAME:x,y,w,h or a --json file of keyframes")
    info = open_video(input_path, fps=fps).info
    # the box source reads only the clip's size: a zero-stride stand-in, no frame is decoded
    clip = np.broadcast_to(np.zeros((), np.uint8), (info.frame_count, info.height, info.width, 3))
    write_masks(MASK_SOURCES.get("box")(clip, keyframes=keyframes, span=span), **output)


@mask.command("track")
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@click.option("--init", "inits", multiple=True, required=True, metavar="FRAME:MASK",
              help="A mask of the objects on one frame (repeatable). Palette PNG ids are separate objects; "
                   "a later init adds objects and re-anchors those it holds.")
@click.option("--ids", "ids", type=IdList(), default=None, help="Track only these object ids (default: all).")
@click.option("--flow", default=None, help="Optical flow estimator from vinpaint.flow (default: Farnebäck, small window).")
@click.option("--band", default=4, show_default=True, type=click.IntRange(1, 50),
              help="How far (px) the colour model may move the warped mask's edge.")
@click.option("--motion", default="auto", show_default=True, type=click.Choice(["auto", "flow", "similarity"]),
              help="How a mask moves: along the flow, as a whole (similarity fitted to the flow), or chosen per object.")
@click.option("--no-refine", is_flag=True, help="Warp only, no colour refinement.")
@click.option("--no-plate", is_flag=True,
              help="No background plates (the frames passed, aligned, as the background) to help the colour model.")
@click.option("--track-smooth", default=1, show_default=True, type=click.IntRange(0, 10),
              help="Flow-aligned temporal smoothing radius inside the tracker (frames).")
@work_size_option
@click.option("--fps", type=click.FloatRange(min=0.001), default=None, hidden=True)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@mask_output_options
@debug_option
def track_command(input_path, inits, ids, flow, band, motion, no_refine, no_plate, track_smooth, work_size, fps, quiet,
                  **output):
    """Track keyframe masks through the whole clip, forwards and backwards.

    Example: vinpaint mask track clip.mp4 --init 0:first.png --init 30:later.png -o masks/
    """
    from ..masks import MASK_SOURCES
    from ..masks.track import TrackConfidence

    frames, _ = read_clip(input_path, fps=fps)
    height, width = frames.shape[1:3]
    init: dict[int, np.ndarray] = {}
    for text in inits:
        frame, labels = _parse_init(text, height, width)
        if frame in init:  # two files for one frame: merge them (the later wins where they overlap)
            labels = np.where(labels > 0, labels, init[frame])
        init[frame] = labels
    confidence = TrackConfidence()
    with progress_bar("tracking", quiet=quiet) as progress:
        masks = MASK_SOURCES.get("track")(frames, init=init, ids=ids, flow=flow, band=band, refine=not no_refine, smooth=track_smooth,
                            motion=motion, plate=not no_plate, progress=progress, work_size=_work_size(work_size),
                            confidence=confidence)
    output["inputs"] += tuple(text.partition(":")[2] for text in inits)  # an init may be named like a mask
    write_masks(masks, confidence=confidence, **output)


@mask.command("click")
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@click.option("--point", "points", multiple=True, metavar="FRAME:x,y[,neg]",
              help="A click on the object (or, with ,neg, on the background) (repeatable).")
@click.option("--box", "box_text", default=None, metavar="[FRAME:]X,Y,W,H",
              help="A box around the object (on the points' frame, or frame 0), alone or with points.")
@click.option("--radius", type=click.FloatRange(min=1), default=None,
              help=f"How far (px) the object may reach from a positive point (default: "
                   f"{CLICK_RADIUS_FRACTION:.0%} of the frame's smaller side).")
@click.option("--no-track", is_flag=True, help="Only the clicked frames' segments, no tracking.")
@click.option("--model", "model_path", type=click.Path(path_type=Path), default=None,
              help="A SAM-style image encoder (.onnx) to segment with instead of GrabCut (needs vinpaint[onnx]).")
@click.option("--decoder", "decoder_path", type=click.Path(path_type=Path), default=None,
              show_default="the encoder's name with 'decoder' for 'encoder'", help="Its prompt decoder (.onnx).")
@model_options
@work_size_option
@click.option("--fps", type=click.FloatRange(min=0.001), default=None, hidden=True)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@mask_output_options
@debug_option
def click_command(input_path, points, box_text, radius, no_track, model_path, decoder_path, card, provider, work_size, fps,
                  quiet, **output):
    """Segment the clicked object on one frame, then track it through the clip.

    Example: vinpaint mask click clip.mp4 --point 12:200,140 --point 12:210,180 --point 12:90,40,neg -o masks/

    --work-size applies where the clicked object is tracked by the classical tracker (not with --model or --no-track).
    """
    from ..masks import MASK_SOURCES
    from ..masks.click import neighbouring_frames, parse_click_box, parse_point, segment_from_points

    parsed = [parse_point(text) for text in points]
    box = parse_click_box(box_text, frame=parsed[0].frame if parsed else 0) if box_text else None
    if not parsed and box is None:
        from ..errors import InvalidOptionError

        raise InvalidOptionError("give --point FRAME:x,y (repeatable) or --box [FRAME:]X,Y,W,H")
    if model_path is not None:
        from ..models import OnnxSegmenter

        segmenter = OnnxSegmenter(model_path, decoder_path, encoder_card=card, providers=_providers(provider))
        segment_from_points = lambda frame, group, radius=None: segmenter(frame, group)  # noqa: E731
    frames, _ = read_clip(input_path, fps=fps)
    confidence = None  # the classical tracker's, where it tracks
    if model_path is not None and not no_track:
        from ..models.segment import segment_track

        with progress_bar("tracking", quiet=quiet) as progress:
            masks = segment_track(frames, parsed, segmenter, progress=progress)
    elif no_track:
        from ..errors import InvalidOptionError

        masks = np.zeros(frames.shape[:3], bool)
        for frame in sorted({p.frame for p in parsed} | ({box[0]} if box else set())):
            if frame >= len(frames):
                raise InvalidOptionError(f"point on frame {frame} is beyond the clip's {len(frames)} frames (0-{len(frames) - 1})")
            group = [p for p in parsed if p.frame == frame]
            if model_path is not None:
                masks[frame] = segment_from_points(frames[frame], group, radius=radius)
            else:
                masks[frame] = segment_from_points(frames[frame], group, radius=radius, neighbours=neighbouring_frames(frames, frame),
                                                   box=box[1:] if box and box[0] == frame else None)
    else:
        from ..masks.track import TrackConfidence

        confidence = TrackConfidence()
        with progress_bar("tracking", quiet=quiet) as progress:
            masks = MASK_SOURCES.get("click")(frames, points=parsed, box=box, radius=radius, progress=progress,
                                              work_size=_work_size(work_size), confidence=confidence)
    write_masks(masks, confidence=confidence, **output)


@mask.command("detect")
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@click.option("--model", "model_path", required=True, type=click.Path(path_type=Path),
              help="A YOLO-style detector (.onnx: images -> (1, 4+classes, N)); needs vinpaint[onnx].")
@click.option("--classes", required=True, metavar="NAME,...",
              help="Classes to mask, by name (from the model's metadata or card) or number: person,car.")
@click.option("--score", default=0.25, show_default=True, type=click.FloatRange(0, 1), help="Least detection score kept.")
@click.option("--iou", default=0.45, show_default=True, type=click.FloatRange(0, 1),
              help="Overlap above which the weaker of two boxes of one class is dropped (non-maximum suppression).")
@click.option("--every", default=10, show_default=True, type=click.IntRange(min=1),
              help="Run the detector on every N-th frame; the masks are tracked in between (1: every frame, no tracking).")
@click.option("--refine", default="grabcut", show_default=True, type=click.Choice(["grabcut", "box"]),
              help="grabcut: the object's outline inside each box; box: the box itself.")
@click.option("--no-track", is_flag=True, help="Only the frames the detector ran on, no tracking.")
@model_options
@click.option("--fps", type=click.FloatRange(min=0.001), default=None, hidden=True)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@mask_output_options
@debug_option
def detect_command(input_path, model_path, classes, score, iou, every, refine, no_track, card, provider, fps, quiet,
                   **output):
    """Mask every object of the given classes a detector model finds, tracked through the clip.

    Example: vinpaint mask detect street.mp4 --model yolov8n.onnx --classes person,car -o masks/
    """
    from ..models import OnnxDetector
    from ..models.detect import detect_track

    detector = OnnxDetector(model_path, card=card, providers=_providers(provider))
    names = [name.strip() for name in classes.split(",") if name.strip()]
    detector.class_ids(names)  # an unknown class name is reported before the clip is read
    frames, _ = read_clip(input_path, fps=fps)
    with progress_bar("detecting", quiet=quiet) as progress:
        masks = detect_track(frames, detector, classes=names, score=score, iou=iou, every=every, refine=refine,
                             track=not no_track, progress=progress)
    write_masks(masks, **output)


@mask.command("shadows")
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@click.option("--mask", "-m", "mask_path", required=True, type=click.Path(path_type=Path),
              help="Mask folder, one image, or a mask video of the objects (non-zero = object).")
@click.option("--fps", type=click.FloatRange(min=0.001), default=None, hidden=True)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@mask_output_options
@debug_option
def shadows_command(input_path, mask_path, fps, quiet, **output):
    """Add each object's cast shadow to its mask, as `vinpaint remove --shadows` finds it (its defaults).

    The shadow is the ground touching the object that is darker than the same ground in other frames,
    with the same colour. Use it to check or edit the shadow, or to hand it to another tool.

    Example: vinpaint mask shadows clip.mp4 --mask masks/ -o with-shadows/
    """
    from ..io import open_masks, open_video
    from ..pipeline import stream_shadow_masks

    source = open_video(input_path, fps=fps)
    info = source.info
    masks = open_masks(mask_path, info.frame_count, info.height, info.width)
    grown = []
    with progress_bar("finding shadows", quiet=quiet) as progress:
        for mask in stream_shadow_masks((frame.image for frame in source), masks):
            grown.append(mask)
            if progress is not None:
                progress(len(grown), info.frame_count)
    write_masks(np.stack(grown), **output)


@mask.command("preview")
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@click.option("--mask", "-m", "mask_path", required=True, type=click.Path(path_type=Path),
              help="Mask folder, one image, or a mask video (non-zero = fill).")
@click.option("--output", "-o", "output_path", required=True, type=click.Path(path_type=Path),
              help="Preview video (.mp4 ...) or a folder for PNG frames.")
@click.option("--mask-ids", type=IdList(), default=None, help="Show only these object ids of palette masks.")
@click.option("--opacity", default=0.45, show_default=True, type=click.FloatRange(0, 1), help="Tint strength.")
@click.option("--fringe", default=0, show_default=True, type=click.IntRange(0, 50), metavar="PX",
              help="Also tint (in cyan) the pixels `remove --fringe PX` would add where the object's colour bleeds past the mask.")
@click.option("--crf", default=23, show_default=True, type=click.IntRange(0, 51), help="H.264 quality.")
@click.option("--fps", type=click.FloatRange(min=0.001), default=None, help="Frame rate of a frame-folder input.")
@click.option("--mark-unsure/--no-mark-unsure", default=True, show_default=True,
              help="Frame in red, with the word 'unsure', the frames the mask folder's report.json calls unsure.")
@click.option("--overwrite", is_flag=True, help="Replace an existing output.")
@debug_option
def preview_command(input_path, mask_path, output_path, mask_ids, opacity, fringe, crf, fps, mark_unsure, overwrite):
    """Write INPUT with the mask tinted and outlined over it, to check a mask before a fill.

    Example: vinpaint mask preview clip.mp4 --mask masks/ -o preview.mp4
    """
    from ..io import EncodeOptions, check_output, open_masks, open_video, open_writer
    from ..masks.preview import mark_frames, overlay_masks
    from ..masks.report import unsure_frames

    source = open_video(input_path, fps=fps)
    info = source.info
    masks = open_masks(mask_path, info.frame_count, info.height, info.width, ids=mask_ids)
    check_output(output_path, inputs=(input_path, mask_path), overwrite=overwrite)
    unsure = set(unsure_frames(mask_path)) if mark_unsure else set()
    with open_writer(output_path, info, options=EncodeOptions(crf=crf), audio_source=input_path) as sink:
        for index, (frame, mask) in enumerate(zip(source, masks)):
            image = overlay_masks(frame.image[None], mask[None], opacity=opacity, fringe=fringe)
            if index in unsure:
                image = mark_frames(image, np.ones(1, bool))
            sink.write(image[0], frame.pts)
    click.echo(str(output_path))
    if unsure:
        click.echo(f"{len(unsure)} unsure frame(s) marked", err=True)
