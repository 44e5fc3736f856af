"""Promptable segmentation models (SAM-style encoder/decoder pairs): clicks and boxes -> a mask, then tracked.

The encoder embeds a frame once; the decoder turns point prompts (positive, negative) and box
prompts into a mask, as in the official Segment Anything ONNX export: ``point_coords`` ``(1,N,2)``
in the encoder's input pixels, ``point_labels`` ``(1,N)`` (1 object, 0 background, 2 and 3 a box's
corners, -1 padding), ``mask_input`` ``(1,1,256,256)``, ``has_mask_input`` ``(1,)``,
``orig_im_size`` ``(2,)`` -> ``masks`` ``(1,K,H,W)`` logits (> 0 = object).  A decoder without
``orig_im_size`` may return masks at the encoder's input size; they are mapped back to the frame.

Reference: Kirillov et al., "Segment Anything" (ICCV 2023).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from ..errors import InputNotFoundError, InvalidArrayError, InvalidOptionError
from ..masks.click import Point
from .card import ModelCard, model_card, read_card_overrides
from .session import load_model
from .tensors import image_tensor, placement


def decoder_beside(encoder: str | Path) -> Path:
    """The decoder that goes with ``encoder``: the same name with ``encoder`` replaced by ``decoder``."""
    encoder = Path(encoder)
    if "encoder" not in encoder.name:
        raise InputNotFoundError(f"cannot guess the decoder of {encoder.name} (its name holds no 'encoder'); "
                                 "give the decoder's path")
    return encoder.with_name(encoder.name.replace("encoder", "decoder"))


class OnnxSegmenter:
    """A SAM-style encoder/decoder pair: ``segmenter(frame, points, boxes) -> (H,W) bool``.

    Args:
        encoder: the image encoder's ``.onnx`` file.
        decoder: the prompt decoder's file (default: :func:`decoder_beside` the encoder).
        encoder_card, decoder_card: card keys overriding the files' ``.json`` cards and the inferred ones.
        providers: ONNX Runtime execution providers (default: ``$VINPAINT_ONNX_PROVIDERS`` or the CPU).
    """

    def __init__(self, encoder: str | Path, decoder: str | Path | None = None, *, encoder_card=None,
                 decoder_card=None, providers=None) -> None:
        self.encoder = load_model(encoder, providers=providers)  # a missing encoder is named first
        decoder = Path(decoder) if decoder is not None else decoder_beside(encoder)
        self.decoder = load_model(decoder, providers=providers)
        self.encoder_card: ModelCard = model_card(self.encoder, "segment-encoder", read_card_overrides(encoder, encoder_card))
        self.decoder_card: ModelCard = model_card(self.decoder, "segment-decoder", read_card_overrides(decoder, decoder_card))
        self._cache: tuple[int, np.ndarray] | None = None

    def embed(self, frame: np.ndarray) -> np.ndarray:
        """The encoder's embedding of ``frame`` (the last one is kept, so several prompts cost one encoding)."""
        key = hash(frame.tobytes())
        if self._cache is None or self._cache[0] != key:
            card = self.encoder_card
            where = placement(*frame.shape[:2], card)
            dtype = self.encoder.input_named(card.inputs["image"]).numpy_dtype
            feeds = {card.inputs["image"]: image_tensor(frame, card, where, dtype)}
            embedding = self.encoder.run(feeds, [card.outputs["embeddings"]])[card.outputs["embeddings"]]
            self._cache = (key, embedding)
        return self._cache[1]

    def __call__(self, frame: np.ndarray, points: Sequence[Point | tuple] = (),
                 boxes: Sequence[tuple[float, float, float, float]] = ()) -> np.ndarray:
        """The object the prompts select on ``frame``.

        Shape:
            frame: ``(H,W,3)`` uint8 RGB.  points: :class:`~vinpaint.masks.click.Point` or ``(x, y[, positive])``
            in pixels.  boxes: ``(x, y, w, h)`` in pixels.  returns: ``(H,W)`` bool.
        """
        frame = np.asarray(frame)
        if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
            raise InvalidArrayError(f"frame must be (H, W, 3) uint8 RGB, got {frame.shape} {frame.dtype}")
        h, w = frame.shape[:2]
        coords, labels = [], []
        for p in points:
            p = p if isinstance(p, Point) else Point(float(p[0]), float(p[1]), bool(p[2]) if len(p) > 2 else True)
            if not (0 <= p.x <= w - 1 and 0 <= p.y <= h - 1):
                raise InvalidOptionError(f"point ({p.x:g}, {p.y:g}) is outside the {w}x{h} frame")
            coords.append((p.x, p.y))
            labels.append(1.0 if p.positive else 0.0)
        for x, y, bw, bh in boxes:
            coords += [(x, y), (x + bw, y + bh)]
            labels += [2.0, 3.0]
        if not any(label in (1.0, 2.0) for label in labels):
            raise InvalidOptionError("give at least one positive point or a box on the object")
        if not boxes:  # the official export expects a padding point when there is no box
            coords.append((0.0, 0.0))
            labels.append(-1.0)
        where = placement(h, w, self.encoder_card)
        xs, ys = where.to_model(np.array([c[0] for c in coords]), np.array([c[1] for c in coords]))
        card, decoder = self.decoder_card, self.decoder
        feeds = {card.inputs["embeddings"]: self.embed(frame),
                 card.inputs["point_coords"]: np.stack([xs, ys], axis=1)[None].astype(
                     decoder.input_named(card.inputs["point_coords"]).numpy_dtype),
                 card.inputs["point_labels"]: np.array([labels],
                                                       decoder.input_named(card.inputs["point_labels"]).numpy_dtype)}
        if "mask_input" in card.inputs:
            info = decoder.input_named(card.inputs["mask_input"])
            shape = tuple(d if isinstance(d, int) and d > 0 else 256 for d in info.shape)
            feeds[card.inputs["mask_input"]] = np.zeros(shape if len(shape) == 4 else (1, 1, 256, 256), info.numpy_dtype)
        if "has_mask_input" in card.inputs:
            feeds[card.inputs["has_mask_input"]] = np.zeros(1, decoder.input_named(card.inputs["has_mask_input"]).numpy_dtype)
        if "orig_im_size" in card.inputs:
            feeds[card.inputs["orig_im_size"]] = np.array([h, w], decoder.input_named(card.inputs["orig_im_size"]).numpy_dtype)
        results = decoder.run(feeds)
        masks = np.asarray(results[card.outputs["masks"]], np.float32)
        masks = masks.reshape(-1, *masks.shape[-2:])
        best = 0
        scores = results.get("iou_predictions")
        if scores is not None and np.size(scores) == len(masks):
            best = int(np.argmax(np.ravel(scores)))
        logits = masks[best]
        if logits.shape != (h, w):  # masks at the encoder's input size: take the frame's part, resize back
            if logits.shape == tuple(where.size):
                logits = where.crop(logits)
            logits = cv2.resize(logits, (w, h), interpolation=cv2.INTER_LINEAR)
        return logits > 0


def segment_track(frames: np.ndarray, points: Sequence[Point], segmenter: OnnxSegmenter, *,
                  progress=None, **track_options) -> np.ndarray:
    """Segment the object under ``points`` with ``segmenter`` on each frame that has points, then track it.

    Shape: frames ``(T,H,W,3)`` uint8 RGB; returns ``(T,H,W)`` bool, True = object.
    Track options are :func:`vinpaint.masks.track.track_masks`'s.
    """
    from ..masks.track import track_masks

    if not points:
        raise InvalidOptionError("give at least one positive point (FRAME:x,y)")
    by_frame: dict[int, list[Point]] = {}
    for p in points:
        if not 0 <= p.frame < len(frames):
            raise InvalidOptionError(f"point on frame {p.frame} is beyond the clip's {len(frames)} frames (0-{len(frames) - 1})")
        by_frame.setdefault(p.frame, []).append(p)
    init = {frame: segmenter(frames[frame], group) for frame, group in sorted(by_frame.items())}
    return track_masks(frames, init, progress=progress, **track_options)
