"""A synthetic clip for planar tracking and insertion: a textured poster moving under known homographies.

The poster is warped onto any background clip (a real one or a texture), its brightness may change
over time, and a skin-coloured "hand" may pass in front of it; the true corners, the brightness and the
hand's pixels are known in every frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..arrays import check_frames, to_uint8
from .synthetic import make_texture

#: a skin tone (RGB), the hand's colour
SKIN = (224, 172, 140)
#: the poster is drawn at this many times the size and averaged down (a camera's band limit: no aliasing)
_SUPERSAMPLE = 4
#: frame pixel coordinates -> supersampled ones (pixel centres at integers in both)
_SUPERSAMPLE_MAP = np.array([[_SUPERSAMPLE, 0, (_SUPERSAMPLE - 1) / 2], [0, _SUPERSAMPLE, (_SUPERSAMPLE - 1) / 2], [0, 0, 1]])


@dataclass(frozen=True)
class PosterClip:
    """A clip and its truth.

    Shape: ``frames`` ``(T,H,W,3)`` uint8 RGB; ``corners`` ``(T,4,2)`` float64 (top-left, top-right,
    bottom-right, bottom-left, pixel-edge corners of the poster); ``hand`` ``(T,H,W)`` bool (the
    occluder's pixels, alpha > 0.5); ``brightness`` ``(T,)`` float, the gain applied to the poster.
    """

    frames: np.ndarray
    corners: np.ndarray
    hand: np.ndarray
    brightness: np.ndarray
    poster: np.ndarray


def make_poster_clip(
    background: np.ndarray | None = None,
    *,
    frames: int = 60,
    size: tuple[int, int] = (240, 432),
    poster_size: tuple[int, int] = (90, 120),
    brightness_swing: float = 0.0,  # at most 0.25: the poster's 200 then reaches 250
    hand: bool = True,
    seed: int = 0,
) -> PosterClip:
    """A poster moving in perspective over ``background`` (``(T',H,W,3)``, looped; None = a texture).

    The poster's corners follow smooth, different paths (translation, rotation, perspective); its
    brightness is ``1 + brightness_swing * sin(2 pi t / frames)``; the hand (an ellipse with a
    soft edge) crosses the poster's middle between 25 % and 75 % of the clip.
    """
    h, w = size
    if background is None:
        background = make_texture(h, w, seed=seed + 7)[None]
    background = check_frames(background, name="background")
    if background.shape[1:3] != (h, w):
        background = np.stack([cv2.resize(b, (w, h), interpolation=cv2.INTER_AREA) for b in background])
    ph, pw = poster_size
    poster = _make_poster(ph, pw, seed=seed)
    source = np.array([[-0.5, -0.5], [pw - 0.5, -0.5], [pw - 0.5, ph - 0.5], [-0.5, ph - 0.5]], np.float32)
    centre = np.array([w * 0.45, h * 0.5])
    half = np.array([pw * 0.55, ph * 0.55])
    base = centre + np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]]) * half
    t_axis = np.arange(frames)
    phase = 2 * np.pi * t_axis / max(frames, 1)
    brightness = 1.0 + brightness_swing * np.sin(phase)
    out = np.empty((frames, h, w, 3), np.uint8)
    corners = np.empty((frames, 4, 2))
    hand_masks = np.zeros((frames, h, w), bool)
    rng = np.random.default_rng(seed)
    wobble = rng.uniform(-1, 1, (4, 2))
    for t in range(frames):
        angle = 0.12 * np.sin(phase[t])
        rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        shift = np.array([28 * np.sin(phase[t]), 12 * np.sin(2 * phase[t])])
        moved = (base - centre) @ rotation.T + centre + shift + 9 * wobble * np.sin(phase[t] + np.arange(4)[:, None])
        corners[t] = moved
        homography = _SUPERSAMPLE_MAP @ cv2.getPerspectiveTransform(source, moved.astype(np.float32))
        big = (w * _SUPERSAMPLE, h * _SUPERSAMPLE)
        alpha = cv2.warpPerspective(np.ones((ph, pw), np.float32), homography, big, flags=cv2.INTER_LINEAR)
        layer = cv2.warpPerspective(poster * brightness[t], homography, big, flags=cv2.INTER_LINEAR) * alpha[..., None]
        alpha = cv2.resize(alpha, (w, h), interpolation=cv2.INTER_AREA)
        layer = cv2.resize(layer, (w, h), interpolation=cv2.INTER_AREA)
        frame = background[t % len(background)].astype(np.float32)
        frame = frame * (1 - alpha[..., None]) + layer
        if hand and frames * 0.25 <= t <= frames * 0.75:
            progress = (t - frames * 0.25) / max(frames * 0.5, 1)
            hx = moved[:, 0].min() - 30 + progress * (np.ptp(moved[:, 0]) + 60)
            hy = moved[:, 1].mean() + 10
            blob = np.zeros((h, w), np.float32)
            cv2.ellipse(blob, (round(hx), round(hy)), (16, 34), 15, 0, 360, 1.0, -1, cv2.LINE_AA)
            blob = cv2.GaussianBlur(blob, (0, 0), 1.2)
            frame = frame * (1 - blob[..., None]) + np.array(SKIN, np.float32) * blob[..., None]
            hand_masks[t] = blob > 0.5
        out[t] = to_uint8(frame)
    return PosterClip(out, corners, hand_masks, brightness, to_uint8(poster))


def _make_poster(height: int, width: int, *, seed: int) -> np.ndarray:
    """A printed-looking poster: a stretched texture with dark bars ("lines of text") and a frame, in 20-200
    (room to brighten by 25 %), ``(height,width,3)`` float32."""
    texture = make_texture(height, width, seed=seed).astype(np.float32)
    texture = (texture - texture.mean()) * 1.6 + 120
    rng = np.random.default_rng(seed + 1)
    for row in range(height // 6, height - height // 8, max(6, height // 9)):
        x0 = int(rng.integers(width // 10, width // 4))
        x1 = int(rng.integers(width // 2, width - width // 10))
        texture[row : row + max(2, height // 30), x0:x1] = (25, 25, 60)
    texture[:3], texture[-3:], texture[:, :3], texture[:, -3:] = 200, 200, 200, 200
    return np.clip(texture, 20, 200).astype(np.float32)
