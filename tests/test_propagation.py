import numpy as np

from vinpaint.propagation import sample_points


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
