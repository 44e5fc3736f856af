import numpy as np
import pytest

from vinpaint.engines import ENGINES, RUNTIME_KEYWORDS, engine_parameters
from vinpaint.engines.background import MAX_PIXELS, ClipBackground, keep_references, reference_indices
from vinpaint.errors import InvalidOptionError
from vinpaint.pipeline import RemoveOptions, clip_background, remove
from vinpaint.testing.synthetic import make_texture

H, W = 128, 192


def _panning(frames: int, *, pan: int = 1, seed: int = 0) -> np.ndarray:
    """A texture seen through a window moving ``pan`` px a frame to the right: pure translation, known truth."""
    texture = make_texture(H, W + pan * frames, seed=seed)
    return np.stack([texture[:, pan * t: pan * t + W] for t in range(frames)])


def _box_holes(frames: int, *, clear_from: int) -> np.ndarray:
    """A large box, still on screen (the camera pans under it) until frame ``clear_from``, then gone."""
    holes = np.zeros((frames, H, W), bool)
    holes[:clear_from, 40:90, 70:130] = True
    return holes


def _items(frames, holes):
    return list(zip(frames, holes))


def test_reference_indices_are_evenly_spaced_with_both_ends():
    assert reference_indices(100, 5) == [0, 25, 50, 74, 99]
    assert reference_indices(3, 24) == [0, 1, 2]


def test_reference_indices_reject_a_zero_count():
    with pytest.raises(InvalidOptionError):
        reference_indices(10, 0)


def test_keep_references_holds_only_the_kept_frames_and_drops_fully_masked_ones():
    frames = _panning(10)
    holes = np.zeros((10, H, W), bool)
    holes[9] = True
    background = keep_references(_items(frames, holes), 10, count=4)
    assert [r.index for r in background.references] == [0, 3, 6]  # 9 shows nothing
    assert background.nbytes == 3 * (H * W * 3 + H * W)


def test_keep_references_reduces_frames_above_the_pixel_budget():
    frames = _panning(2)
    background = keep_references(_items(frames, np.zeros((2, H, W), bool)), 2, max_pixels=H * W // 4)
    assert background.scale == pytest.approx(0.5)
    assert background.references[0].image.shape == (H // 2, W // 2, 3)


def test_default_budget_keeps_854x480_frames_whole():
    assert 854 * 480 <= MAX_PIXELS


def _fill(frames, holes, background, first=0):
    filled, remaining = frames.copy(), holes.copy()
    count = background.for_window(first).fill(frames, holes, filled, remaining)
    return filled, remaining, count


def test_never_seen_pixels_come_from_a_far_reference_aligned_to_the_frame():
    clip = _panning(30)
    holes = _box_holes(30, clear_from=28)
    background = keep_references(_items(clip, holes), 30, count=4)  # frames 0, 10, 19, 29
    window = slice(8, 12)
    frames = np.where(holes[window][..., None], 0, clip[window]).astype(np.uint8)
    filled, remaining, count = _fill(frames, holes[window], background, first=8)
    assert count > 0.95 * holes[window].sum()
    error = np.abs(filled.astype(int) - clip[window])[holes[window]].mean()
    assert error < 3  # a black hole before: ~120 levels


def test_references_of_another_shot_are_not_used():
    clip = _panning(30)
    holes = _box_holes(30, clear_from=28)
    frames = np.where(holes[8:12][..., None], 0, clip[8:12]).astype(np.uint8)
    counts = []
    for cuts in ((), (20,)):
        background = keep_references(_items(clip, holes), 30, count=4, cuts=cuts)
        counts.append(_fill(frames, holes[8:12], background, first=8)[2])
    # only frame 29 shows the middle of the hole: after the cut, strips at its sides are all that is left
    assert counts[0] > 0.95 * holes[8:12].sum() and counts[1] < 0.3 * holes[8:12].sum()


def test_a_reference_of_another_scene_is_rejected():
    clip = _panning(30)
    holes = _box_holes(30, clear_from=28)
    other = _panning(30, seed=7)
    references = [(clip[t] if t < 28 else other[t], holes[t]) for t in range(30)]
    background = keep_references(references, 30, count=4)
    frames = np.where(holes[8:12][..., None], 0, clip[8:12]).astype(np.uint8)
    filled, remaining, _ = _fill(frames, holes[8:12], background, first=8)
    error = np.abs(filled.astype(int) - clip[8:12])[holes[8:12] & ~remaining]
    assert error.size == 0 or error.mean() < 3  # nothing copied from the unrelated scene


def test_each_region_comes_whole_from_one_reference():
    clip = _panning(30)
    holes = _box_holes(30, clear_from=1)  # only frame 0 is masked: every other reference shows it
    # two equally near references, one brighter: the region must not mix them
    frames = clip.copy()
    frames[11:] = np.clip(clip[11:].astype(int) + 20, 0, 255).astype(np.uint8)
    background = keep_references(_items(frames, holes), 30, count=4, max_tries=6)
    target = np.where(holes[:1][..., None], 0, clip[:1]).astype(np.uint8)
    filled, _, _ = _fill(target, holes[:1], background)
    offset = filled[0].astype(int) - clip[0]
    inside = offset[holes[0]].mean(-1)
    assert np.abs(inside).mean() < 3 or np.abs(inside - 20).mean() < 3  # one source, not a blend


def test_the_engine_takes_background_as_a_runtime_keyword():
    assert "background" in RUNTIME_KEYWORDS
    assert "background" not in engine_parameters("propagate")


def test_the_engine_fills_from_the_background_before_synthesis():
    clip = _panning(30)
    holes = _box_holes(30, clear_from=28)
    background = keep_references(_items(clip, holes), 30, count=4)
    window = slice(8, 12)
    frames = np.where(holes[window][..., None], 0, clip[window]).astype(np.uint8)
    engine = ENGINES.get("propagate")
    with_background = engine(frames, holes[window], background=background.for_window(8), refine_passes=0)
    without = engine(frames, holes[window], refine_passes=0)
    hole = holes[window]
    error_with = np.abs(with_background.astype(int) - clip[window])[hole].mean()
    error_without = np.abs(without.astype(int) - clip[window])[hole].mean()
    assert error_with < 0.25 * error_without


def test_the_pipeline_pre_pass_makes_holes_as_the_stream_does_and_detects_no_cut_in_one_shot():
    clip = _panning(12)
    holes = _box_holes(12, clear_from=10)
    background, cuts = clip_background(clip, holes, RemoveOptions(dilate=3, background_frames=3), 12)
    assert cuts == []
    assert isinstance(background, ClipBackground)
    first = background.references[0]
    assert first.index == 0 and first.hole.sum() > holes[0].sum()  # grown by dilate as the stream grows it


def test_the_pre_pass_is_skipped_when_off():
    clip = _panning(4)
    background, _ = clip_background(clip, _box_holes(4, clear_from=2), RemoveOptions(background_frames=0), 4)
    assert background is None


def test_remove_with_background_beats_the_window_alone_on_a_clip_longer_than_the_window():
    clip = _panning(12, pan=3)
    holes = _box_holes(12, clear_from=11)
    frames = np.where(holes[..., None], 0, clip).astype(np.uint8)
    settings = {"window": 4, "context": 1, "dilate": 0, "shots": "none", "engine_options": {"refine_passes": 0}}
    ours = remove(frames, holes, RemoveOptions(background_frames=4, **settings))
    alone = remove(frames, holes, RemoveOptions(background_frames=0, **settings))
    error_ours = np.abs(ours.astype(int) - clip)[holes].mean()
    error_alone = np.abs(alone.astype(int) - clip)[holes].mean()
    assert error_ours < 0.5 * error_alone


def test_what_moves_in_a_reference_is_not_used_as_background():
    clip = _panning(30)
    holes = np.zeros((30, H, W), bool)
    moved = clip.copy()
    for t in range(30):  # an unmasked square crossing the scene: not background
        moved[t, 20:50, 10 + 5 * t: 40 + 5 * t] = (250, 20, 20)
    background = keep_references(_items(moved, holes), 30, count=5)  # frames 0, 7, 14, 22, 29
    background.prepare(2)
    unusable = background.references[2].near_hole
    assert unusable[25:45, 85:105].all()  # the square in frame 14
    assert unusable.mean() < 0.15  # and little else
