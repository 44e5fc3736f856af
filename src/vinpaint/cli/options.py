"""Option parsers shared by the commands."""

from __future__ import annotations

import click

from ..pipeline import parse_option_value


class FrameRange(click.ParamType):
    """``FIRST-LAST`` (inclusive, 0-based) or a single ``N``."""

    name = "FIRST-LAST"

    def convert(self, value, param, ctx):
        if isinstance(value, tuple):
            return value
        try:
            first, _, last = str(value).partition("-")
            first_i = int(first)
            last_i = int(last) if last else first_i
        except ValueError:
            self.fail(f"{value!r} is not a frame range like 15-25", param, ctx)
        if first_i < 0 or last_i < first_i:
            self.fail(f"{value!r}: need 0 <= FIRST <= LAST", param, ctx)
        return first_i, last_i


class IdList(click.ParamType):
    """Comma-separated non-negative integers: ``1,3``."""

    name = "IDS"

    def convert(self, value, param, ctx):
        if isinstance(value, list):
            return value
        try:
            ids = [int(part) for part in str(value).split(",") if part.strip()]
        except ValueError:
            self.fail(f"{value!r} is not a comma-separated list of ids like 1,3", param, ctx)
        if not ids or min(ids) < 0:
            self.fail(f"{value!r}: ids must be non-negative integers", param, ctx)
        return ids


def parse_engine_options(pairs: tuple[str, ...]) -> dict:
    """``("fill=telea", "max_keyframes=4")`` -> ``{"fill": "telea", "max_keyframes": 4}``."""
    options = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{pair!r} is not KEY=VALUE", param_hint="--option")
        options[key.strip().replace("-", "_")] = parse_option_value(raw.strip())
    return options


def together(*decorators):
    """Several click decorators applied as one (in the order written)."""

    def apply(function):
        for decorator in reversed(decorators):
            function = decorator(function)
        return function

    return apply


#: Options of the watermark detector, shared by ``vinpaint mask watermark`` and ``vinpaint watermark``.
watermark_detection_options = together(
    click.option("--samples", default=48, show_default=True, type=click.IntRange(3, 10000),
                 help="Frames spread over the clip that are compared."),
    click.option("--sensitivity", default=8.0, show_default=True, type=click.FloatRange(min=0.1),
                 help="Edges must exceed this many robust standard deviations of the background "
                      "(lower = finds fainter overlays, and more false ones)."),
)

#: Options of the damage detector, shared by ``vinpaint mask damage`` and ``vinpaint restore``.
damage_detection_options = together(
    click.option("--radius", default=2, show_default=True, type=click.IntRange(1, 10),
                 help="Neighbouring frames on each side each frame is compared with."),
    click.option("--threshold", default=40.0, show_default=True, type=click.FloatRange(min=1),
                 help="Least difference (grey levels) from the aligned neighbours that counts as damage."),
)
