"""Evaluation: quality metrics of a result, with or without the truth.
"""

from __future__ import annotations
