"""What every recipe shares: the result record and streaming a file through a transform.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..io import is_stream, open_video
from ..io.masks import check_mask_folder, stream_to_mask_folder
from ..io.writers import refuse_overlap
from ..pipeline import RemoveOptions, remove_stream, rewrite_video


Progress = Callable[[int, int | None], None]


@dataclass(frozen=True)
class JobResult:
    """What a job wrote and how much it changed.

    Attributes:
        output: the output video or folder.
        masked_frames: frames whose mask was not empty.
        masked_fraction: mean fraction of a frame's pixels in the mask (before the fill's dilation).
        masks: the mask folder written, when one was asked for.
    """

    output: Path
    masked_frames: int
    masked_fraction: float
    masks: Path | None = None


# --------------------------------------------------------------------------------------------------
# shared plumbing
class _MaskStats:
    """Counts non-empty masks and their mean coverage as they stream past."""

    def __init__(self) -> None:
        self.frames = 0
        self.count = 0
        self.total = 0.0

    def watch(self, masks: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
        for mask in masks:
            self.count += 1
            coverage = float(mask.mean())
            self.total += coverage
            self.frames += coverage > 0
            yield mask

    @property
    def fraction(self) -> float:
        return self.total / self.count if self.count else 0.0


def _check_saved_masks(folder: str | Path | None, output: Path, input_path: str | Path, overwrite: bool) -> None:
    """Before any work: the mask folder a job was asked to keep (``--save-masks``) may be filled
    (:func:`~vinpaint.io.masks.check_mask_folder`), and is apart from the output (each would replace the other)."""
    if folder is None:
        return
    check_mask_folder(folder, overwrite=overwrite, inputs=(input_path,))
    if not is_stream(output):
        refuse_overlap(Path(folder), Path(output), name="the mask folder", other_name="the output")


def _saving(masks: Iterable[np.ndarray], folder: str | Path, overwrite: bool,
            input_path: str | Path) -> Iterator[np.ndarray]:
    """Pass masks through, writing each as ``folder/00000.png...`` (255 = masked) on the way (never into the input)."""
    return stream_to_mask_folder(masks, folder, overwrite=overwrite, inputs=(input_path,))


def _inpaint_transform(masks: Iterable[np.ndarray], options: RemoveOptions | None, total: int):
    """Fill ``masks`` with :func:`~vinpaint.pipeline.remove_stream` (the engine reads no pixel inside a hole)."""
    options = options or RemoveOptions()

    def transform(images: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
        return remove_stream(images, masks, options, total=total)

    return transform


def _rewrite(input_path, output: Path, transform, *, encode, fps, overwrite, progress) -> Path:
    return rewrite_video(open_video(input_path, fps=fps), output, transform, encode=encode, overwrite=overwrite,
                         progress=progress)
