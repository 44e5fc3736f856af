"""Reading and writing: the only place where pixel formats, files and timestamps are converted."""

from .frames import read_frames
from .images import read_image, read_label_image, write_png
from .masks import MaskSource, fit_mask, open_masks
from .readers import READERS, Frame, VideoInfo, VideoSource, is_stream, open_video
from .writers import (
    EXTENSIONS,
    STREAM_FORMATS,
    WRITERS,
    EncodeOptions,
    VideoSink,
    check_output,
    encode_frames,
    is_stdout,
    open_writer,
)

__all__ = [
    "EXTENSIONS", "READERS", "STREAM_FORMATS", "WRITERS", "EncodeOptions", "Frame", "MaskSource", "VideoInfo",
    "VideoSink", "VideoSource", "check_output", "encode_frames", "fit_mask", "is_stdout", "is_stream", "open_masks",
    "open_video", "open_writer", "read_frames", "read_image", "read_label_image", "write_png",
]
