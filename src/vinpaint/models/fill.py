"""Image inpainting models (LaMa, MI-GAN...) as spatial fillers: ``--fill onnx:model.onnx``.

The propagate engine asks its spatial filler only for what no frame shows, on keyframes, and
propagates that fill to the other frames; an ONNX filler is used there like any other
(:data:`vinpaint.fill.SPATIAL_FILLERS` resolves ``onnx:PATH`` names to :func:`onnx_filler`).

Each connected part of the hole is filled from a crop around it with context on every side (twice
the part's size, at least 32 pixels, so the model sees what surrounds it), resized to the model's
size, and only the hole's pixels of the result are written back.

References: Suvorov et al., "Resolution-robust Large Mask Inpainting with Fourier Convolutions"
(LaMa, WACV 2022); Sargsyan et al., "MI-GAN: A Simple Baseline for Image Inpainting on Mobile
Devices" (ICCV 2023).
"""

from __future__ import annotations

import logging
from pathlib import Path

import cv2
import numpy as np

from ..arrays import dilate_mask
from ..errors import InvalidArrayError
from .card import ModelCard, model_card, read_card_overrides
from .session import load_model
from .tensors import Placement, image_tensor, output_planes, place_plane, placement, plane_tensor, unscale_pixels

log = logging.getLogger(__name__)

#: context kept around each part of the hole, as a multiple of the part's larger side (and at least _MIN_CONTEXT px)
_CONTEXT = 1.0
_MIN_CONTEXT = 32


class OnnxFiller:
    """An image inpainting model as a spatial filler: ``filler(frame, hole) -> frame``.

    Args:
        path: the ``.onnx`` file.
        card: card keys overriding ``path.json`` and the inferred ones (dict, JSON text or file).
        providers: ONNX Runtime execution providers (default: ``$VINPAINT_ONNX_PROVIDERS`` or the CPU).

    Shape: frame ``(H,W,3)`` uint8 RGB, hole ``(H,W)`` bool; returns ``(H,W,3)`` uint8, equal to
    ``frame`` outside ``hole``.
    """

    def __init__(self, path: str | Path, *, card=None, providers=None) -> None:
        self.model = load_model(path, providers=providers)
        self.card: ModelCard = model_card(self.model, "fill", read_card_overrides(path, card))
        self.__doc__ = f"ONNX inpainting model {self.model.path.name}"

    def __call__(self, frame: np.ndarray, hole: np.ndarray, **_options) -> np.ndarray:
        if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8 or hole.shape != frame.shape[:2]:
            raise InvalidArrayError(f"frame must be (H, W, 3) uint8 and hole (H, W), got {frame.shape} {frame.dtype} "
                                    f"and {hole.shape}")
        out = frame.copy()
        count, labels, stats, _ = cv2.connectedComponentsWithStats(dilate_mask(hole, 4).astype(np.uint8), connectivity=8)
        for label in range(1, count):
            x, y, w, h = stats[label, :4]
            margin = max(_MIN_CONTEXT, round(_CONTEXT * max(w, h)))
            y0, y1 = max(0, y - margin), min(frame.shape[0], y + h + margin)
            x0, x1 = max(0, x - margin), min(frame.shape[1], x + w + margin)
            part = hole[y0:y1, x0:x1] & (labels[y0:y1, x0:x1] == label)
            filled = self.fill_crop(out[y0:y1, x0:x1], part)
            out[y0:y1, x0:x1][part] = filled[part]
        return out

    def fill_crop(self, crop: np.ndarray, hole: np.ndarray) -> np.ndarray:
        """The model's result on one crop, at the crop's size: ``(h,w,3)`` uint8."""
        card, model = self.card, self.model
        where: Placement = placement(*crop.shape[:2], card)
        image_info = model.input_named(card.inputs["image"])
        mask_info = model.input_named(card.inputs["mask"])
        known_value = 1.0 - card.mask_hole if card.mask_hole in (0, 1) else 0.0
        placed_hole = place_plane(hole.astype(np.uint8), where, interpolation=cv2.INTER_NEAREST) > 0
        if card.mask_hole in (0, 1):
            mask_plane = np.where(placed_hole, card.mask_hole, known_value).astype(np.float32)
        else:  # a 0/255 mask
            mask_plane = np.where(placed_hole, card.mask_hole, 0).astype(np.float32)
        feeds = {card.inputs["image"]: image_tensor(np.where(hole[..., None], 0, crop).astype(np.uint8), card, where,
                                                    image_info.numpy_dtype),
                 card.inputs["mask"]: plane_tensor(mask_plane, card, mask_info.numpy_dtype)}
        result = model.run(feeds, [card.outputs["image"]])[card.outputs["image"]]
        planes = output_planes(result, card)
        output_range = card.output_range
        if output_range == "auto":
            output_range = (0.0, 255.0) if float(np.nanmax(planes)) > 1.5 else (0.0, 1.0)
        pixels = np.clip(unscale_pixels(planes, output_range), 0, 255)
        if card.colour == "BGR":
            pixels = pixels[..., ::-1]
        pixels = where.crop(pixels)
        back = cv2.resize(pixels, (crop.shape[1], crop.shape[0]), interpolation=cv2.INTER_LINEAR)
        return np.rint(back).astype(np.uint8)


def onnx_filler(path: str) -> OnnxFiller:
    """The spatial filler ``onnx:PATH`` names (the card from ``PATH.json`` or inferred); loaded once."""
    return OnnxFiller(path)
