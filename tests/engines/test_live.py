"""The live engine: causal fill from the previous output (static stays still, panning follows), and
``remove_stream`` with the live preset holding no more than a few frames."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from vinpaint import options_from_preset, remove_stream
from vinpaint.engines import ENGINES
from vinpaint.engines.live import LiveInpainter, inpaint_live
from vinpaint.errors import InvalidArrayError, InvalidOptionError, MaskMismatchError
from vinpaint.fill import fill_telea
from vinpaint.testing.synthetic import make_texture

H, W = 96, 160


def panning(frames: int, pan: tuple[float, float], *, seed: int = 0) -> np.ndarray:
    """``(T,H,W,3)`` uint8: a texture moving by ``-pan`` pixels a frame (frame t at texture + pan * t)."""
    margin_x, margin_y = int(abs(pan[0]) * frames) + 4, int(abs(pan[1]) * frames) + 4
    texture = make_texture(H + margin_y, W + margin_x, seed=seed).astype(np.float32)
    out = []
    for t in range(frames):
        x = pan[0] * t if pan[0] >= 0 else margin_x + pan[0] * t
        y = pan[1] * t if pan[1] >= 0 else margin_y + pan[1] * t
        moved = cv2.warpAffine(texture, np.float32([[1, 0, -x], [0, 1, -y]]), (W, H), flags=cv2.INTER_LINEAR)
        out.append(np.clip(moved + 0.5, 0, 255).astype(np.uint8))
    return np.stack(out)


def logo_hole() -> np.ndarray:
    hole = np.zeros((H, W), bool)
    hole[36:60, 60:100] = True
    return hole


def painted(background: np.ndarray, hole: np.ndarray) -> np.ndarray:
    frames = background.copy()
    frames[:, hole] = (230, 60, 40)  # a flat logo that must not leak into the fill
    return frames


def hole_error(out: np.ndarray, truth: np.ndarray, hole: np.ndarray) -> float:
    return float(np.abs(out[hole].astype(np.float32) - truth[hole]).mean())


def test_static_background_is_filled_once_and_never_flickers():
    background, hole = panning(40, (0, 0)), logo_hole()
    out = inpaint_live(painted(background, hole), np.broadcast_to(hole, (40, H, W)))
    np.testing.assert_array_equal(out[1:, hole], np.broadcast_to(out[0, hole], out[1:, hole].shape))
    # the first frame is Telea's (nothing else exists yet)
    np.testing.assert_array_equal(out[0], fill_telea(painted(background, hole)[0], hole))


def test_panning_background_is_carried_into_the_hole():
    background, hole = panning(40, (2.0, 0.5)), logo_hole()
    frames = painted(background, hole)
    out = inpaint_live(frames, np.broadcast_to(hole, (40, H, W)))
    live = np.mean([hole_error(out[t], background[t], hole) for t in range(30, 40)])
    telea = np.mean([hole_error(fill_telea(frames[t], hole), background[t], hole) for t in range(30, 40)])
    assert live < 0.4 * telea  # about 4.5 against 20 grey levels


def test_hundreds_of_frames_of_slow_motion_add_no_blur():
    # 0.3 px a frame: a resampling warp would blur the fill a little every frame
    background, hole = panning(150, (0.3, 0.1)), logo_hole()
    out = inpaint_live(painted(background, hole), np.broadcast_to(hole, (150, H, W)))

    def sharpness(images: np.ndarray) -> float:
        return float(np.abs(np.diff(images[:, 36:60, 60:100].astype(np.float32), axis=2)).mean())

    assert sharpness(out[-20:]) > 0.8 * sharpness(background[-20:])


def test_a_fade_is_followed_by_the_fill():
    background, hole = panning(40, (0, 0)), logo_hole()
    gain = np.linspace(1, 0.6, 40)[:, None, None, None]
    background = (background * gain).astype(np.uint8)
    out = inpaint_live(painted(background, hole), np.broadcast_to(hole, (40, H, W)))
    kept = inpaint_live(painted(background, hole), np.broadcast_to(hole, (40, H, W)), reanchor=False)
    lag = abs(float(out[-1][hole].mean()) - float(background[-1][hole].mean()))
    assert lag < 0.3 * abs(float(kept[-1][hole].mean()) - float(background[-1][hole].mean()))


def test_a_cut_starts_the_fill_afresh():
    hole = logo_hole()
    first, second = panning(10, (1, 0)), 255 - panning(10, (1, 0), seed=7)  # another scene, another light
    frames = painted(np.concatenate([first, second]), hole)
    live = LiveInpainter()
    outputs = [live(frame, hole) for frame in frames]
    # after the cut the hole holds the new shot's spatial fill, not the old shot's content (the
    # pipeline also drops the past at the cuts its shot detector finds: this is the engine's own check)
    np.testing.assert_array_equal(outputs[10], fill_telea(frames[10], hole))


def test_class_and_function_agree(small_clip):
    live = LiveInpainter(flow_scale=0.5)
    by_class = np.stack([live(frame, hole) for frame, hole in zip(small_clip.frames, small_clip.masks)])
    np.testing.assert_array_equal(by_class, inpaint_live(small_clip.frames, small_clip.masks, flow_scale=0.5))


def test_pixels_outside_the_hole_are_untouched(small_clip):
    live = LiveInpainter()
    for frame, hole in zip(small_clip.frames, small_clip.masks):
        out = live(frame, hole)
        np.testing.assert_array_equal(out[~hole], frame[~hole])


def test_bad_input_raises_package_errors(small_clip):
    live = LiveInpainter()
    with pytest.raises(InvalidArrayError, match="uint8"):
        live(small_clip.frames[0].astype(np.float32), small_clip.masks[0])
    with pytest.raises(InvalidArrayError, match="hole is"):
        live(small_clip.frames[0], small_clip.masks[0][:10])
    with pytest.raises(InvalidOptionError, match="flow_scale"):
        LiveInpainter(flow_scale=0)


def test_live_is_registered_as_a_causal_engine():
    assert ENGINES.get("live") is inpaint_live and inpaint_live.causal is LiveInpainter


# through the pipeline


class CountingFrames:
    """An iterator over frames that counts how many were pulled."""

    def __init__(self, frames: np.ndarray) -> None:
        self.frames, self.pulled = frames, 0

    def __iter__(self):
        for frame in self.frames:
            self.pulled += 1
            yield frame


@pytest.mark.parametrize("shots", ["auto", "none"])
def test_live_preset_yields_the_first_output_within_8_frames(small_clip, shots):
    options = options_from_preset("live", shots=shots)
    assert options.engine == "live"
    frames = CountingFrames(small_clip.frames)
    stream = remove_stream(frames, iter(small_clip.masks), options)
    next(stream)
    assert frames.pulled <= 8
    assert frames.pulled == (3 if shots == "auto" else 1)  # the shot detector looks 2 frames ahead
    assert len(list(stream)) == len(small_clip.frames) - 1


def test_live_preset_keeps_every_unmasked_pixel(small_clip):
    options = options_from_preset("live", dilate=0)
    out = np.stack(list(remove_stream(small_clip.frames, small_clip.masks, options)))
    np.testing.assert_array_equal(out[~small_clip.masks], small_clip.frames[~small_clip.masks])


def test_live_stream_refuses_a_fully_masked_first_frame(small_clip):
    masks = small_clip.masks.copy()
    masks[0] = True
    with pytest.raises(MaskMismatchError, match="frame 0"):
        list(remove_stream(small_clip.frames, masks, options_from_preset("live")))
    grey = list(remove_stream(small_clip.frames, masks, options_from_preset("live", allow_full_mask=True)))
    assert (grey[0] == 128).all()
