"""The built-in example behind ``make demo`` and ``vinpaint demo``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..evaluate.metrics import psnr
from ..errors import OutputError
from ..io import check_output, encode_frames
from ..io.masks import MASK_NAME, check_mask_folder, write_mask_folder
from ..io.writers import FOLDER_MARK, mark_folder, refuse_foreign_folder, written_by_vinpaint
from ..pipeline import Progress, RemoveOptions, remove, remove_file
from .synthetic import make_panning_clip


@dataclass(frozen=True)
class DemoResult:
    input: Path
    mask: Path
    output: Path
    psnr_hole: float
    psnr_hole_baseline: float


def run_demo(folder: str | Path, *, progress: Progress | None = None) -> DemoResult:
    """Write a synthetic clip (a square moving over a panning texture) and its mask, remove the square.

    Returns where the files are and how close the fill is to the known background, against the
    per-frame Telea baseline.
    """
    folder = _demo_folder(folder)
    clip = make_panning_clip(frames=60, height=180, width=320, object_size=40, object_speed=(3.0, 0.8))
    source = encode_frames(clip.frames, folder / "input.mp4", fps=30, crf=12)
    mask_folder = write_mask_folder(clip.masks, folder / "mask", overwrite=True)
    output = remove_file(source, mask_folder, folder / "result.mp4", overwrite=True, progress=progress)
    ours = remove(clip.frames, clip.masks)
    baseline = remove(clip.frames, clip.masks, RemoveOptions(engine="perframe"))
    hole = clip.masks
    return DemoResult(source, mask_folder, output, psnr(ours[hole], clip.background[hole]),
                      psnr(baseline[hole], clip.background[hole]))


#: what the demo writes in its folder
_DEMO_FILES = {"input.mp4", "mask", "result.mp4"}


def _demo_folder(folder: str | Path) -> Path:
    """The demo's folder, checked before anything is written and marked as vinpaint's: a new or empty
    folder, or one an earlier demo wrote (marked, or from before folders were marked: nothing but the
    demo's files, its videos tagged as vinpaint's).  The files it will replace are checked too."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{folder} is a file; give a folder for the demo's input, mask and result")
    if folder.is_dir():
        names = {path.name for path in folder.iterdir()} - {FOLDER_MARK}
        videos = [folder / name for name in ("input.mp4", "result.mp4") if (folder / name).is_file()]
        masks = folder / "mask"
        if (names and names <= _DEMO_FILES and all(written_by_vinpaint(video) for video in videos)
                and not (folder / FOLDER_MARK).exists()):
            mark_folder(folder)  # an earlier demo's, from before folders were marked
            if masks.is_dir() and all(MASK_NAME.fullmatch(path.name) for path in masks.iterdir()):
                mark_folder(masks)
        refuse_foreign_folder(folder, overwrite=True, what="demo folder")
        for video in ("input.mp4", "result.mp4"):
            check_output(folder / video, overwrite=True)
        check_mask_folder(masks, overwrite=True)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        mark_folder(folder)
    except OSError as error:
        raise OutputError(f"cannot write the demo into {folder}: {error.strerror or error}; choose a writable "
                          "place") from None
    return folder
