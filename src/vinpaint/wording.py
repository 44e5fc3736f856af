"""Wording shared by messages: counts with the right plural, lists of names cut short."""

from __future__ import annotations


def count_of(count: int, noun: str, plural: str | None = None) -> str:
    """``count_of(1, "frame")`` -> ``"1 frame"``, ``count_of(3, "frame")`` -> ``"3 frames"``."""
    return f"{count} {noun if count == 1 else (plural or noun + 's')}"


def first_names(names: list[str], limit: int = 3) -> str:
    """``first_names(["a", "b", "c", "d", "e"])`` -> ``"a, b, c and 2 more"``: the first ``limit`` names."""
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")
