"""The one options table: RemoveOptions, EncodeOptions, the CLI, the studio form and config files agree with it."""

from __future__ import annotations

import click
import pytest

from vinpaint.cli.remove import remove as remove_command
from vinpaint.engines import ENGINES
from vinpaint.errors import InputNotFoundError, InvalidOptionError, VinpaintError
from vinpaint.io import EncodeOptions
from vinpaint.options import (
    ENCODE_OPTIONS,
    PRESETS,
    REMOVE_OPTIONS,
    engine_option_specs,
    form_schema,
    load_config,
    parse_value,
    spec_named,
    validate,
)
from vinpaint.pipeline import RemoveOptions, options_from_preset

TABLE = [(spec, RemoveOptions) for spec in REMOVE_OPTIONS] + [(spec, EncodeOptions) for spec in ENCODE_OPTIONS]


def _click_param(name: str) -> click.Parameter:
    return next(param for param in remove_command.params if param.name == name)


@pytest.mark.parametrize(("spec", "owner"), TABLE, ids=[spec.name for spec, _ in TABLE])
def test_dataclass_default_is_the_tables(spec, owner):
    assert getattr(owner(), spec.name) == spec.default
    assert type(getattr(owner(), spec.name)) is spec.type


@pytest.mark.parametrize(("spec", "owner"), TABLE, ids=[spec.name for spec, _ in TABLE])
def test_remove_command_flag_comes_from_the_table(spec, owner):
    param = _click_param(spec.name)
    assert param.opts == [spec.cli_flag]
    assert param.default == spec.default
    if spec.type is bool:
        assert param.is_flag
    elif spec.choices is not None:
        assert list(param.type.choices) == spec.choice_names()
    elif spec.type in (int, float):
        assert (param.type.min, param.type.max) == (spec.minimum, spec.maximum)
    else:
        assert param.type.name == "text"


@pytest.mark.parametrize(("spec", "owner"), TABLE, ids=[spec.name for spec, _ in TABLE])
def test_form_schema_entry_is_the_tables(spec, owner):
    section = "remove" if owner is RemoveOptions else "encode"
    entry = next(item for item in form_schema()[section] if item["name"] == spec.name)
    assert (entry["default"], entry["minimum"], entry["maximum"], entry["choices"]) == (
        spec.default, spec.minimum, spec.maximum, spec.choice_names())


def test_every_simple_remove_field_is_in_the_table():
    structured = {"frame_range", "engine_options", "references"}
    assert set(RemoveOptions.__dataclass_fields__) - structured == {spec.name for spec in REMOVE_OPTIONS}


BOUNDED = [(spec, owner) for spec, owner in TABLE if spec.maximum is not None or spec.choices is not None]


@pytest.mark.parametrize(("spec", "owner"), BOUNDED, ids=[spec.name for spec, _ in BOUNDED])
def test_out_of_range_value_names_the_flag(spec, owner):
    bad = "no-such-choice" if spec.choices is not None else spec.maximum + 1
    # an unknown engine is the registry's UnknownPluginError, which names it the registry's way
    with pytest.raises(VinpaintError, match=spec.cli_flag if spec.name != "engine" else "unknown engine"):
        owner(**{spec.name: bad})


def test_range_error_says_the_range():
    with pytest.raises(InvalidOptionError, match=r"--dilate must be in 0-200, got 300"):
        RemoveOptions(dilate=300)


@pytest.mark.parametrize(("text", "expected"), [("4", 4), ("0.5", 0.5), ("true", True), ("False", False),
                                                ("telea", "telea"), (" 7 ", 7)])
def test_parse_value_guesses_the_type_without_a_spec(text, expected):
    value = parse_value(None, text)
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize(("name", "text", "expected"), [("dilate", "6", 6), ("feather", "2", 2.0),
                                                        ("allow_full_mask", "yes", True), ("allow_full_mask", "0", False),
                                                        ("blend", "poisson", "poisson")])
def test_parse_value_reads_the_specs_type(name, text, expected):
    value = parse_value(spec_named(name, REMOVE_OPTIONS), text)
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize(("name", "text"), [("dilate", "many"), ("dilate", "2.5"), ("dilate", "-1"), ("blend", "multiply"),
                                            ("allow_full_mask", "maybe")])
def test_parse_value_rejects_bad_text(name, text):
    with pytest.raises(InvalidOptionError):
        parse_value(spec_named(name, REMOVE_OPTIONS), text)


def test_validate_refuses_a_bool_for_an_int():
    with pytest.raises(InvalidOptionError, match="--dilate must be an int"):
        validate(spec_named("dilate", REMOVE_OPTIONS), True)


@pytest.mark.parametrize("engine", ENGINES.names())
@pytest.mark.parametrize("preset", list(PRESETS))
def test_every_preset_has_valid_settings_for_every_engine(preset, engine):
    assert engine in PRESETS[preset]
    options = options_from_preset(preset, engine=engine)
    assert options.engine == engine
    assert options.engine_options == PRESETS[preset][engine]


@pytest.mark.parametrize("engine", ENGINES.names())
def test_fast_preset_changes_every_engine(engine):
    assert PRESETS["fast"][engine], f"the fast preset means nothing for {engine}"


def test_explicit_engine_options_override_the_presets():
    options = options_from_preset("fast", engine="propagate", engine_options={"fill": "ns"})
    assert options.engine_options["fill"] == "ns"
    assert options.engine_options["flow"] == PRESETS["fast"]["propagate"]["flow"]


@pytest.mark.parametrize("engine", ENGINES.names())
def test_engine_option_specs_follow_the_signature(engine):
    from vinpaint.engines import engine_parameters

    specs = engine_option_specs(engine)
    assert [spec.name for spec in specs] == list(engine_parameters(engine))
    assert [spec.default for spec in specs] == [p.default for p in engine_parameters(engine).values()]


def test_engine_option_text_is_checked_against_the_engine():
    with pytest.raises(InvalidOptionError, match="max_keyframes"):
        RemoveOptions(engine="propagate", engine_options={"max_keyframes": "many"})
    with pytest.raises(InvalidOptionError, match="fill"):
        RemoveOptions(engine="propagate", engine_options={"fill": "nope"})


def test_form_schema_lists_engines_and_presets():
    schema = form_schema()
    assert [engine["name"] for engine in schema["engines"]] == ENGINES.names()
    assert schema["presets"] == PRESETS
    assert schema["default_preset"] in PRESETS


# config files


def test_config_sections_and_flat_keys(tmp_path):
    path = tmp_path / "vinpaint.toml"
    path.write_text('preset = "fast"\nfeather = 1.5\n[remove]\ndilate = 6\n[encode]\ncrf = 20\n'
                    '[engine_options]\nmax_keyframes = 8\n')
    config = load_config(path)
    assert config == {"preset": "fast", "remove": {"dilate": 6, "feather": 1.5}, "encode": {"crf": 20},
                      "engine_options": {"max_keyframes": 8}}


def test_config_unknown_key_names_the_valid_ones(tmp_path):
    path = tmp_path / "vinpaint.toml"
    path.write_text("[remove]\ndilation = 6\n")
    with pytest.raises(InvalidOptionError, match=r"'dilation'.*valid keys: engine, dilate"):
        load_config(path)


def test_config_value_out_of_range_names_the_file_and_the_flag(tmp_path):
    path = tmp_path / "vinpaint.toml"
    path.write_text("crf = 60\n")
    with pytest.raises(InvalidOptionError, match=r"vinpaint\.toml: --crf must be in 0-51"):
        load_config(path)


def test_config_missing_file(tmp_path):
    with pytest.raises(InputNotFoundError):
        load_config(tmp_path / "none.toml")


def test_cli_flags_override_the_config_file(tmp_path, monkeypatch):
    from click.testing import CliRunner

    import vinpaint.cli.remove as remove_module

    seen = {}

    def fake_remove_file(input_path, mask_path, output_path, options, *, encode, **_):
        seen.update(options=options, encode=encode)
        return output_path

    monkeypatch.setattr(remove_module, "remove_file", fake_remove_file)
    config = tmp_path / "vinpaint.toml"
    config.write_text('preset = "fast"\n[remove]\ndilate = 6\nfeather = 1.5\n[encode]\ncrf = 20\n'
                      '[engine_options]\nmax_keyframes = 8\n')
    result = CliRunner().invoke(remove_command, ["in.mp4", "-m", "masks", "-o", "out.mp4", "--config", str(config),
                                                 "--dilate", "2", "--option", "max_keyframes=3", "-q"])
    assert result.exit_code == 0, result.output
    options, encode = seen["options"], seen["encode"]
    assert (options.dilate, options.feather, encode.crf) == (2, 1.5, 20)
    assert options.engine_options["max_keyframes"] == 3
    assert options.engine_options["flow"] == PRESETS["fast"]["propagate"]["flow"]


def test_cli_without_config_uses_the_table_defaults(monkeypatch):
    from click.testing import CliRunner

    import vinpaint.cli.remove as remove_module

    seen = {}
    monkeypatch.setattr(remove_module, "remove_file",
                        lambda *args, encode, **_: seen.update(options=args[3], encode=encode) or args[2])
    result = CliRunner().invoke(remove_command, ["in.mp4", "-m", "masks", "-o", "out.mp4", "-q"])
    assert result.exit_code == 0, result.output
    assert seen["options"] == RemoveOptions()
    assert seen["encode"] == EncodeOptions()


# the studio's form


def test_studio_form_defaults_are_the_tables():
    pytest.importorskip("fastapi")
    from vinpaint.studio.app import FillOptions

    form = FillOptions()
    for name in ("engine", "dilate", "feather", "blend"):
        assert getattr(form, name) == spec_named(name, REMOVE_OPTIONS).default
    assert form.crf == spec_named("crf", ENCODE_OPTIONS).default


def test_studio_form_options_apply_the_preset_then_the_page():
    pytest.importorskip("fastapi")
    from vinpaint.studio.app import FillOptions, remove_options

    options = remove_options(FillOptions(preset="fast", engine_options={"fill": "ns", "max_keyframes": "3"}))
    assert options == options_from_preset("fast", engine_options={"fill": "ns", "max_keyframes": 3})


def test_studio_serves_the_form_schema(tmp_path):
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from vinpaint.studio.app import create_app

    with TestClient(create_app(work_dir=tmp_path / "work"), base_url="http://127.0.0.1") as client:
        answer = client.get("/api/options").json()
    assert answer["form"] == form_schema()
    assert answer["presets"] == list(PRESETS)


def test_the_forms_help_texts_hold_no_docstring_markup():
    from vinpaint.options import form_schema

    schema = form_schema()
    texts = [spec["help"] for engine in schema["engines"] for spec in engine["options"]]
    texts += [spec["help"] for spec in schema["remove"] + schema["encode"]]
    assert texts and not [text for text in texts if "`" in text or ":data:" in text or ":func:" in text]
