import numpy as np
import pytest

from tests.conftest import psnr
from vinpaint.composite import dilate_mask
from vinpaint.engines import ENGINES
from vinpaint.errors import InvalidOptionError
from vinpaint.testing.synthetic import make_panning_clip


def test_propagation_recovers_the_revealed_background(medium_clip):
    holes = dilate_mask(medium_clip.masks, 4)
    ours = ENGINES.get("propagate")(medium_clip.frames, holes)
    telea = ENGINES.get("perframe")(medium_clip.frames, holes)
    truth = medium_clip.background
    assert psnr(ours[holes], truth[holes]) > 30
    assert psnr(ours[holes], truth[holes]) > psnr(telea[holes], truth[holes]) + 10


def _drift_along_pan(out, holes):
    # content moves 2 px left a frame: frame t+1 at x equals frame t at x + 2
    errors = []
    for t in range(len(out) - 1):
        hole = holes[t + 1, :, :-2]
        errors.append(np.abs(out[t + 1, :, :-2].astype(int) - out[t, :, 2:])[hole].mean())
    return float(np.mean(errors))


def _never_revealed_clip():
    # the object travels with the pan, so the background behind it is never revealed: the fill is
    # synthesised once and must then follow the background's motion instead of being redrawn per frame
    clip = make_panning_clip(frames=12, height=64, width=96, pan=(2.0, 0.0), object_size=14, object_speed=(-2.0, 0.0))
    return clip.frames, dilate_mask(clip.masks, 2)


def test_never_seen_content_moves_with_the_scene():
    frames, holes = _never_revealed_clip()
    out = ENGINES.get("propagate")(frames, holes, seamless=False)
    assert _drift_along_pan(out, holes) < 0.3  # per-frame Telea scores 1.2 here, propagation 0.001


def test_seamless_blending_keeps_the_fill_steadier_than_per_frame_inpainting():
    frames, holes = _never_revealed_clip()
    ours = _drift_along_pan(ENGINES.get("propagate")(frames, holes), holes)
    per_frame = _drift_along_pan(ENGINES.get("perframe")(frames, holes), holes)
    assert ours < 0.5 * per_frame  # measured 0.47 against 1.21


def test_single_frame_clip_falls_back_to_spatial_fill(small_clip):
    out = ENGINES.get("propagate")(small_clip.frames[:1], small_clip.masks[:1])
    assert out.shape == (1, *small_clip.frames.shape[1:])


def test_no_colour_from_inside_any_hole_leaks_into_the_fill():
    # a static yellow logo over a pan: every source position must avoid every frame's hole
    clip = make_panning_clip(frames=20, height=64, width=96, pan=(1.7, 0.6), object_size=1)
    frames = clip.frames.copy()
    logo = np.zeros(frames.shape[1:3], bool)
    logo[20:40, 30:70] = True
    frames[:, logo] = (255, 255, 0)
    def yellowish(x):
        return np.abs(x.astype(int) - (255, 255, 0)).sum(-1) < 120
    assert not yellowish(clip.background).any()  # the truth holds no such colour
    out = ENGINES.get("propagate")(frames, np.broadcast_to(logo, frames.shape[:3]).copy())
    assert not yellowish(out).any()


@pytest.mark.parametrize("option", [{"one_sided_prior": 1.5}, {"disagreement_prior": -0.1}, {"temporal_smoothing": 1.0},
                                    {"max_keyframes": -1}, {"refine_passes": -2},
                                    {"average_passes": True, "refine_passes": 1}, {"fuse": "median"},
                                    {"smoothing_tolerance": -1}, {"smoothing_sharpness": 1.5},
                                    {"synthesis_max_width": -1}])
def test_out_of_range_options_are_refused(small_clip, option):
    with pytest.raises(InvalidOptionError):
        ENGINES.get("propagate")(small_clip.frames, small_clip.masks, **option)


def test_the_smooth_prior_weighs_one_sided_and_disagreeing_pixels_only():
    from vinpaint.engines.propagate import prior_weights

    one_sided = np.array([True, False, False, False])
    disagreement = np.array([0, 10, 48, 200], np.uint8)
    weights = prior_weights(one_sided, disagreement, one_sided_prior=0.25, disagreement_prior=0.5)
    # one-sided: its own weight; agreeing (< 16 levels): none; then linear up to 0.5 at 80 levels
    np.testing.assert_allclose(weights, [0.25, 0.0, 0.25, 0.5])


def _two_layer_clip():
    # the upper half pans left and the lower half right, 2 px a frame; the hole moves through the
    # lower half 8 px below the split, so the first pass's completion region (hole + 20 px) reaches
    # into the other layer, while the hole's own boundary lies wholly in the lower one
    from vinpaint.testing.synthetic import make_texture

    count, height, width, split = 10, 72, 128, 36
    upper, lower = make_texture(height, width + 4 * count, seed=1), make_texture(height, width + 4 * count, seed=2)
    truth = np.zeros((count, height, width, 3), np.uint8)
    holes = np.zeros((count, height, width), bool)
    for t in range(count):
        truth[t, :split] = upper[:split, 2 * t:2 * t + width]
        truth[t, split:] = lower[split:, 4 * count - 2 * t:4 * count - 2 * t + width]
        holes[t, split + 8:split + 26, 20 + 8 * t:40 + 8 * t] = True
    painted = truth.copy()
    painted[holes] = 128
    return painted, holes, truth


def test_the_robust_flow_pass_measures_the_motion_next_to_the_hole():
    painted, holes, truth = _two_layer_clip()
    errors = [np.abs(ENGINES.get("propagate")(painted, holes, refine_passes=passes).astype(int) - truth)[holes].mean()
              for passes in (0, 1)]
    # measured: 14.5 grey levels without the pass (the other layer's motion leaks into the hole), 6.0 with it
    assert errors[1] < 0.5 * errors[0]


def test_temporal_smoothing_damps_flicker_without_lagging_behind_a_steady_change():
    from vinpaint.engines.propagate import smooth_along_flow
    from vinpaint.engines.propagation import FlowPairs

    count = 21
    still = np.zeros((count - 1, 8, 8, 2), np.float32)
    flows = FlowPairs.from_flows(still, still.copy())
    holes = np.ones((count, 8, 8), bool)
    t = np.arange(count)
    ramp = np.broadcast_to((60 + 5 * t)[:, None, None, None], (count, 8, 8, 3)).astype(np.uint8)
    flicker = np.broadcast_to((100 + 20 * (t % 2))[:, None, None, None], (count, 8, 8, 3)).astype(np.uint8)
    smoothed_ramp = smooth_along_flow(ramp, holes, flows, 0.75).astype(int)
    smoothed_flicker = smooth_along_flow(flicker, holes, flows, 0.75).astype(int)
    middle = slice(8, 13)
    # a one-sided average would trail the ramp by 0.75 / 0.25 * 5 = 15 levels; past and future cancel
    assert np.abs(smoothed_ramp[middle] - ramp[middle]).max() <= 1
    assert np.ptp(smoothed_flicker[middle], axis=0).max() <= 0.3 * 20


def test_smoothing_with_a_tolerance_mixes_agreeing_fills_and_leaves_disagreeing_ones():
    from vinpaint.engines.propagate import smooth_along_flow
    from vinpaint.engines.propagation import FlowPairs

    filled = np.zeros((3, 8, 8, 3), np.uint8)
    filled[:, :, :4] = (100, 104, 108)  # left half: frames 0 and 2 agree with frame 1 to within 8 levels
    filled[1, :, :4] = 108
    filled[1, :, 4:] = 200  # right half: frame 1 copied something else (differs by 200)
    holes = np.ones((3, 8, 8), bool)
    still = np.zeros((2, 8, 8, 2), np.float32)
    flows = FlowPairs.from_flows(still, still)
    out = smooth_along_flow(filled, holes, flows, 0.75, tolerance=16)
    assert (out[1, :, 4:] == 200).all()  # no ghost of the neighbours in frame 1
    assert (out[1, :, :4, 0] < 106).all()  # the agreeing half is averaged
    assert (smooth_along_flow(filled, holes, flows, 0.75)[1, :, 4:] < 120).all()  # without a tolerance: mixed


def test_sharper_resampling_keeps_the_texture_the_smoothing_carries_along_a_sub_pixel_pan():
    import cv2

    from vinpaint.engines.propagate import smooth_along_flow
    from vinpaint.engines.propagation import FlowPairs
    from vinpaint.testing.synthetic import make_texture

    count, size = 15, 48
    texture = make_texture(size, size + count, seed=3)
    # frame t is the texture 0.5 px further left: each pixel of frame t lies 0.5 px to its left in t + 1
    grid_x, grid_y = np.meshgrid(np.arange(size, dtype=np.float32), np.arange(size, dtype=np.float32))
    frames = np.stack([cv2.remap(texture, grid_x + 0.5 * t, grid_y, cv2.INTER_CUBIC) for t in range(count)])
    forward = np.zeros((count - 1, size, size, 2), np.float32)
    forward[..., 0] = -0.5
    flows = FlowPairs.from_flows(forward, -forward)
    holes = np.zeros((count, size, size), bool)
    holes[:, 8:40, 8:40] = True
    errors = [np.abs(smooth_along_flow(frames, holes, flows, 0.75, sharpness=sharpness).astype(int) - frames)[holes].mean()
              for sharpness in (0.0, 1.0)]
    # each step resamples the neighbours' average half a pixel away: bilinear blurs it every time
    assert errors[1] < 0.6 * errors[0]


def test_smoothing_leaves_a_frame_whose_hole_has_no_trusted_flow():
    from vinpaint.engines.propagate import smooth_along_flow
    from vinpaint.engines.propagation import FlowPairs

    filled = np.zeros((3, 8, 8, 3), np.uint8)
    filled[1] = 200
    holes = np.ones((3, 8, 8), bool)
    still = np.zeros((2, 8, 8, 2), np.float32)
    flows = FlowPairs(still, still, np.zeros((2, 8, 8), bool), np.zeros((2, 8, 8), bool))  # nothing trusted
    assert np.array_equal(smooth_along_flow(filled, holes, flows, 0.75, sharpness=0.5), filled)


def test_tiny_holes_on_moving_noise_are_filled():
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 256, (6, 32, 48, 3), dtype=np.uint8)
    holes = np.zeros((6, 32, 48), bool)
    holes[:, 15:17, 20:22] = True
    out = ENGINES.get("propagate")(frames, holes)
    assert out.shape == frames.shape and np.array_equal(out[~holes], frames[~holes])


def _count_spatial_fills(monkeypatch):
    import vinpaint.engines.propagate as propagate

    calls = []
    real = propagate.fill_spatial

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(propagate, "fill_spatial", counting)
    return calls


def test_without_resynthesis_the_robust_flow_pass_takes_the_first_pass_synthesis(monkeypatch):
    frames, holes = _never_revealed_clip()
    calls = _count_spatial_fills(monkeypatch)
    ENGINES.get("propagate")(frames, holes, refine_passes=0)
    first_pass = len(calls)
    calls.clear()
    ENGINES.get("propagate")(frames, holes, refine_passes=2, resynthesise=False)
    assert first_pass > 0 and len(calls) == first_pass
    calls.clear()
    ENGINES.get("propagate")(frames, holes, refine_passes=1)
    assert len(calls) > first_pass


def test_one_thread_and_several_give_the_same_fill(small_clip):
    holes = dilate_mask(small_clip.masks, 2)
    one = ENGINES.get("propagate")(small_clip.frames, holes, threads=1)
    several = ENGINES.get("propagate")(small_clip.frames, holes, threads=3)
    np.testing.assert_array_equal(one, several)


def test_the_flow_is_estimated_on_a_box_around_the_hole_or_the_whole_frame_when_that_box_is_most_of_it():
    from vinpaint.engines.propagate import flow_box

    hole = np.zeros((480, 854), bool)
    hole[200:240, 400:460] = True  # a logo
    rows, cols = flow_box(hole)  # grown by 15 % of the longer side: 128 px
    assert (rows.start, rows.stop, cols.start, cols.stop) == (72, 368, 272, 588)
    hole[10:400, 20:600] = True
    assert flow_box(hole) == (slice(0, 480), slice(0, 854))


@pytest.mark.parametrize(("max_width", "scale"), [(48, 0.75), (16, 0.25), (640, 1.0), (0, 1.0)])
def test_the_flow_is_estimated_at_most_flow_max_width_wide(monkeypatch, small_clip, max_width, scale):
    from vinpaint.engines import propagate

    scales = []
    estimate = propagate.completed_flows

    def recording(*args, **kwargs):
        scales.append(kwargs["flow_scale"])
        return estimate(*args, **kwargs)

    monkeypatch.setattr(propagate, "completed_flows", recording)
    ENGINES.get("propagate")(small_clip.frames, small_clip.masks, flow_max_width=max_width)  # 64 px wide
    assert scales and set(scales) == {scale}


@pytest.mark.parametrize(("width", "limit"), [(432, 640), (854, 640), (1920, 960), (3840, 960)])
def test_the_automatic_flow_width_is_640_or_half_the_frame_up_to_960(width, limit):
    from vinpaint.engines.propagate import flow_width_limit

    assert flow_width_limit(width) == limit


def test_one_thread_and_several_give_the_same_synthesis_of_what_no_keyframe_reached(monkeypatch):
    # no keyframes, and a background never revealed: every frame's hole is synthesised on its own, on
    # the engine's threads
    frames, holes = _never_revealed_clip()
    calls = _count_spatial_fills(monkeypatch)
    one = ENGINES.get("propagate")(frames, holes, threads=1, max_keyframes=0)
    assert len(calls) >= len(frames)
    several = ENGINES.get("propagate")(frames, holes, threads=3, max_keyframes=0)
    np.testing.assert_array_equal(one, several)
