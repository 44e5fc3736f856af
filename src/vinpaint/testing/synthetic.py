"""Small synthetic clips with a known answer, for the demo, the tests and the benchmarks.

A textured background pans under a moving object; because the background is drawn from a larger
texture, the truth behind the object is known in every frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..arrays import to_uint8


@dataclass(frozen=True)
class SyntheticClip:
    """A clip and its truth.

    Shape: ``frames``, ``background`` ``(T,H,W,3)`` uint8 RGB; ``masks`` ``(T,H,W)`` bool (the object).
    """

    frames: np.ndarray
    masks: np.ndarray
    background: np.ndarray


def make_texture(height: int, width: int, *, seed: int = 0) -> np.ndarray:
    """A colourful multi-scale noise texture with edges, ``(height,width,3)`` uint8 RGB."""
    rng = np.random.default_rng(seed)
    texture = np.zeros((height, width, 3), np.float32)
    for cell, weight in ((32, 0.5), (8, 0.3), (2, 0.2)):
        small = rng.random((max(2, height // cell), max(2, width // cell), 3)).astype(np.float32)
        texture += weight * cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)
    yy, xx = np.mgrid[0:height, 0:width]
    stripes = (np.sin(xx / 9.0 + yy / 23.0) > 0.6)[..., None] * np.array([0.25, -0.1, 0.15], np.float32)
    return np.clip((texture + stripes) * 255, 0, 255).astype(np.uint8)


def make_panning_clip(
    frames: int = 24,
    height: int = 72,
    width: int = 96,
    *,
    pan: tuple[float, float] = (2.0, 0.5),
    object_size: int = 16,
    object_speed: tuple[float, float] = (2.5, 1.0),
    seed: int = 0,
) -> SyntheticClip:
    """A background texture panning by ``pan`` pixels a frame under a square moving by ``object_speed``.

    The square is drawn in a flat colour with a darker border; ``masks`` marks exactly its pixels.
    """
    margin_x = int(abs(pan[0]) * frames) + 4
    margin_y = int(abs(pan[1]) * frames) + 4
    texture = make_texture(height + margin_y, width + margin_x, seed=seed).astype(np.float32)
    background = np.empty((frames, height, width, 3), np.uint8)
    for t in range(frames):
        shift = np.float32([[1, 0, -(pan[0] * t if pan[0] > 0 else margin_x + pan[0] * t)],
                            [0, 1, -(pan[1] * t if pan[1] > 0 else margin_y + pan[1] * t)]])
        moved = cv2.warpAffine(texture, shift, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        background[t] = to_uint8(moved)
    clip = background.copy()
    masks = np.zeros((frames, height, width), bool)
    start = np.array([width * 0.2, height * 0.3])
    for t in range(frames):
        x, y = (start + np.array(object_speed) * t).astype(int)
        x = int(np.clip(x, 0, width - object_size))
        y = int(np.clip(y, 0, height - object_size))
        masks[t, y : y + object_size, x : x + object_size] = True
        clip[t, y : y + object_size, x : x + object_size] = (40, 40, 200)
        clip[t, y + 2 : y + object_size - 2, x + 2 : x + object_size - 2] = (230, 60, 40)
    return SyntheticClip(clip, masks, background)


def make_shadow_clip(frames: int = 12) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A blue square crossing a textured ground (120x200) with its soft cast shadow (the ground at 55 %) 12 px
    below and right of it, within the band a plate covers (the default 4 px of dilation, then 10 % of
    the height): the clip, the square's masks and the clean ground (the truth).

    Shape: returns ``(T,120,200,3)`` uint8, ``(T,120,200)`` bool, ``(T,120,200,3)`` uint8 with ``T = frames``.
    """
    rng = np.random.default_rng(2)
    ground = cv2.GaussianBlur(np.clip(rng.normal((180, 150, 110), 25, (120, 200, 3)), 0, 255).astype(np.float32),
                              (0, 0), 1.5)
    clip = np.repeat(ground[None], frames, 0)
    masks = np.zeros((frames, 120, 200), bool)
    for t in range(frames):
        x = 20 + 8 * t
        masks[t, 30:60, x:x + 24] = True
        cast = cv2.GaussianBlur(np.roll(masks[t], (12, 12), (0, 1)).astype(np.float32), (0, 0), 1.5)
        clip[t] *= 1 - 0.45 * cast[..., None]
        clip[t, masks[t]] = (20, 30, 120)
    truth = np.repeat(np.rint(ground)[None], frames, 0).astype(np.uint8)
    return np.rint(clip).astype(np.uint8), masks, truth
