"""Synthetic clips with a known answer, and the demo built on them.
"""

from __future__ import annotations
