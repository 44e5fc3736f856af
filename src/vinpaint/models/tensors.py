"""Frames to model tensors and back, as a card says: size, padding, colour order, value range, layout.

Convention: frames are ``(H,W,3)`` uint8 RGB (or ``(H,W)`` uint8 grey, repeated to three channels);
a :class:`Placement` records where the frame went in the model's input, so results (images, masks,
flow, boxes, points) are mapped back exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .card import ModelCard


@dataclass(frozen=True)
class Placement:
    """Where a ``height x width`` frame lies in the model's ``size`` input: scaled by ``(scale_x, scale_y)``,
    its top-left corner at ``(left, top)``, covering ``content`` = ``(h, w)`` model pixels."""

    height: int
    width: int
    size: tuple[int, int]
    scale_x: float
    scale_y: float
    left: int
    top: int
    content: tuple[int, int]

    def to_model(self, x: np.ndarray | float, y: np.ndarray | float):
        """Frame pixel coordinates -> model input coordinates."""
        return np.asarray(x) * self.scale_x + self.left, np.asarray(y) * self.scale_y + self.top

    def to_frame(self, x: np.ndarray | float, y: np.ndarray | float):
        """Model input coordinates -> frame pixel coordinates."""
        return (np.asarray(x) - self.left) / self.scale_x, (np.asarray(y) - self.top) / self.scale_y

    def crop(self, plane: np.ndarray) -> np.ndarray:
        """The part of a model-sized ``(size_h, size_w, ...)`` array that holds the frame."""
        h, w = self.content
        return plane[self.top : self.top + h, self.left : self.left + w]


def placement(height: int, width: int, card: ModelCard) -> Placement:
    """Where a frame of this size goes in the model's input, by ``card.size``, ``resize`` and ``multiple``."""
    multiple = max(1, int(card.multiple))
    if card.size is None:  # a free-size model: the frame's own size, rounded up to the multiple
        size = (-(-height // multiple) * multiple, -(-width // multiple) * multiple)
        return Placement(height, width, size, size[1] / width, size[0] / height, 0, 0, size)
    size = (int(card.size[0]), int(card.size[1]))
    if card.resize == "stretch":
        return Placement(height, width, size, size[1] / width, size[0] / height, 0, 0, size)
    scale = min(size[0] / height, size[1] / width)
    content = (max(1, round(height * scale)), max(1, round(width * scale)))
    if card.resize == "longest":
        return Placement(height, width, size, scale, scale, 0, 0, content)
    top, left = (size[0] - content[0]) // 2, (size[1] - content[1]) // 2
    return Placement(height, width, size, scale, scale, left, top, content)


def place_plane(plane: np.ndarray, where: Placement, *, pad: float = 0, interpolation: int = cv2.INTER_AREA) -> np.ndarray:
    """``plane`` (frame-sized, ``(H,W)`` or ``(H,W,C)``) resized and padded into the model's size."""
    h, w = where.content
    resized = plane if plane.shape[:2] == (h, w) else cv2.resize(plane, (w, h), interpolation=interpolation)
    if resized.ndim < plane.ndim:
        resized = resized[..., None]
    out = np.full((*where.size, *plane.shape[2:]), pad, dtype=plane.dtype)
    out[where.top : where.top + h, where.left : where.left + w] = resized
    return out


def image_tensor(image: np.ndarray, card: ModelCard, where: Placement, dtype=np.float32) -> np.ndarray:
    """``(H,W,3)`` uint8 RGB (or ``(H,W)`` grey) -> the model's image tensor ``(1,3,h,w)`` or ``(1,h,w,3)``."""
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=2)
    placed = place_plane(image, where, pad=card.pad_value,
                         interpolation=cv2.INTER_AREA if where.scale_x < 1 else cv2.INTER_LINEAR)
    if card.colour == "BGR":
        placed = placed[..., ::-1]
    values = scale_pixels(placed.astype(np.float32), card.input_range)
    if card.mean is not None:
        values = values - np.asarray(card.mean, np.float32)
    if card.std is not None:
        values = values / np.asarray(card.std, np.float32)
    tensor = values[None] if card.layout == "NHWC" else values.transpose(2, 0, 1)[None]
    return _as_dtype(tensor, dtype)


def plane_tensor(plane: np.ndarray, card: ModelCard, dtype=np.float32) -> np.ndarray:
    """A model-sized one-channel ``(h,w)`` float plane -> ``(1,1,h,w)`` or ``(1,h,w,1)``."""
    tensor = plane[None, None] if card.layout == "NCHW" else plane[None, ..., None]
    return _as_dtype(tensor.astype(np.float32), dtype)


def scale_pixels(values: np.ndarray, value_range) -> np.ndarray:
    """Pixel values 0-255 -> ``value_range`` ``(low, high)``."""
    low, high = float(value_range[0]), float(value_range[1])
    return values * ((high - low) / 255.0) + low


def unscale_pixels(values: np.ndarray, value_range) -> np.ndarray:
    """``value_range`` values -> 0-255 floats (the inverse of :func:`scale_pixels`)."""
    low, high = float(value_range[0]), float(value_range[1])
    return (values.astype(np.float32) - low) * (255.0 / (high - low))


def output_planes(output: np.ndarray, card: ModelCard) -> np.ndarray:
    """A ``(1,C,h,w)`` or ``(1,h,w,C)`` output -> ``(h,w,C)`` float32."""
    array = np.asarray(output, dtype=np.float32)
    if array.ndim == 4:
        array = array[0]
    return array.transpose(1, 2, 0) if card.layout == "NCHW" else array


def _as_dtype(tensor: np.ndarray, dtype) -> np.ndarray:
    if np.issubdtype(dtype, np.integer):
        return np.clip(np.rint(tensor), np.iinfo(dtype).min, np.iinfo(dtype).max).astype(dtype)
    return np.ascontiguousarray(tensor, dtype=dtype)
