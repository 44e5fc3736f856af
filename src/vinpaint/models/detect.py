"""Object detectors (YOLO-style) by class name: boxes -> masks -> tracked.

The detector sees each frame letterboxed into its input (YOLOv8/YOLO11 exports: ``images``
``(1,3,640,640)`` RGB in [0, 1], padded with grey 114) and returns ``(1, 4+C, N)`` candidates:
centre x, centre y, width, height in its input pixels, then one score per class (``(1, N, 4+C)``
is read too).  Candidates of the wanted classes above ``score`` are kept and overlapping ones of
one class removed by non-maximum suppression; each box becomes a mask (refined by GrabCut inside the
box, or the box itself), and the masks are tracked between the frames the detector runs on.

References: Redmon et al., "You Only Look Once" (CVPR 2016); Jocher et al., Ultralytics YOLOv8 (2023);
Rother et al., "GrabCut" (SIGGRAPH 2004).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..errors import InvalidArrayError, InvalidOptionError, UnreadableInputError
from .card import ModelCard, model_card, read_card_overrides
from .session import load_model
from .tensors import image_tensor, placement

REFINEMENTS = ("grabcut", "box")


@dataclass(frozen=True)
class Detection:
    """A box ``(x, y, w, h)`` in frame pixels, its score and class (index and name)."""

    box: tuple[float, float, float, float]
    score: float
    class_id: int
    class_name: str


class OnnxDetector:
    """A YOLO-style detector: ``detector(frame) -> list[Detection]``.

    Args:
        path: the ``.onnx`` file.
        card: card keys overriding ``path.json`` and the inferred ones (``classes`` names the score rows;
            Ultralytics exports carry them in their metadata).
        providers: ONNX Runtime execution providers (default: ``$VINPAINT_ONNX_PROVIDERS`` or the CPU).
    """

    def __init__(self, path: str | Path, *, card=None, providers=None) -> None:
        self.model = load_model(path, providers=providers)
        self.card: ModelCard = model_card(self.model, "detect", read_card_overrides(path, card))

    def class_ids(self, names: Sequence[str]) -> list[int]:
        """Indices of class ``names`` (or of integers given as text); :class:`InvalidOptionError` for an unknown name."""
        ids = []
        for name in names:
            name = name.strip()
            if name in self.card.classes:
                ids.append(self.card.classes.index(name))
            elif name.isdigit():
                ids.append(int(name))
            else:
                known = ", ".join(self.card.classes[:20]) + (" ..." if len(self.card.classes) > 20 else "")
                known = known or "it names none: give class numbers, or list classes in its card"
                raise InvalidOptionError(f"class {name!r} is not one of the model's classes ({known})")
        return ids

    def __call__(self, frame: np.ndarray, *, classes: Sequence[int] | None = None, score: float = 0.25,
                 iou: float = 0.45) -> list[Detection]:
        """Detections on one ``(H,W,3)`` uint8 RGB frame, best first, after non-maximum suppression per class."""
        if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
            raise InvalidArrayError(f"frame must be (H, W, 3) uint8 RGB, got {frame.shape} {frame.dtype}")
        card, model = self.card, self.model
        h, w = frame.shape[:2]
        where = placement(h, w, card)
        dtype = model.input_named(card.inputs["image"]).numpy_dtype
        output = model.run({card.inputs["image"]: image_tensor(frame, card, where, dtype)},
                           [card.outputs["boxes"]])[card.outputs["boxes"]]
        rows = np.asarray(output, np.float32)
        if rows.ndim == 3:
            rows = rows[0]
        if rows.ndim != 2 or max(rows.shape) < 5:
            raise UnreadableInputError(f"{model.path.name}: output {card.outputs['boxes']} is {np.shape(output)}; "
                                       "expected (1, 4+classes, N) boxes cx,cy,w,h and class scores")
        count = len(card.classes)
        if count and rows.shape[0] == 4 + count or not count and rows.shape[0] < rows.shape[1]:
            rows = rows.T  # (4+C, N) -> (N, 4+C)
        scores = rows[:, 4:]
        best_class = scores.argmax(1)
        best_score = scores[np.arange(len(rows)), best_class]
        keep = best_score >= score
        if classes is not None:
            keep &= np.isin(best_class, list(classes))
        cx, cy, bw, bh = rows[keep, :4].T
        x0, y0 = where.to_frame(cx - bw / 2, cy - bh / 2)
        x1, y1 = where.to_frame(cx + bw / 2, cy + bh / 2)
        x0, x1 = np.clip(x0, 0, w), np.clip(x1, 0, w)
        y0, y1 = np.clip(y0, 0, h), np.clip(y1, 0, h)
        boxes = np.stack([x0, y0, x1 - x0, y1 - y0], axis=1)
        kept_scores, kept_classes = best_score[keep], best_class[keep]
        found = []
        for class_id in np.unique(kept_classes):
            of_class = np.nonzero(kept_classes == class_id)[0]
            chosen = cv2.dnn.NMSBoxes(boxes[of_class].tolist(), kept_scores[of_class].tolist(), score, iou)
            for index in np.ravel(chosen).astype(int):
                i = of_class[index]
                name = card.classes[class_id] if class_id < len(card.classes) else str(class_id)
                found.append(Detection(tuple(float(v) for v in boxes[i]), float(kept_scores[i]), int(class_id), name))
        return sorted(found, key=lambda d: -d.score)


def box_mask(frame: np.ndarray, box: tuple[float, float, float, float], *, refine: str = "grabcut") -> np.ndarray:
    """The object in ``box`` (x, y, w, h) of ``frame``: GrabCut initialised with the box, or the box itself.

    GrabCut's result is used when it keeps between 10 % and 100 % of the box (a failed cut keeps
    almost nothing); otherwise the box.  Shape: frame ``(H,W,3)`` uint8; returns ``(H,W)`` bool.
    """
    if refine not in REFINEMENTS:
        raise InvalidOptionError(f"refine must be one of: {', '.join(REFINEMENTS)}; got {refine!r}")
    h, w = frame.shape[:2]
    x0, y0 = int(np.floor(box[0])), int(np.floor(box[1]))
    x1, y1 = int(np.ceil(box[0] + box[2])), int(np.ceil(box[1] + box[3]))
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    mask = np.zeros((h, w), bool)
    mask[y0:y1, x0:x1] = True
    if refine == "box" or x1 - x0 < 4 or y1 - y0 < 4 or (x1 - x0 >= w - 1 and y1 - y0 >= h - 1):
        return mask
    state = np.zeros((h, w), np.uint8)
    background, foreground = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.grabCut(np.ascontiguousarray(frame[..., ::-1]), state, (x0, y0, x1 - x0, y1 - y0), background, foreground, 4,
                cv2.GC_INIT_WITH_RECT)
    cut = (state == cv2.GC_FGD) | (state == cv2.GC_PR_FGD)
    share = cut.sum() / max(mask.sum(), 1)
    return cut if 0.1 <= share <= 1 else mask


def detect_track(frames: np.ndarray, detector: OnnxDetector, *, classes: Sequence[str], score: float = 0.25,
                 iou: float = 0.45, every: int = 10, refine: str = "grabcut", track: bool = True, progress=None,
                 **track_options) -> np.ndarray:
    """Masks of every object of ``classes`` the detector finds, on every ``every``-th frame, tracked in between.

    With ``track`` False (or ``every`` 1) the masks are the detections of each frame the detector
    ran on, and other frames are empty.

    Shape: frames ``(T,H,W,3)`` uint8 RGB; returns ``(T,H,W)`` bool, True = detected object.
    Track options are :func:`vinpaint.masks.track.track_masks`'s.
    """
    from ..masks.track import track_masks

    if every < 1:
        raise InvalidOptionError(f"every must be >= 1 frame, got {every}")
    wanted = detector.class_ids(classes) if classes else None
    detected: dict[int, np.ndarray] = {}
    for t in range(0, len(frames), every):
        mask = np.zeros(frames.shape[1:3], bool)
        for found in detector(frames[t], classes=wanted, score=score, iou=iou):
            mask |= box_mask(frames[t], found.box, refine=refine)
        if mask.any():
            detected[t] = mask
    if not track or every == 1 or not detected:
        out = np.zeros(frames.shape[:3], bool)
        for t, mask in detected.items():
            out[t] = mask
        return out
    return track_masks(frames, detected, progress=progress, **track_options)
