"""Wording shared by messages: counts with the right plural."""

from __future__ import annotations


def count_of(count: int, noun: str, plural: str | None = None) -> str:
    """``count_of(1, "frame")`` -> ``"1 frame"``, ``count_of(3, "frame")`` -> ``"3 frames"``."""
    return f"{count} {noun if count == 1 else (plural or noun + 's')}"
