"""Bring your own model: ONNX files as fillers, flow estimators, segmenters and detectors.

A model is a file plus a small card (:mod:`vinpaint.models.card`): what its inputs and outputs are
called, their layout, value range, colour order and size.  The card is read from ``model.onnx.json``
beside the file, given inline, or inferred for the common public exports (LaMa, MI-GAN, RAFT, SAM,
YOLOv8); a file that does not match gives one line naming what was expected.

Kinds and where they plug in:

* fill (:class:`OnnxFiller`): ``--fill onnx:PATH``, the spatial filler of never-seen regions;
* flow (:class:`OnnxFlow`): ``--flow onnx:PATH``;
* segment (:class:`OnnxSegmenter`): ``vinpaint mask click --model ENCODER``, a SAM-style pair;
* detect (:class:`OnnxDetector`): ``vinpaint mask detect --model PATH --classes person,car``.

onnxruntime is optional (``pip install 'vinpaint[onnx]'``) and imported only when a model is
loaded; sessions run on the CPU provider unless ``providers`` (or ``$VINPAINT_ONNX_PROVIDERS``) asks
for another, and each file is loaded once.  Docs: ``docs/models.md``.
"""

from __future__ import annotations

from .card import KINDS, ModelCard, model_card, read_card_overrides
from .session import PROVIDERS_VARIABLE, LoadedModel, TensorInfo, import_onnxruntime, load_model

__all__ = ["KINDS", "PROVIDERS_VARIABLE", "LoadedModel", "ModelCard", "OnnxDetector", "OnnxFiller", "OnnxFlow",
           "OnnxSegmenter", "TensorInfo", "import_onnxruntime", "load_model", "model_card", "read_card_overrides"]


def __getattr__(name: str):
    # the adapters import the layers they plug into (fill, flow, masks): loaded when first used
    modules = {"OnnxFiller": "fill", "OnnxFlow": "flow", "OnnxSegmenter": "segment", "OnnxDetector": "detect"}
    if name in modules:
        import importlib

        return getattr(importlib.import_module(f"{__name__}.{modules[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
