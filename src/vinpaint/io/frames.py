"""Reading a few frames of a clip without holding the whole clip in memory.

A folder of images reads only the files asked for.  A container is decoded forward from its start
and decoding stops after the last frame asked for; frames before the range are decoded and dropped,
so memory holds the range alone.  (Frame-exact seeking by index is not reliable across containers
with variable frame rates or edit lists, so it is not attempted.)
"""

from __future__ import annotations

from itertools import islice
from pathlib import Path

import numpy as np

from ..errors import InvalidOptionError, UnreadableInputError
from .images import read_image
from .readers import FolderSource, open_video


def read_frames(path: str | Path, first: int, last: int, *, fps: float | None = None) -> np.ndarray:
    """Frames ``first``..``last`` (inclusive, 0-based) of a video file or frame folder.

    Shape:
        returns: ``(last - first + 1, H, W, 3)`` uint8 RGB, in display orientation (as
        :func:`vinpaint.io.open_video` yields them).

    Args:
        path: a container FFmpeg reads, or a folder of images.
        first, last: the inclusive frame range.
        fps: frame rate of a frame folder (see :func:`open_video`); it does not change which frames are read.

    Raises:
        InputNotFoundError: ``path`` does not exist.
        UnreadableInputError: not a video, or a frame of the range does not decode.
        InvalidOptionError: the range is empty or lies beyond the clip's frames.
    """
    source = open_video(path, fps=fps)
    count = source.info.frame_count
    if not 0 <= first <= last:
        raise InvalidOptionError(f"frame range must be FIRST-LAST with 0 <= FIRST <= LAST, got {first}-{last}")
    if last >= count:
        raise InvalidOptionError(f"frame range {first}-{last} is outside the clip's frames 0-{count - 1}; "
                                 "give a range within it")
    if isinstance(source, FolderSource):
        images = [read_image(file) for file in source.files[first : last + 1]]
        size = (source.info.height, source.info.width)
        for file, image in zip(source.files[first : last + 1], images):
            if image.shape[:2] != size:
                raise UnreadableInputError(
                    f"{file.name} is {image.shape[1]}x{image.shape[0]}, the first frame is {size[1]}x{size[0]}; "
                    "all frames of a folder must have one size")
    else:
        # islice closes the decoding generator (and its container) once `last` is read
        images = list(islice(source.images(), first, last + 1))
        if len(images) < last - first + 1:
            raise UnreadableInputError(f"{path}: decoding stopped at frame {first + len(images)}, before frame {last}")
    return np.stack(images)
