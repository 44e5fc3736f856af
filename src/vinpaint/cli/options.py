"""Option parsers shared by the commands, and click options made from the options table (:mod:`vinpaint.options`)."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import InvalidOptionError
from ..options import OptionSpec, parse_value


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


def parse_engine_options(pairs: tuple[str, ...], engine: str | None = None) -> dict:
    """``("fill=telea", "max_keyframes=4")`` -> ``{"fill": "telea", "max_keyframes": 4}``.

    With ``engine``, each value is read as that engine's option (typed, checked); without, its type
    is guessed (:func:`vinpaint.options.parse_value`).
    """
    from ..options import engine_option_specs, spec_named

    specs = engine_option_specs(engine) if engine is not None else None
    options = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{pair!r} is not KEY=VALUE", param_hint="--option")
        key = key.strip().replace("-", "_")
        try:
            spec = spec_named(key, specs) if specs is not None else None
        except InvalidOptionError:
            valid = ", ".join(spec.name for spec in specs)
            raise InvalidOptionError(f"engine {engine!r} has no option {key!r}; its options: {valid}") from None
        options[key] = parse_value(spec, raw)
    return options


class PrefixedChoice(click.Choice):
    """A choice, or any value starting with one of ``prefixes`` (``onnx:model.onnx``)."""

    def __init__(self, choices, prefixes: tuple[str, ...]) -> None:
        super().__init__(choices)
        self.prefixes = tuple(prefixes)

    def get_metavar(self, param, *args, **kwargs) -> str:
        return "[" + "|".join([*self.choices, *(f"{prefix}PATH" for prefix in self.prefixes)]) + "]"

    def convert(self, value, param, ctx):
        if isinstance(value, str) and any(value.startswith(p) and len(value) > len(p) for p in self.prefixes):
            return value
        return super().convert(value, param, ctx)


def parse_references(texts) -> dict[int, Path]:
    """``("12:clean.png", ...)`` -> ``{12: Path("clean.png")}`` (``--reference FRAME:IMAGE``)."""
    references = {}
    for text in texts:
        frame, sep, path = str(text).partition(":")
        if not sep or not frame.strip().isdigit() or not path:
            raise InvalidOptionError(f"--reference {text!r} is not FRAME:IMAGE, e.g. --reference 12:clean-frame-12.png")
        references[int(frame)] = Path(path)
    return references


def click_type(spec: OptionSpec) -> click.ParamType:
    """The click type of a table entry: a Choice, an IntRange/FloatRange, or the plain type."""
    names = spec.choice_names()
    if names is not None and spec.prefixes:
        return PrefixedChoice(names, spec.prefixes)
    if names is not None:
        return click.Choice(names)
    if spec.type is int:
        return click.IntRange(spec.minimum, spec.maximum)
    if spec.type is float:
        return click.FloatRange(spec.minimum, spec.maximum)
    return click.STRING


def click_options(specs, *, defaults: dict | None = None, helps: dict | None = None, show: dict | None = None):
    """A decorator adding one click option per table entry (:data:`vinpaint.options.REMOVE_OPTIONS`...).

    Each option's flag, type, range or choices, default and help come from its :class:`OptionSpec`;
    ``bool`` entries become flags; click's help shows the default and the range.  ``defaults`` replaces some defaults (a job that grows its masks
    less); ``helps`` some help lines; ``show`` what the help shows as the default where the value
    itself is None (an option whose default the preset decides).
    """
    defaults, helps, show = defaults or {}, helps or {}, show or {}
    decorators = []
    for spec in specs:
        default = defaults.get(spec.name, spec.default)
        text = helps.get(spec.name, spec.help)
        if spec.type is bool:
            decorators.append(click.option(spec.cli_flag, spec.name, is_flag=True, default=default, help=text))
            continue
        decorators.append(click.option(spec.cli_flag, spec.name, type=click_type(spec), default=default,
                                       show_default=show.get(spec.name, True), help=text))
    return together(*decorators)


def explicit(ctx: click.Context, names) -> dict:
    """The values of ``names`` given on the command line (not defaults), so a config file can fill the rest."""
    return {name: ctx.params[name] for name in names
            if ctx.get_parameter_source(name) not in (None, click.core.ParameterSource.DEFAULT)}


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
