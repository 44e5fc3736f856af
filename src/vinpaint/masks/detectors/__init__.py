"""Detectors that find what to remove: faces, plates, text, watermarks, damage.
"""

from __future__ import annotations
