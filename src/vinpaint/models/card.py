"""Model cards: what a model file's inputs and outputs mean, written once beside it or inferred.

A card is a small JSON object (``model.onnx.json`` beside the file, or given inline, which wins key
by key) with these keys; any left out are inferred from the model's inputs and outputs for the
common public exports (see ``docs/models.md``):

``kind``
    ``fill``, ``flow``, ``segment-encoder``, ``segment-decoder`` or ``detect``.
``inputs`` / ``outputs``
    role -> tensor name.  Roles: fill ``image``, ``mask`` -> ``image``; flow ``image1``, ``image2``
    -> ``flow``; segment-encoder ``image`` -> ``embeddings``; segment-decoder ``embeddings``,
    ``point_coords``, ``point_labels`` and optionally ``mask_input``, ``has_mask_input``,
    ``orig_im_size`` -> ``masks``; detect ``image`` -> ``boxes``.
``layout``
    ``NCHW`` or ``NHWC`` of the image inputs.
``colour``
    ``RGB`` or ``BGR``.
``input_range`` / ``output_range``
    ``[low, high]`` that pixel values 0 and 255 map to (``[0, 1]``, ``[0, 255]``, ``[-1, 1]``);
    a fill model's ``output_range`` may be ``"auto"`` (``[0, 255]`` if the output exceeds 1.5).
``mean`` / ``std``
    per-channel normalisation applied after the range (SAM: ImageNet's, in 0-255 units).
``size``
    ``[H, W]`` the model takes, or null for any size (read from the model when it fixes it).
``resize``
    ``stretch`` (to ``size``), ``longest`` (longest side to ``size``, padded bottom-right: SAM) or
    ``letterbox`` (fit, centred, padded: YOLO).
``pad_value``
    the padding's pixel value (0-255).
``mask_hole``
    a fill model's mask value for the hole (the known pixels get the other of 0 and 1).
``multiple``
    a free-size model's sides are rounded up to a multiple of this (RAFT: 8).
``classes``
    a detector's class names, in the order of its score rows.
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from ..errors import InputNotFoundError, InvalidOptionError, UnreadableInputError
from .session import LoadedModel, TensorInfo

KINDS = ("fill", "flow", "segment-encoder", "segment-decoder", "detect")

#: Each kind's input and output roles (required, optional).
ROLES: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    # kind: (required inputs, optional inputs, outputs)
    "fill": (("image", "mask"), (), ("image",)),
    "flow": (("image1", "image2"), (), ("flow",)),
    "segment-encoder": (("image",), (), ("embeddings",)),
    "segment-decoder": (("embeddings", "point_coords", "point_labels"), ("mask_input", "has_mask_input", "orig_im_size"),
                        ("masks",)),
    "detect": (("image",), (), ("boxes",)),
}

#: What each kind expects, for error messages.
EXPECTED = {
    "fill": "2 inputs, image (1,3,H,W) and mask (1,1,H,W), and an image output (1,3,H,W)",
    "flow": "2 image inputs (1,3,H,W) and a flow output (1,2,H,W)",
    "segment-encoder": "1 image input (1,3,H,W) and an embeddings output",
    "segment-decoder": "inputs image_embeddings, point_coords (1,N,2), point_labels (1,N) and a masks output (1,1,H,W)",
    "detect": "1 image input (1,3,H,W) and an output (1,4+classes,N) of boxes cx,cy,w,h and class scores",
}

_SAM_MEAN = (123.675, 116.28, 103.53)
_SAM_STD = (58.395, 57.12, 57.375)


@dataclass(frozen=True)
class ModelCard:
    """How to feed a model and read its result; see the module's docstring for each field."""

    kind: str
    inputs: dict[str, str] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)
    layout: str = "NCHW"
    colour: str = "RGB"
    input_range: tuple[float, float] = (0.0, 1.0)
    output_range: tuple[float, float] | str = (0.0, 1.0)
    mean: tuple[float, ...] | None = None
    std: tuple[float, ...] | None = None
    size: tuple[int, int] | None = None
    resize: str = "stretch"
    pad_value: float = 0.0
    mask_hole: float = 1.0
    multiple: int = 1
    classes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe (what a ``model.onnx.json`` would hold)."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = list(value) if isinstance(value, tuple) else value
        return out


def read_card_overrides(path: str | Path, card: str | Path | dict | None = None) -> dict[str, Any]:
    """The card keys given for the model at ``path``: ``path.json`` beside it, then ``card`` on top.

    ``card`` is a dict, a JSON text, or the path of a JSON file.
    """
    found: dict[str, Any] = {}
    beside = Path(str(path) + ".json")
    if beside.is_file():
        found.update(_read_json(beside))
    if isinstance(card, dict):
        found.update(card)
    elif card is not None:
        text = str(card).strip()
        if text.startswith("{"):
            found.update(_parse_json(text, "the inline card"))
        else:
            if not Path(text).is_file():
                raise InputNotFoundError(f"model card not found: {text}; give a JSON file or a JSON object")
            found.update(_read_json(Path(text)))
    return found


def _read_json(path: Path) -> dict:
    return _parse_json(path.read_text(encoding="utf-8"), str(path))


def _parse_json(text: str, where: str) -> dict:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise UnreadableInputError(f"{where} is not valid JSON: {error}") from None
    if not isinstance(value, dict):
        raise InvalidOptionError(f"{where} must be a JSON object of card keys, got {type(value).__name__}")
    return value


def model_card(model: LoadedModel, kind: str, overrides: dict[str, Any] | None = None) -> ModelCard:
    """The card of ``model`` used as ``kind``: inferred from its signature, then ``overrides`` on top, then checked.

    Raises:
        InvalidOptionError: an unknown card key or value.
        UnreadableInputError: the model does not match the card (wrong number of inputs, a missing
            name, a wrong channel count), naming what was expected.
    """
    if kind not in KINDS:
        raise InvalidOptionError(f"unknown model kind {kind!r}; choose one of: {', '.join(KINDS)}")
    overrides = dict(overrides or {})
    given_kind = overrides.pop("kind", kind)
    if given_kind != kind:
        raise UnreadableInputError(f"{model.path.name}: its card says kind {given_kind!r}, but it is used as {kind!r}")
    valid = {f.name for f in fields(ModelCard)} - {"kind"}
    unknown = sorted(set(overrides) - valid)
    if unknown:
        raise InvalidOptionError(f"{model.path.name}: unknown card key(s) {', '.join(unknown)}; "
                                 f"valid keys: {', '.join(sorted(valid))}")
    inferred = _infer(model, kind, overrides)
    values = {**inferred, **overrides}
    values["inputs"] = {**inferred.get("inputs", {}), **overrides.get("inputs", {})}
    values["outputs"] = {**inferred.get("outputs", {}), **overrides.get("outputs", {})}
    card = _typed(ModelCard(kind=kind), values, model.path.name)
    check_card(model, card)
    return card


def _typed(card: ModelCard, values: dict[str, Any], where: str) -> ModelCard:
    out = {}
    for key, value in values.items():
        if key in ("input_range", "size", "mean", "std", "classes") and value is not None:
            value = tuple(value)
        if key == "output_range" and not isinstance(value, str):
            value = tuple(value)
        if key in ("layout", "colour") and str(value).upper() not in (("NCHW", "NHWC") if key == "layout" else ("RGB", "BGR")):
            raise InvalidOptionError(f"{where}: card key {key} must be "
                                     f"{'NCHW or NHWC' if key == 'layout' else 'RGB or BGR'}, got {value!r}")
        if key in ("layout", "colour"):
            value = str(value).upper()
        if key == "resize" and value not in ("stretch", "longest", "letterbox"):
            raise InvalidOptionError(f"{where}: card key resize must be stretch, longest or letterbox, got {value!r}")
        out[key] = value
    return replace(card, **out)


def _channels(info: TensorInfo) -> tuple[int | None, str | None]:
    """(channel count, layout) of a 4-D image-like tensor, or (None, None)."""
    if len(info.shape) != 4:
        return None, None
    if info.fixed(1) in (1, 2, 3):
        return info.fixed(1), "NCHW"
    if info.fixed(3) in (1, 2, 3):
        return info.fixed(3), "NHWC"
    return None, None


def _spatial(info: TensorInfo, layout: str) -> tuple[int, int] | None:
    h, w = (info.fixed(2), info.fixed(3)) if layout == "NCHW" else (info.fixed(1), info.fixed(2))
    return (h, w) if h and w else None


def _infer(model: LoadedModel, kind: str, given: dict[str, Any]) -> dict[str, Any]:
    """Card values read from the signature (names, layout, size) and the public exports' conventions."""
    inputs, outputs = model.inputs, model.outputs
    found: dict[str, Any] = {"inputs": {}, "outputs": {}}
    named_in = dict(given.get("inputs", {}))
    if kind == "fill":
        images = [i for i in inputs if _channels(i)[0] == 3]
        masks = [i for i in inputs if _channels(i)[0] == 1 or "mask" in i.name.lower()]
        if len(inputs) == 2 and images and masks and images[0] is not masks[0]:
            found["inputs"] = {"image": images[0].name, "mask": masks[0].name}
        outs = [o for o in outputs if _channels(o)[0] == 3] or list(outputs[:1])
        found["outputs"] = {"image": outs[0].name} if outs else {}
        found["output_range"] = "auto"
        image = images[0] if images else None
    elif kind == "flow":
        images = [i for i in inputs if _channels(i)[0] == 3]
        if len(inputs) == 2 and len(images) == 2:
            found["inputs"] = {"image1": images[0].name, "image2": images[1].name}
        flows = [o for o in outputs if _channels(o)[0] == 2]
        if flows:
            found["outputs"] = {"flow": flows[-1].name}  # RAFT exports list the refinements; the last is best
        found["input_range"] = (0.0, 255.0)
        found["multiple"] = 8
        image = images[0] if images else None
    elif kind == "segment-encoder":
        image = inputs[0] if len(inputs) == 1 else None
        if image is not None:
            found["inputs"] = {"image": image.name}
        if outputs:
            found["outputs"] = {"embeddings": outputs[0].name}
        found.update(input_range=(0.0, 255.0), mean=_SAM_MEAN, std=_SAM_STD, resize="longest", size=(1024, 1024))
    elif kind == "segment-decoder":
        names = {i.name: i.name for i in inputs}
        roles = {"embeddings": ("image_embeddings", "embeddings"), "point_coords": ("point_coords",),
                 "point_labels": ("point_labels",), "mask_input": ("mask_input",),
                 "has_mask_input": ("has_mask_input",), "orig_im_size": ("orig_im_size",)}
        for role, candidates in roles.items():
            match = next((names[c] for c in candidates if c in names), None)
            if match:
                found["inputs"][role] = match
        masks = [o for o in outputs if o.name == "masks"] or list(outputs[:1])
        if masks:
            found["outputs"] = {"masks": masks[0].name}
        return found
    else:  # detect
        image = inputs[0] if len(inputs) == 1 else None
        if image is not None:
            found["inputs"] = {"image": image.name}
        if outputs:
            found["outputs"] = {"boxes": outputs[0].name}
        found.update(resize="letterbox", pad_value=114.0)
        classes = _metadata_classes(model.metadata)
        if classes:
            found["classes"] = classes
    name = named_in.get("image") or named_in.get("image1") or (image.name if image is not None else None)
    info = next((i for i in inputs if i.name == name), None)
    if info is not None:
        _, layout = _channels(info)
        if layout:
            found["layout"] = layout
            size = _spatial(info, layout)
            if size:
                found["size"] = size
    return found


def _metadata_classes(metadata: dict[str, str]) -> tuple[str, ...]:
    """Class names from an export's metadata (Ultralytics writes ``names`` as ``{0: 'person', ...}``)."""
    text = metadata.get("names")
    if not text:
        return ()
    try:
        names = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return ()
    if isinstance(names, dict):
        return tuple(str(names[key]) for key in sorted(names))
    return tuple(str(n) for n in names) if isinstance(names, (list, tuple)) else ()


def check_card(model: LoadedModel, card: ModelCard) -> None:
    """Raise :class:`UnreadableInputError` (one line, naming what was expected) unless ``model`` fits ``card``."""
    required, optional, outputs = ROLES[card.kind]
    where = f"{model.path.name} is not a {card.kind} model:"
    hint = f"expected {EXPECTED[card.kind]}; if it is one, name its tensors in a card ({model.path.name}.json, see docs/models.md)"
    input_names = [i.name for i in model.inputs]
    extra_allowed = len(required) + len(optional)
    if not len(required) <= len(input_names) <= extra_allowed:
        raise UnreadableInputError(f"{where} it has {len(input_names)} input(s) ({', '.join(input_names)}); {hint}")
    for role in required:
        name = card.inputs.get(role)
        if name is None:
            raise UnreadableInputError(f"{where} no input found for {role!r} among {', '.join(input_names)}; {hint}")
        if name not in input_names:
            raise UnreadableInputError(f"{where} its card names input {name!r} for {role!r}, but its inputs are "
                                       f"{', '.join(input_names)}")
    unused = [n for n in input_names if n not in card.inputs.values()]
    if unused:
        raise UnreadableInputError(f"{where} input(s) {', '.join(unused)} have no role; {hint}")
    output_names = [o.name for o in model.outputs]
    for role in outputs:
        name = card.outputs.get(role)
        if name not in output_names:
            raise UnreadableInputError(f"{where} no output {name or role!r} among {', '.join(output_names)}; {hint}")
    expected_channels = {"fill": {"image": 3, "mask": 1}, "flow": {"image1": 3, "image2": 3},
                         "segment-encoder": {"image": 3}, "detect": {"image": 3}}.get(card.kind, {})
    for role, channels in expected_channels.items():
        info = model.input_named(card.inputs[role])
        axis = 1 if card.layout == "NCHW" else 3
        shown = "(1,{c},H,W)" if card.layout == "NCHW" else "(1,H,W,{c})"
        if len(info.shape) != 4 or (info.fixed(axis) is not None and info.fixed(axis) != channels):
            raise UnreadableInputError(f"{where} input {info.describe()} ({role}) should be {card.layout} "
                                       f"{shown.format(c=channels)}")
    if card.kind in ("fill", "flow"):
        role = "image" if card.kind == "fill" else "flow"
        info = model.output_named(card.outputs[role])
        channels = 3 if card.kind == "fill" else 2
        axis = 1 if card.layout == "NCHW" else 3
        if len(info.shape) != 4 or (info.fixed(axis) is not None and info.fixed(axis) != channels):
            raise UnreadableInputError(f"{where} output {info.describe()} ({role}) should have {channels} channels "
                                       f"in {card.layout} layout")
