"""Registries resolving ``PREFIX:REST`` names to plug-ins made from the name (``onnx:model.onnx``)."""

from __future__ import annotations

import pytest

from vinpaint.errors import UnknownPluginError
from vinpaint.fill import SPATIAL_FILLERS
from vinpaint.flow import FLOW_ESTIMATORS
from vinpaint.registry import Registry


def _registry() -> Registry:
    registry = Registry("widget")
    registry.register("plain")(lambda: "plain")
    made = []

    def make(rest: str):
        """A widget made from its name."""
        made.append(rest)
        return f"made from {rest}"

    registry.register_prefix("file", make)
    return registry, made


def test_prefixed_name_is_made_by_the_factory_once():
    registry, made = _registry()
    assert registry.get("file:a.bin") == "made from a.bin"
    assert registry.get("file:a.bin") == "made from a.bin"
    assert made == ["a.bin"]


def test_prefixed_names_are_not_listed_and_registered_names_still_win():
    registry, _ = _registry()
    assert registry.names() == ["plain"] and registry.prefixes() == ["file"]
    assert registry.is_prefixed("file:x") and not registry.is_prefixed("file:") and not registry.is_prefixed("other:x")


def test_unknown_name_lists_the_prefixes():
    registry, _ = _registry()
    with pytest.raises(UnknownPluginError, match=r"unknown widget 'other:x'; choose one of: plain, file:\.\.\."):
        registry.get("other:x")


def test_prefixed_name_is_described_by_what_the_factory_made():
    registry = Registry("widget")

    def make(rest: str):
        def widget():
            """Widget of a file."""

        return widget

    registry.register_prefix("file", make)
    assert registry.describe("file:x") == "Widget of a file."


@pytest.mark.parametrize("registry", [FLOW_ESTIMATORS, SPATIAL_FILLERS], ids=lambda registry: registry.kind)
def test_builtin_onnx_prefix_factories_exist(registry):
    import importlib

    target = registry._prefixes["onnx"]
    module, _, attribute = target.partition(":")
    assert callable(getattr(importlib.import_module(module), attribute))
