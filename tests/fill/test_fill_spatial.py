"""fill_spatial's max_width: a wide frame is filled at a reduced size and the fill upsampled into the hole."""

from __future__ import annotations

import numpy as np

from vinpaint.fill import SPATIAL_FILLERS, fill_spatial


def _frame_and_hole():
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 256, (60, 200, 3), dtype=np.uint8)
    hole = np.zeros((60, 200), bool)
    hole[20:41, 75:121] = True
    return frame, hole


def test_a_wide_frame_is_filled_at_max_width_and_kept_outside_the_hole(monkeypatch):
    frame, hole = _frame_and_hole()
    seen = []
    telea = SPATIAL_FILLERS.get("telea")

    def recording(image, mask, **options):
        seen.append((image.shape, int(mask.sum())))
        return telea(image, mask, **options)

    monkeypatch.setattr(SPATIAL_FILLERS, "get", lambda name: recording)
    out = fill_spatial(frame, hole, method="telea", max_width=100)
    assert [shape for shape, _ in seen] == [(30, 100, 3)]
    assert seen[0][1] >= hole.sum() // 4  # the hole grown to every small pixel it touches
    assert np.array_equal(out[~hole], frame[~hole])


def test_the_upsampled_fill_of_a_flat_frame_is_flat():
    frame, hole = _frame_and_hole()
    frame[:] = (90, 140, 200)
    out = fill_spatial(frame, hole, method="telea", max_width=100)
    assert np.abs(out.astype(int) - frame).max() <= 2  # Telea itself is off by up to 2 levels on a flat frame


def test_a_frame_no_wider_than_max_width_is_filled_at_full_size():
    frame, hole = _frame_and_hole()
    assert np.array_equal(fill_spatial(frame, hole, method="telea", max_width=200),
                          fill_spatial(frame, hole, method="telea"))
