"""The built-in example behind ``make demo`` and ``vinpaint demo``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..evaluate.metrics import psnr
from ..io import encode_frames
from ..io.masks import write_mask_folder
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
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    clip = make_panning_clip(frames=60, height=180, width=320, object_size=40, object_speed=(3.0, 0.8))
    source = encode_frames(clip.frames, folder / "input.mp4", fps=30, crf=12)
    mask_folder = write_mask_folder(clip.masks, folder / "mask", overwrite=True)
    output = remove_file(source, mask_folder, folder / "result.mp4", overwrite=True, progress=progress)
    ours = remove(clip.frames, clip.masks)
    baseline = remove(clip.frames, clip.masks, RemoveOptions(engine="perframe"))
    hole = clip.masks
    return DemoResult(source, mask_folder, output, psnr(ours[hole], clip.background[hole]),
                      psnr(baseline[hole], clip.background[hole]))
