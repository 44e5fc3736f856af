"""json_safe and measure_result: JSON-safe values and the no-truth report of a fill."""

from __future__ import annotations

import json
import math

import numpy as np

from vinpaint.evaluate.metrics import evaluate
from vinpaint.evaluate.report import json_safe, measure_result
from vinpaint.testing.synthetic import make_panning_clip


def test_json_safe_turns_infinities_nan_and_numpy_scalars_into_json():
    value = {1: [math.inf, -math.inf, math.nan, np.float32(0.5), np.int64(3), np.bool_(True)], "t": (1, "a")}
    assert json_safe(value) == {"1": ["inf", "-inf", None, 0.5, 3, True], "t": [1, "a"]}
    json.dumps(json_safe(value), allow_nan=False)  # strict JSON accepts it


def test_measure_result_is_the_evaluate_report_made_json_safe():
    clip = make_panning_clip(frames=6, height=32, width=48)
    report = measure_result(clip.frames, clip.frames, clip.masks, dilate=2)
    expected = evaluate(clip.frames, clip.masks, original=clip.frames, dilate=2).to_dict()
    assert report["frames"] == 6 and report["changed_outside"] == 0
    assert report == json_safe(expected)
    json.dumps(report, allow_nan=False)


def test_measure_result_reports_an_error_instead_of_raising():
    clip = make_panning_clip(frames=4, height=32, width=48)
    report = measure_result(None, clip.frames, clip.masks[:, :16], dilate=0)  # masks of another size
    assert set(report) == {"error"} and "16" in report["error"]
