"""Mask files: a folder of per-frame images, one image for every frame, or a mask video.

Non-zero means "fill this".  Palette PNGs carry object ids (DAVIS style); ``ids`` picks some of them.
A mask of another size but the same aspect ratio is resized (nearest neighbour); anything else is an
error.  Masks stream like frames: one is decoded at a time.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import cv2
import numpy as np

from ..errors import InputNotFoundError, MaskMismatchError, OutputError, UnreadableInputError
from ..wording import count_of, first_names
from .images import IMAGE_EXTENSIONS, read_label_image, write_png
from .readers import PyAVSource, list_images

_ASPECT_TOLERANCE = 0.02  # 432x240 and 854x480 (DAVIS sizes) differ by 1.2 %
#: the quality report ``vinpaint mask`` writes beside the masks (:mod:`vinpaint.masks.report`); not a mask
REPORT_FILE = "report.json"


def fit_mask(mask: np.ndarray, height: int, width: int, *, name: str = "mask") -> np.ndarray:
    """Resize a ``(h,w)`` mask or label image to ``(height,width)`` if the aspect ratio matches.

    Raises:
        MaskMismatchError: the aspect ratios differ by more than 2 %.
    """
    h, w = mask.shape[:2]
    if (h, w) == (height, width):
        return mask
    if abs((w / h) / (width / height) - 1) > _ASPECT_TOLERANCE:
        raise MaskMismatchError(
            f"{name} is {w}x{h} but the video is {width}x{height}: a different aspect ratio; "
            "make the mask at the video's size"
        )
    return cv2.resize(mask, (width, height), interpolation=cv2.INTER_NEAREST)


def labels_to_mask(labels: np.ndarray, ids: Iterable[int] | None) -> np.ndarray:
    """``(H,W)`` labels -> ``(H,W)`` bool: any non-zero label, or only the labels in ``ids``."""
    if ids is None:
        return labels != 0
    return np.isin(labels, np.fromiter(ids, dtype=labels.dtype))


class MaskSource:
    """Per-frame masks at the video's size, ``(H,W)`` bool each, streamed.

    Args:
        path: a folder of mask images, one image (used for every frame) or a mask video.
        frame_count, height, width: the video's, to check and fit against.  ``frame_count`` None (a live
            stream of unknown length): one image repeats for as long as it is read, a folder or video is
            checked against the frames when they run out (:func:`vinpaint.pipeline.remove_stream`).
        ids: object ids to keep (palette PNGs); None keeps every non-zero id.
    """

    def __init__(self, path: str | Path, frame_count: int | None, height: int, width: int, *,
                 ids: Iterable[int] | None = None):
        self.path = Path(path)
        self.height, self.width, self.frame_count = height, width, frame_count
        self.ids = None if ids is None else sorted(set(int(i) for i in ids))
        if not self.path.exists():
            raise InputNotFoundError(f"mask not found: {self.path}")
        self._video: PyAVSource | None = None
        self._files: list[Path] = []
        if self.path.is_dir():
            self._files = list_images(self.path)
            others = [p.name for p in self.path.iterdir() if p.is_file() and p.suffix.lower() not in IMAGE_EXTENSIONS
                      and not p.name.startswith(".") and p.name != REPORT_FILE]
            if others:
                raise UnreadableInputError(
                    f"mask folder {self.path} holds files that are not images ({', '.join(sorted(others)[:3])}); "
                    "keep only the mask images there"
                )
            if not self._files:
                raise UnreadableInputError(f"mask folder {self.path} holds no images")
            count = len(self._files)
        elif self.path.suffix.lower() in IMAGE_EXTENSIONS:
            self._files = [self.path]
            count = 1
        else:
            self._video = PyAVSource(self.path)
            count = self._video.info.frame_count
        if frame_count is not None and count not in (1, frame_count):
            raise MaskMismatchError(
                f"the mask has {count_of(count, 'frame')}, the video has {count_of(frame_count, 'frame')}; give one mask per frame, "
                "or a single mask for all of them"
            )
        self.static = count == 1
        if self.ids is not None:
            self._check_ids()

    def _check_ids(self) -> None:
        seen: set[int] = set()
        for labels in self._labels():
            seen.update(np.unique(labels).tolist())
        missing = [i for i in self.ids if i not in seen]
        if missing:
            present = sorted(seen - {0})
            raise MaskMismatchError(f"object id(s) {missing} appear in no mask of {self.path}; ids present: {present}")

    def _labels(self) -> Iterator[np.ndarray]:
        if self._video is not None:
            for image in self._video.images():
                yield (image.max(axis=2) >= 128).astype(np.int32)  # lossy video: threshold at mid-grey
        else:
            for file in self._files:
                yield read_label_image(file)

    def __iter__(self) -> Iterator[np.ndarray]:
        if self.static:
            mask = self._fit(next(self._labels()), self.path.name)
            for _ in range(self.frame_count) if self.frame_count is not None else itertools.repeat(None):
                yield mask
            return
        names = (f.name for f in self._files) if self._files else (f"frame {i}" for i in itertools.count())
        for labels, name in zip(self._labels(), names):
            yield self._fit(labels, name)

    def frames(self, first: int, last: int) -> Iterator[np.ndarray]:
        """The masks of frames ``first``..``last`` (inclusive), as iterating would give them; a folder
        reads only those files (a chunk or a preview late in a long clip reads no earlier mask)."""
        if self.static or not self._files:
            yield from itertools.islice(self, first, last + 1)
            return
        for file in self._files[first:last + 1]:
            yield self._fit(read_label_image(file), file.name)

    def _fit(self, labels: np.ndarray, name: str) -> np.ndarray:
        mask = labels_to_mask(labels, self.ids)
        return fit_mask(mask.astype(np.uint8), self.height, self.width, name=f"mask {name}") > 0

    def read_all(self) -> np.ndarray:
        """All masks as ``(T,H,W)`` bool (short clips only)."""
        return np.stack(list(self))


def open_masks(path: str | Path, frame_count: int | None, height: int, width: int, *, ids: Iterable[int] | None = None) -> MaskSource:
    """Open a mask folder, image or video for a video of ``frame_count`` frames of ``width`` x ``height``."""
    return MaskSource(path, frame_count, height, width, ids=ids)


#: the names of the masks vinpaint writes in a mask folder
MASK_NAME = re.compile(r"\d{5}\.png")


def check_mask_folder(folder: str | Path, *, overwrite: bool = False,
                      inputs: Iterable[str | Path | None] = ()) -> Path:
    """Refuse, before any work, a mask folder vinpaint may not fill (:class:`OutputError`): one that is,
    or holds, one of ``inputs`` (the clip, masks or images being read: a frame folder holds
    ``NNNNN.png`` files too), a file, a non-empty folder vinpaint did not mark as its own
    (:func:`~vinpaint.io.writers.refuse_foreign_folder`), or without ``overwrite``, and one holding
    files other than its ``NNNNN.png`` masks and report.  Creates nothing; returns the folder."""
    from .writers import EXTENSIONS, FOLDER_MARK, refuse_foreign_folder, refuse_inputs

    folder = Path(folder)
    refuse_inputs(folder, inputs, name="the mask folder", remedy="choose another folder")
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{folder} is a file, not a folder; give a folder for the masks")
    if not folder.exists() and (folder.suffix.lower() in IMAGE_EXTENSIONS or folder.suffix.lower() in EXTENSIONS):
        raise OutputError(f"masks are written as a folder of PNGs, one a frame: give a folder name, not the file "
                          f"name {folder.name}")
    if folder.is_dir():
        refuse_foreign_folder(folder, overwrite=overwrite, what="mask folder")
        strangers = sorted(entry.name for entry in folder.iterdir() if not (entry.is_file() and (
            MASK_NAME.fullmatch(entry.name) or entry.name in (REPORT_FILE, FOLDER_MARK))))
        if strangers:
            raise OutputError(f"{folder} holds files vinpaint did not write ({first_names(strangers)}); vinpaint "
                              "replaces a mask folder only if it holds nothing but its NNNNN.png masks: choose another "
                              "folder")
    return folder


def prepare_mask_folder(folder: str | Path, *, overwrite: bool = False,
                        inputs: Iterable[str | Path | None] = ()) -> Path:
    """Create ``folder`` for mask PNGs (:func:`check_mask_folder` first), marked as vinpaint's and
    emptied of old masks."""
    from .writers import mark_folder

    folder = check_mask_folder(folder, overwrite=overwrite, inputs=inputs)
    folder.mkdir(parents=True, exist_ok=True)
    mark_folder(folder)
    for old in folder.iterdir():
        if MASK_NAME.fullmatch(old.name):
            old.unlink()
    return folder


def stream_to_mask_folder(masks: Iterable[np.ndarray], folder: str | Path, *, overwrite: bool = False,
                          inputs: Iterable[str | Path | None] = ()) -> Iterator[np.ndarray]:
    """Pass ``(H,W)`` bool masks through, writing each as ``folder/00000.png...`` (255 = fill) on the way.

    The folder is checked and prepared (:func:`prepare_mask_folder`) when the first mask is asked for.
    """
    folder = prepare_mask_folder(folder, overwrite=overwrite, inputs=inputs)
    for index, mask in enumerate(masks):
        write_png(folder / f"{index:05d}.png", mask)
        yield mask


def write_mask_folder(masks: Iterable[np.ndarray], folder: str | Path, *, overwrite: bool = False,
                      inputs: Iterable[str | Path | None] = ()) -> Path:
    """Write ``(T,H,W)`` bool masks as ``folder/00000.png...`` (255 = fill, 0 = keep); returns the folder.
    ``inputs``: see :func:`prepare_mask_folder`."""
    for _ in stream_to_mask_folder(masks, folder, overwrite=overwrite, inputs=inputs):
        pass
    return Path(folder)
