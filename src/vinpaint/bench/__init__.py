"""Benchmark suite: cases, variants, measurements and reports.
"""

from __future__ import annotations
