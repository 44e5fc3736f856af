"""Two-frame optical flow models (RAFT-style) as flow estimators: ``--flow onnx:model.onnx``.

:data:`vinpaint.flow.FLOW_ESTIMATORS` resolves ``onnx:PATH`` names to :func:`onnx_flow_estimator`.
Both images are put at the model's size (or, for a free-size model, their own size rounded up to the
card's ``multiple``), the flow it returns is resized back and its vectors scaled with the image
(:func:`vinpaint.flow.resize_flow`).

The estimators receive what every estimator does: ``(H,W)`` uint8 luma (possibly at the engine's
``flow_scale``); a colour model sees it repeated on its three channels.

Reference: Teed and Deng, "RAFT: Recurrent All-Pairs Field Transforms for Optical Flow" (ECCV 2020).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..errors import InvalidArrayError
from ..flow import resize_flow
from .card import ModelCard, model_card, read_card_overrides
from .session import load_model
from .tensors import image_tensor, output_planes, placement


class OnnxFlow:
    """A two-frame flow model: ``flow_model(first, second) -> (H,W,2)`` float32 ``(dx, dy)`` from first to second.

    Args:
        path: the ``.onnx`` file.
        card: card keys overriding ``path.json`` and the inferred ones.
        providers: ONNX Runtime execution providers (default: ``$VINPAINT_ONNX_PROVIDERS`` or the CPU).

    Shape: first, second ``(H,W)`` uint8 grey or ``(H,W,3)`` uint8 RGB; returns ``(H,W,2)`` float32.
    """

    def __init__(self, path: str | Path, *, card=None, providers=None) -> None:
        self.model = load_model(path, providers=providers)
        self.card: ModelCard = model_card(self.model, "flow", read_card_overrides(path, card))

    def __call__(self, first: np.ndarray, second: np.ndarray) -> np.ndarray:
        if first.shape != second.shape or first.dtype != np.uint8 or first.ndim not in (2, 3):
            raise InvalidArrayError(f"flow inputs must be two uint8 images of one size, got {first.shape} {first.dtype} "
                                    f"and {second.shape} {second.dtype}")
        card, model = self.card, self.model
        h, w = first.shape[:2]
        where = placement(h, w, card)
        dtype = model.input_named(card.inputs["image1"]).numpy_dtype
        feeds = {card.inputs["image1"]: image_tensor(first, card, where, dtype),
                 card.inputs["image2"]: image_tensor(second, card, where, dtype)}
        output = model.run(feeds, [card.outputs["flow"]])[card.outputs["flow"]]
        flow = where.crop(output_planes(output, card))
        # the model's vectors are in its pixels: resize_flow scales them with the image
        return resize_flow(np.ascontiguousarray(flow[..., :2], dtype=np.float32), (h, w))


def onnx_flow_estimator(path: str) -> Callable[[], Callable[[np.ndarray, np.ndarray], np.ndarray]]:
    """The flow estimator factory ``onnx:PATH`` names; the model is loaded once, here."""
    model = OnnxFlow(path)

    def factory() -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
        return model

    factory.__doc__ = f"ONNX flow model {model.model.path.name}"
    return factory
