"""The next window's first-pass flows computed ahead, while a window fills (``FlowsAhead``)."""

import threading

import numpy as np
import pytest

from vinpaint import pipeline
from vinpaint.composite import dilate_mask
from vinpaint.engines import ENGINES, propagate
from vinpaint.engines.propagation import FlowPairs
from vinpaint.pipeline import RemoveOptions, remove
from vinpaint.testing.synthetic import make_panning_clip


def _clip(frames: int):
    clip = make_panning_clip(frames=frames, height=40, width=56, object_size=10)
    return clip.frames, clip.masks


def _pair_threads(monkeypatch) -> list[str]:
    """The name of the thread of every pair's flow computed (both passes), as they are computed."""
    names = []
    compute = propagate._pair_flows

    def recording(*args):
        names.append(threading.current_thread().name)
        return compute(*args)

    monkeypatch.setattr(propagate, "_pair_flows", recording)
    return names


def _without_ahead(monkeypatch) -> None:
    monkeypatch.setattr(ENGINES.get("propagate"), "flows_ahead", None)


# lengths around the windows' edges (6 + 2 and 2 * 6 + 2 frames; with no context, one window exactly)
@pytest.mark.parametrize(("frames", "context"), [(9, 2), (10, 2), (11, 2), (14, 2), (17, 2), (23, 2), (6, 0), (13, 0)])
def test_the_fill_is_the_same_with_the_flows_computed_ahead(monkeypatch, frames, context):
    clip, masks = _clip(frames)
    options = RemoveOptions(window=6, context=context)
    with_ahead = remove(clip, masks, options)
    _without_ahead(monkeypatch)
    np.testing.assert_array_equal(with_ahead, remove(clip, masks, options))


def test_the_fill_is_the_same_with_the_flows_computed_ahead_across_a_shot_cut(monkeypatch):
    clip, masks = _clip(20)
    options = RemoveOptions(window=6, context=2)

    def fill() -> np.ndarray:
        return np.stack(list(pipeline.remove_stream(clip, masks, options, total=len(clip), cuts=[9])))

    with_ahead = fill()
    _without_ahead(monkeypatch)
    np.testing.assert_array_equal(with_ahead, fill())


def test_pairs_computed_ahead_are_not_computed_again(monkeypatch):
    clip, masks = _clip(22)
    options = RemoveOptions(window=6, context=2)
    names = _pair_threads(monkeypatch)
    remove(clip, masks, options)
    ahead = [name for name in names if name.startswith("vinpaint-flows-ahead")]
    with_ahead = len(names)
    names.clear()
    _without_ahead(monkeypatch)
    remove(clip, masks, options)
    assert ahead
    # each window's look-ahead pairs were computed twice, once as look-ahead and once as its own
    assert with_ahead < len(names)


def test_a_pair_is_found_only_for_the_pixels_it_was_computed_from():
    clip, masks = _clip(4)
    holes = dilate_mask(masks, 2)
    ahead = propagate.FlowsAhead({})
    try:
        ahead.submit(list(clip), list(holes))
        settings = ahead.settings(clip.shape[2])
        digests = [propagate._digest(item) for item in zip(clip, holes)]
        box, both = ahead.result(settings, digests[1], digests[2])
        expected = propagate._pair_flows(clip[1:3], dilate_mask(holes[1:3], settings.flow_margin),
                                         [propagate.occupied_box(dilate_mask(h, settings.flow_margin)) for h in holes[1:3]],
                                         settings)
        assert box == expected[0]
        np.testing.assert_array_equal(both, expected[1])
        changed = clip[2].copy()
        changed[0, 0] += 1
        assert ahead.result(settings, digests[1], propagate._digest((changed, holes[2]))) is None
    finally:
        ahead.close()


@pytest.mark.parametrize(("engine_options", "shortened", "shadows"),
                         [({"threads": 1}, False, False), ({}, True, False), ({}, False, True)])
def test_no_flows_are_computed_ahead_on_one_thread_for_a_shortened_window_or_lifted_shadows(
        engine_options, shortened, shadows):
    options = RemoveOptions(engine_options=engine_options, shadows=shadows)
    assert pipeline._flows_ahead(ENGINES.get("propagate"), options, shortened=shortened) is None


def test_the_consistency_is_the_same_on_one_thread_and_several():
    rng = np.random.default_rng(0)
    forward = rng.normal(0, 2, (5, 24, 32, 2)).astype(np.float32)
    backward = -forward + rng.normal(0, 0.5, forward.shape).astype(np.float32)
    one, several = (FlowPairs.from_flows(forward, backward, threads=threads) for threads in (1, 3))
    np.testing.assert_array_equal(one.forward_ok, several.forward_ok)
    np.testing.assert_array_equal(one.backward_ok, several.backward_ok)
    assert not one.forward_ok.all() and one.forward_ok.any()
