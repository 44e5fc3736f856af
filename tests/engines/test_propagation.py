import numpy as np

from vinpaint.engines.propagation import FlowPairs, sample_points


def test_sample_points_interpolates_bilinearly_at_any_count():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, (300, 400, 3)).astype(np.uint8)
    count = 50_000  # more points than cv2.remap takes in one column (a 200x200 px hole)
    xs = rng.uniform(0, 398, count)
    ys = rng.uniform(0, 298, count)
    out = sample_points(image, xs, ys)
    x0, y0 = np.floor(xs).astype(int), np.floor(ys).astype(int)
    fx, fy = (xs - x0)[:, None], (ys - y0)[:, None]
    img = image.astype(float)
    expected = (img[y0, x0] * (1 - fx) * (1 - fy) + img[y0, x0 + 1] * fx * (1 - fy)
                + img[y0 + 1, x0] * (1 - fx) * fy + img[y0 + 1, x0 + 1] * fx * fy)
    assert out.shape == (count, 3)
    # OpenCV interpolates at 1/32 px: on white noise that is a few levels at most
    assert np.abs(out - expected).max() < 8 and np.abs(out - expected).mean() < 1


def _candidates(colours, distances):
    from vinpaint.engines.propagation import Candidates

    return Candidates(np.array(colours, np.float32), np.array(distances, np.int32))


def test_candidates_that_disagree_are_still_averaged_by_temporal_distance():
    from vinpaint.engines.propagation import fuse_candidates

    past = _candidates([[0, 0, 0], [200, 200, 200]], [1, 1])
    future = _candidates([[30, 30, 30], [20, 20, 20]], [2, 3])
    colour, found, disagreement = fuse_candidates(past, future)
    assert found.all()
    # weights 1/1 and 1/2 (first pixel), 1/1 and 1/3 (second): the nearer counts more, both count
    np.testing.assert_allclose(colour[0], [10, 10, 10], atol=1e-4)
    np.testing.assert_allclose(colour[1], [155, 155, 155], atol=1e-4)
    np.testing.assert_allclose(disagreement, [30, 180])


def test_a_single_candidate_passes_through_with_no_disagreement():
    from vinpaint.engines.propagation import fuse_candidates

    past = _candidates([[9, 8, 7], [0, 0, 0], [0, 0, 0]], [4, 0, 0])
    future = _candidates([[0, 0, 0], [1, 2, 3], [0, 0, 0]], [0, 2, 0])
    colour, found, disagreement = fuse_candidates(past, future)
    np.testing.assert_array_equal(found, [True, True, False])
    np.testing.assert_allclose(colour[:2], [[9, 8, 7], [1, 2, 3]])
    np.testing.assert_array_equal(disagreement, 0)


def test_disagreeing_regions_take_one_direction_whole_the_nearer_in_time():
    from vinpaint.engines.propagation import choose_sources, fuse_candidates

    # one row of 5 hole pixels: pixels 0-1 form one region (past nearer on average), 3-4 another
    # (future nearer), pixel 2 agrees and keeps the weighted mean
    past = _candidates([[0] * 3, [0] * 3, [100] * 3, [0] * 3, [0] * 3], [1, 3, 1, 4, 4])
    future = _candidates([[90] * 3, [90] * 3, [104] * 3, [90] * 3, [90] * 3], [2, 3, 1, 1, 2])
    colour, _, apart = fuse_candidates(past, future)
    ys, xs = np.zeros(5, int), np.array([0, 1, 2, 3, 4])
    choose_sources(colour, apart, past, future, ys, xs, (1, 5), threshold=16)
    np.testing.assert_allclose(colour[:, 0], [0, 0, 102, 90, 90])


def test_pixels_are_grouped_by_their_source_frame_and_unsourced_ones_left_out():
    from vinpaint.engines.propagation import _by_source

    src = np.array([3, -1, 0, 3, 0, 7, -1, 3], np.int32)
    groups = {source: indices.tolist() for source, indices in _by_source(src)}
    assert groups == {0: [2, 4], 3: [0, 3, 7], 7: [5]}


def test_the_consistency_is_the_same_on_one_thread_and_several():
    rng = np.random.default_rng(0)
    forward = rng.normal(0, 2, (5, 24, 32, 2)).astype(np.float32)
    backward = -forward + rng.normal(0, 0.5, forward.shape).astype(np.float32)
    one, several = (FlowPairs.from_flows(forward, backward, threads=threads) for threads in (1, 3))
    np.testing.assert_array_equal(one.forward_ok, several.forward_ok)
    np.testing.assert_array_equal(one.backward_ok, several.backward_ok)
    assert not one.forward_ok.all() and one.forward_ok.any()
