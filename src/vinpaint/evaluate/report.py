"""Measuring a result for people and programs: JSON-safe values and the no-truth report of a fill."""

from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np

from ..errors import VinpaintError
from .metrics import evaluate

log = logging.getLogger(__name__)


def json_safe(value: Any) -> Any:
    """``value`` with every part strict JSON accepts.

    Dict keys become strings, tuples lists, NumPy scalars Python's; an infinite float becomes the
    string ``"inf"`` or ``"-inf"`` and NaN becomes None (JSON has neither).
    """
    if isinstance(value, dict):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else ("inf" if value > 0 else "-inf")
    return value


def measure_result(
    original: np.ndarray | None,
    result: np.ndarray,
    masks: np.ndarray,
    *,
    dilate: int = 0,
    flow: str = "dis",
) -> dict:
    """The no-truth metrics of a fill (:func:`vinpaint.evaluate.metrics.evaluate`) as a JSON-safe dict.

    Shape:
        original, result: ``(T,H,W,3)`` uint8 RGB.  masks: ``(T,H,W)`` bool, True = fill.

    Args:
        original: the frames that were filled, for ``changed_outside``; None where the result was
            re-encoded (an H.264 result differs from its source outside the hole by compression alone).
        dilate: the ``dilate`` the fill used, so the measured hole is the filled one.
        flow: flow estimator of the warping error.

    Returns:
        :meth:`EvalReport.to_dict` through :func:`json_safe`; where the clip cannot be measured (a
        :class:`~vinpaint.errors.VinpaintError`, e.g. a result of one frame for the temporal
        metrics), ``{"error": message}`` instead, and the failure is logged: the fill itself stands.
    """
    try:
        report = evaluate(result, masks, original=original, dilate=dilate, flow=flow)
    except VinpaintError as error:
        log.warning("metrics failed: %s", error)
        return {"error": str(error)}
    return json_safe(report.to_dict())
