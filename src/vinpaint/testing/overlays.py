"""Overlays with a known mask: a semi-transparent logo and a timestamp composited over a clip, for the
watermark detector's tests and benchmark.

Shapes: frames ``(T,H,W,3)`` uint8 RGB; coverage ``(H,W)`` float32 in [0, 1]; masks ``(H,W)`` bool.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..arrays import to_uint8


def logo_alpha(height: int, width: int, *, x: int, y: int, size: int = 56) -> np.ndarray:
    """A ring with "TV" in it: ``(H,W)`` float32 coverage in [0, 1]."""
    alpha = np.zeros((height, width), np.float32)
    cv2.circle(alpha, (x + size // 2, y + size // 2), size // 2 - 2, 1.0, thickness=max(2, size // 11), lineType=cv2.LINE_AA)
    s = size / 56
    cv2.putText(alpha, "TV", (int(x + size / 2 - 17 * s), int(y + size / 2 + 9 * s)), cv2.FONT_HERSHEY_SIMPLEX,
                0.8 * s, 1.0, max(1, round(3 * s)), cv2.LINE_AA)
    return alpha


def timestamp_alpha(height: int, width: int, *, x: int, y: int, text: str = "2024-05-01 12:34:56",
                    scale: float = 0.6) -> np.ndarray:
    alpha = np.zeros((height, width), np.float32)
    cv2.putText(alpha, text, (x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, 1.0, 2, cv2.LINE_AA)
    return alpha


def overlay(frames: np.ndarray, alpha: np.ndarray, colour, opacity: float) -> np.ndarray:
    """Composite a flat colour with coverage ``alpha * opacity`` over every frame."""
    a = (alpha * opacity)[None, ..., None]
    return to_uint8(frames.astype(np.float32) * (1 - a) + np.float32(colour) * a)


def watermarked_clip(frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A half-transparent white logo (top right) and an opaque yellow timestamp (bottom left).

    Returns the clip and the truth ``(H,W)`` bool (coverage > 0.1).
    """
    h, w = frames.shape[1:3]
    if w >= 400:
        logo = logo_alpha(h, w, x=w - 80, y=16)
        stamp = timestamp_alpha(h, w, x=12, y=h - 14)
    else:
        logo = logo_alpha(h, w, x=w - 48, y=4, size=44)
        stamp = timestamp_alpha(h, w, x=4, y=h - 6, text="12:34:56", scale=0.45)
    out = overlay(overlay(frames, logo, (255, 255, 255), 0.5), stamp, (255, 255, 0), 1.0)
    return out, (logo > 0.1) | (stamp > 0.1)


def largest_false_region(found: np.ndarray, truth: np.ndarray) -> int:
    """Pixels of the largest 8-connected region of ``found`` outside ``truth`` (both ``(H,W)`` bool)."""
    count, _, stats, _ = cv2.connectedComponentsWithStats((found & ~truth).astype(np.uint8), connectivity=8)
    return int(stats[1:, cv2.CC_STAT_AREA].max()) if count > 1 else 0
