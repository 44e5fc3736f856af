"""The one table of options: name, type, default, valid range or choices, help.

:class:`~vinpaint.pipeline.RemoveOptions` and :class:`~vinpaint.io.EncodeOptions` take their
defaults from it and validate through it; the CLI's flags (:func:`vinpaint.cli.options.click_options`),
the studio's form (:func:`form_schema`) and config files (:func:`load_config`) are made from it.
A default, range or list of choices is written here and nowhere else.

Engine options are not typed here: they are read from each engine's signature
(:func:`engine_option_specs`), so an engine declares its options once, where it is defined.

This module imports only :mod:`vinpaint.errors` when loaded; registries (engines, fillers, flow
estimators, blend modes) are looked up by name when their choices are asked for, so any layer can
import it without a cycle.
"""

from __future__ import annotations

import importlib
import inspect
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import InputNotFoundError, InvalidOptionError
from .wording import count_of

_TRUE = ("true", "yes", "on", "1")
_FALSE = ("false", "no", "off", "0")


def _names_of(module: str, attribute: str) -> Callable[[], list[str]]:
    """Choices read when asked for: a registry's names, or a tuple, at ``module.attribute``."""

    def names() -> list[str]:
        found = getattr(importlib.import_module(module), attribute)
        return found.names() if hasattr(found, "names") else list(found)

    names.__qualname__ = f"names of {module}.{attribute}"
    return names


@dataclass(frozen=True)
class OptionSpec:
    """One option: how it is named, typed, bounded and explained.

    Attributes:
        name: the keyword (``dilate``), also the config file's key and the form field's name.
        type: ``int``, ``float``, ``str`` or ``bool``.
        default: the value when nothing is given.
        help: one line, shown by ``--help``, the studio's form and in error messages' context.
        minimum, maximum: inclusive bounds of a number (None: unbounded).
        choices: the valid values of a ``str`` option: a tuple, or a callable returning a
            registry's names (called when needed, so registries load lazily).
        flag: the CLI flag; None derives it from the name (``allow_full_mask`` -> ``--allow-full-mask``).
        prefixes: prefixes (``"onnx:"``) of values accepted besides the choices: names a registry
            makes a plug-in from (``onnx:model.onnx``), checked when the plug-in is made.
    """

    name: str
    type: type
    default: Any
    help: str
    minimum: float | None = None
    maximum: float | None = None
    choices: Callable[[], Sequence[str]] | tuple[str, ...] | None = None
    flag: str | None = None
    prefixes: tuple[str, ...] = ()

    @property
    def cli_flag(self) -> str:
        return self.flag or "--" + self.name.replace("_", "-")

    def choice_names(self) -> list[str] | None:
        """The valid values, or None if any value of the type is valid."""
        if self.choices is None:
            return None
        return list(self.choices() if callable(self.choices) else self.choices)

    def range_text(self) -> str:
        """``"0-200"``, ``">= 1"``, ``"<= 5"`` or ``""``."""
        if self.minimum is not None and self.maximum is not None:
            return f"{_number(self.minimum)}-{_number(self.maximum)}"
        if self.minimum is not None:
            return f">= {_number(self.minimum)}"
        if self.maximum is not None:
            return f"<= {_number(self.maximum)}"
        return ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe description (for the studio's form)."""
        return {"name": self.name, "type": self.type.__name__, "default": self.default, "help": self.help,
                "minimum": self.minimum, "maximum": self.maximum, "choices": self.choice_names(),
                "flag": self.cli_flag}


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


#: Options of :class:`vinpaint.pipeline.RemoveOptions` (``frame_range``, ``engine_options`` and ``references`` are
#: structured values, not table entries).
REMOVE_OPTIONS: tuple[OptionSpec, ...] = (
    OptionSpec("engine", str, "propagate", "Inpainting engine.", choices=_names_of("vinpaint.engines", "ENGINES")),
    OptionSpec("dilate", int, 4, "Grow the mask by PX pixels before filling (covers halos and blur).",
               minimum=0, maximum=200),
    OptionSpec("fringe", int, 0, "Grow the mask over up to PX pixels past its edge that still hold the object's "
               "colour (hair, motion blur, soft edges), before --dilate; 0 = off.", minimum=0, maximum=50),
    OptionSpec("shadows", bool, False, "Also lift the object's cast shadow: ground around it that is darker than other "
               "frames show it, with the same colour, is lit again (the default engine: two passes, 2-3x the time)."),
    OptionSpec("feather", float, 0.0, "Soften the composite edge over PX pixels, inside the mask.",
               minimum=0, maximum=200),
    OptionSpec("blend", str, "none", "poisson: gradient-domain blending at the hole boundary.",
               choices=_names_of("vinpaint.composite", "BLEND_MODES")),
    OptionSpec("window", int, 40, "Frames produced per temporal window.", minimum=1, maximum=10000),
    OptionSpec("context", int, 8, "Frames of overlap kept before and read after each window.", minimum=0, maximum=1000),
    OptionSpec("allow_full_mask", bool, False,
               "Where every pixel of the frames within reach is masked, fill with neutral grey instead of stopping "
               "with an error (there is nothing to copy from)."),
    OptionSpec("background_frames", int, 0,
               "Keep N reference frames of the whole clip (read twice; 24 measured) as sources for what no "
               "frame within the window shows, aligned to the frame; 0 = off.", minimum=0, maximum=200),
    OptionSpec("shots", str, "auto",
               "Shot cuts, never filled across: auto (detect them), none, or a text file of cut frames "
               "(0-based first frame of each new shot)."),
)

#: Options of :class:`vinpaint.io.EncodeOptions` a user sets.
ENCODE_OPTIONS: tuple[OptionSpec, ...] = (
    OptionSpec("crf", int, 18, "H.264 quality (lower = better; 18 is visually lossless).", minimum=0, maximum=51),
    OptionSpec("lossless", bool, False, "Lossless output (FFV1 in .mkv, RGB H.264 in .mp4, lossless VP9 in .webm)."),
)

#: Named settings per engine, from fastest to best: ``PRESETS[preset][engine]`` are engine options.
#: Figures behind the propagate engine's are in the README's benchmark tables.
PRESETS: dict[str, dict[str, dict[str, Any]]] = {
    "fast": {
        # DIS fast at half size, 4 keyframes, no robust-flow pass, no gradient-domain blend.  PatchMatch, not
        # Telea, fills what no frame shows: Telea left an object-shaped smear where a large object stood
        # (the bear), for 18 % less time on the quick paste cases
        "propagate": {"flow": "dis-fast", "flow_scale": 0.5, "max_keyframes": 4, "seamless": False,
                      "refine_passes": 0},
        "perframe": {"fill": "telea", "flow": "dis-fast"},
        "live": {"flow_scale": 0.25},
    },
    "default": {"propagate": {}, "perframe": {}, "live": {}},
    "quality": {
        # two robust-flow passes, averaged, on DIS's medium preset at up to 960 pixels wide
        "propagate": {"refine_passes": 2, "average_passes": True, "flow": "dis", "flow_max_width": 960},
        "perframe": {},  # the baseline: no setting of it was measured to be better than its default
        "live": {"flow": "dis"},
    },
    # causal, no look-ahead (streams, webcams): selects the live engine (PRESET_ENGINES); docs/live.md
    "live": {"live": {}, "propagate": {}, "perframe": {"fill": "telea"}},
}

#: The engine a preset selects when none is named (the others keep REMOVE_OPTIONS' default engine).
PRESET_ENGINES: dict[str, str] = {"live": "live"}

#: The preset used when none is named.
DEFAULT_PRESET = "default"

#: the long side, in pixels, at which masks are tracked by default (:mod:`vinpaint.masks.track`): larger
#: clips are tracked downscaled (854x480 at 480x270) and their soft masks upsampled
TRACK_WORK_SIZE = 480
#: how far the object may reach from a positive click by default (:mod:`vinpaint.masks.click`), as a
#: fraction of the frame's smaller side
CLICK_RADIUS_FRACTION = 0.12


def spec_named(name: str, table: Iterable[OptionSpec]) -> OptionSpec:
    """The entry of ``table`` called ``name``; :class:`InvalidOptionError` listing the valid names otherwise."""
    table = tuple(table)
    for spec in table:
        if spec.name == name:
            return spec
    raise InvalidOptionError(f"unknown option {name!r}; valid options: {', '.join(spec.name for spec in table)}")


def defaults(table: Iterable[OptionSpec]) -> dict[str, Any]:
    """``{name: default}`` of a table."""
    return {spec.name: spec.default for spec in table}


def parse_value(spec: OptionSpec | None, text: str) -> Any:
    """The one text-to-value parser (CLI ``--option KEY=VALUE``, benchmark variants, form fields).

    With a ``spec``, ``text`` is read as its type (``bool``: true/false, yes/no, on/off, 1/0) and
    validated (:func:`validate`).  Without one, the type is guessed: an int, else a float, else
    true/false, else the text itself.
    """
    text = str(text).strip()
    if spec is None:
        for cast in (int, float):
            try:
                return cast(text)
            except ValueError:
                pass
        if text.lower() in ("true", "false"):
            return text.lower() == "true"
        return text
    return validate(spec, _cast(spec, text))


def _cast(spec: OptionSpec, value: Any) -> Any:
    """``value`` (text or a value from JSON/TOML) as ``spec.type``; :class:`InvalidOptionError` if it is not one."""
    wanted = spec.type.__name__
    if spec.type is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, (str, int)) and str(value).strip().lower() in _TRUE + _FALSE:
            return str(value).strip().lower() in _TRUE
    elif spec.type is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                pass
    elif spec.type is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value.strip())
            except ValueError:
                pass
    elif spec.type is str and isinstance(value, str):
        return value
    raise InvalidOptionError(f"{spec.cli_flag} must be {'an' if wanted == 'int' else 'a'} {wanted}, got {value!r}")


def validate(spec: OptionSpec, value: Any) -> Any:
    """``value`` if it is of ``spec``'s type, range and choices; :class:`InvalidOptionError` naming the flag otherwise.

    Text is read as the type (``"4"``, ``"yes"``), and numbers of the other numeric kind are
    accepted where exact (``4.0`` for an int, ``4`` for a float); the value is returned as ``spec.type``.
    """
    value = _cast(spec, value)
    low, high = spec.minimum, spec.maximum
    if (low is not None and value < low) or (high is not None and value > high):
        raise InvalidOptionError(f"{spec.cli_flag} must be in {spec.range_text()}, got {value}")
    names = spec.choice_names()
    prefixed = any(value.startswith(prefix) and len(value) > len(prefix) for prefix in spec.prefixes)
    if names is not None and value not in names and not prefixed:
        extra = "".join(f", {prefix}..." for prefix in spec.prefixes)
        raise InvalidOptionError(f"{spec.cli_flag} must be one of: {', '.join(names)}{extra}; got {value!r}")
    return value


def validate_all(values: Mapping[str, Any], table: Iterable[OptionSpec]) -> dict[str, Any]:
    """Every entry of ``values`` validated against ``table``; unknown names are an error listing the valid ones."""
    table = tuple(table)
    return {name: validate(spec_named(name, table), value) for name, value in values.items()}


# engine options, read from the engines' signatures

#: Engine options that have a flag of their own on ``vinpaint remove`` (every built-in engine takes
#: them); the others are given as ``--option KEY=VALUE``.
_ENGINE_FLAGS = ("fill", "flow")


def engine_option_specs(engine: str) -> tuple[OptionSpec, ...]:
    """The user-settable options of ``engine``, read from its signature and docstring.

    Type and default come from the keyword's default; the help is the first line of its entry in
    the docstring's ``Args:``; ``fill`` and ``flow`` take their choices from their registries.
    Ranges an engine checks itself (``temporal_smoothing`` in [0, 1)) are not repeated here.
    """
    from .engines import ENGINES, engine_parameters
    from .fill import SPATIAL_FILLERS
    from .flow import FLOW_ESTIMATORS

    doc = inspect.getdoc(ENGINES.get(engine)) or ""
    choices = {"fill": _names_of("vinpaint.fill", "SPATIAL_FILLERS"), "flow": _names_of("vinpaint.flow", "FLOW_ESTIMATORS")}
    prefixes = {"fill": tuple(f"{prefix}:" for prefix in SPATIAL_FILLERS.prefixes()),
                "flow": tuple(f"{prefix}:" for prefix in FLOW_ESTIMATORS.prefixes())}
    specs = []
    for name, parameter in engine_parameters(engine).items():
        default = None if parameter.default is inspect.Parameter.empty else parameter.default
        found = re.search(rf"^\s*{re.escape(name)}: (.+)$", doc, flags=re.MULTILINE)
        specs.append(OptionSpec(name, type(default) if default is not None else str, default,
                                plain_text(found.group(1).strip()) if found else "", choices=choices.get(name),
                                flag=None if name in _ENGINE_FLAGS else f"--option {name}",
                                prefixes=prefixes.get(name, ())))
    return tuple(specs)


def plain_text(text: str) -> str:
    """A docstring line as a user reads it: ``:role:`~a.b.C``` as ``C`` (``a.b.C`` without the tilde),
    ````code```` as ``code``."""
    text = re.sub(r":\w+:`~([^`]+)`", lambda match: match.group(1).split(".")[-1], text)
    text = re.sub(r":\w+:`([^`]+)`", r"\1", text)
    return text.replace("``", "")


def validate_engine_options(engine: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` cast to and checked against ``engine``'s options (text is parsed, as from a form)."""
    specs = engine_option_specs(engine)
    valid = {spec.name for spec in specs}
    unknown = sorted(set(values) - valid)
    if unknown:
        raise InvalidOptionError(f"engine {engine!r} has no option(s) {', '.join(unknown)}; "
                                 f"its options: {', '.join(sorted(valid))}")
    return {name: validate(spec_named(name, specs), value) for name, value in values.items()}


def preset_engine_options(preset: str, engine: str) -> dict[str, Any]:
    """The engine options preset ``preset`` gives ``engine`` (a copy); :class:`InvalidOptionError` for an unknown preset."""
    if preset not in PRESETS:
        raise InvalidOptionError(f"unknown preset {preset!r}; choose one of: {', '.join(PRESETS)}")
    return dict(PRESETS[preset].get(engine, {}))


# config files

#: Sections of a config file and the table behind each.
CONFIG_SECTIONS = ("remove", "encode", "engine_options")


def load_config(path: str | Path) -> dict[str, dict[str, Any]]:
    """Read a TOML config file into ``{"remove": {...}, "encode": {...}, "engine_options": {...}, "preset": ...}``.

    Keys are the table's names (``dilate = 6``, ``crf = 20``), either in ``[remove]``/``[encode]``
    sections or at the top level; ``preset`` may be given in either place; engine options go in
    ``[engine_options]`` (checked against the engine when the options are built).  Every value is
    validated; an unknown key is an error naming the valid ones.

    Example::

        preset = "fast"
        [remove]
        dilate = 6
        [encode]
        crf = 20
        [engine_options]
        max_keyframes = 8
    """
    import tomllib

    path = Path(path)
    if not path.is_file():
        raise InputNotFoundError(f"config file {path} does not exist; give the path of a TOML file")
    try:
        data = tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise InvalidOptionError(f"config file {path} is not valid TOML: {error}") from None
    tables = {"remove": REMOVE_OPTIONS, "encode": ENCODE_OPTIONS}
    config: dict[str, Any] = {"remove": {}, "encode": {}, "engine_options": {}, "preset": None}
    valid = [spec.name for table in tables.values() for spec in table] + ["preset", "[engine_options]"]

    def place(key: str, value: Any, section: str | None) -> None:
        if key == "preset" and section in (None, "remove"):
            if value not in PRESETS:
                raise InvalidOptionError(f"{path}: unknown preset {value!r}; choose one of: {', '.join(PRESETS)}")
            config["preset"] = value
            return
        for name, table in tables.items():
            if section in (None, name) and any(spec.name == key for spec in table):
                try:
                    config[name][key] = validate(spec_named(key, table), value)
                except InvalidOptionError as error:
                    raise InvalidOptionError(f"{path}: {error}") from None
                return
        where = f"[{section}]" if section else "the top level"
        raise InvalidOptionError(f"{path}: unknown key {key!r} in {where}; valid keys: {', '.join(valid)}")

    for key, value in data.items():
        if key == "engine_options" and isinstance(value, dict):
            config["engine_options"].update(value)
        elif key in tables and isinstance(value, dict):
            for inner_key, inner_value in value.items():
                place(inner_key, inner_value, key)
        else:
            place(key, value, None)
    return config


# the studio's form


def form_schema() -> dict[str, Any]:
    """Everything a form needs, JSON-safe: the tables, each engine's options and the presets.

    Returns: ``{"remove": [spec...], "encode": [spec...], "engines": [{"name", "description",
    "options": [spec...]}...], "presets": {preset: {engine: {option: value}}}, "default_preset": str}``,
    each spec as :meth:`OptionSpec.to_dict`.
    """
    from .engines import ENGINES

    return {
        "remove": [spec.to_dict() for spec in REMOVE_OPTIONS],
        "encode": [spec.to_dict() for spec in ENCODE_OPTIONS],
        "engines": [{"name": name, "description": ENGINES.describe(name),
                     "options": [spec.to_dict() for spec in engine_option_specs(name)]} for name in ENGINES.names()],
        "presets": {name: {engine: dict(values) for engine, values in engines.items()} for name, engines in PRESETS.items()},
        "default_preset": DEFAULT_PRESET,
    }


__all__ = [
    "CONFIG_SECTIONS", "DEFAULT_PRESET", "ENCODE_OPTIONS", "PRESETS", "PRESET_ENGINES", "REMOVE_OPTIONS",
    "TRACK_WORK_SIZE", "OptionSpec", "defaults", "engine_option_specs", "form_schema", "load_config", "parse_value",
    "preset_engine_options", "spec_named", "validate", "validate_all", "validate_engine_options",
]


def check_frame_range(frame_range: tuple[int, int] | None, frame_count: int) -> None:
    """Raise :class:`InvalidOptionError` unless ``frame_range`` (inclusive) lies within ``frame_count`` frames."""
    if frame_range is None:
        return
    first, last = frame_range
    if last >= frame_count:
        raise InvalidOptionError(
            f"frame range {first}-{last} is outside the clip, which has {count_of(frame_count, 'frame')} "
            f"(0-{frame_count - 1}); give a range within it")
