"""A small plug-in registry: name -> factory, listed and looked up with helpful errors.

Readers, writers, flow estimators, spatial fillers, engines and mask sources each keep one
:class:`Registry`.  Registering is a decorator::

    FILLERS = Registry("spatial filler")

    @FILLERS.register("telea")
    def fill_telea(frame, hole, **options): ...

Tests are parametrised over ``registry.names()`` so a new plug-in is tested the day it lands.

Some plug-ins are made from their name rather than registered: ``onnx:model.onnx`` names a model
file.  A *prefix* maps ``PREFIX:REST`` to ``factory(REST)``; the factory is given as
``"module:function"`` and imported when a name with that prefix is first asked for, so a low layer's
registry can offer plug-ins that a higher layer (:mod:`vinpaint.models`) builds.  Each resolved name
is made once and kept.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from .errors import UnknownPluginError

T = TypeVar("T")


class Registry(Generic[T]):
    """Named plug-ins of one kind.

    Args:
        kind: what the plug-ins are, used in error messages ("flow estimator").
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}
        self._descriptions: dict[str, str] = {}
        self._prefixes: dict[str, str | Callable[[str], T]] = {}
        self._resolved: dict[str, T] = {}

    def register_prefix(self, prefix: str, factory: str | Callable[[str], T]) -> None:
        """Make ``PREFIX:REST`` names resolve to ``factory(REST)`` (a callable or ``"module:function"``)."""
        self._prefixes[prefix] = factory

    def prefixes(self) -> list[str]:
        """The prefixes this registry resolves (``["onnx"]``), without the colon."""
        return list(self._prefixes)

    def is_prefixed(self, name: str) -> bool:
        """Whether ``name`` is ``PREFIX:REST`` for one of :meth:`prefixes` (not whether REST is valid)."""
        prefix, sep, rest = str(name).partition(":")
        return bool(sep and rest) and prefix in self._prefixes

    def _resolve(self, name: str) -> T:
        if name not in self._resolved:
            prefix, _, rest = name.partition(":")
            factory = self._prefixes[prefix]
            if isinstance(factory, str):
                module, _, attribute = factory.partition(":")
                factory = getattr(importlib.import_module(module), attribute)
            self._resolved[name] = factory(rest)
        return self._resolved[name]

    def register(self, name: str, *, description: str = "") -> Callable[[T], T]:
        """Decorator registering ``obj`` under ``name``; a name can be registered once."""

        def decorator(obj: T) -> T:
            if name in self._items:
                raise ValueError(f"{self.kind} {name!r} is registered twice")
            self._items[name] = obj
            doc = description or (getattr(obj, "__doc__", None) or "").strip().splitlines()
            self._descriptions[name] = doc if isinstance(doc, str) else (doc[0] if doc else "")
            return obj

        return decorator

    def get(self, name: str) -> T:
        """The plug-in called ``name`` (or made from a prefixed name); :class:`UnknownPluginError` listing valid names."""
        if name not in self._items and isinstance(name, str) and self.is_prefixed(name):
            return self._resolve(name)
        try:
            return self._items[name]
        except KeyError:
            valid = ", ".join(self.names() + [f"{prefix}:..." for prefix in self._prefixes]) or "(none registered)"
            raise UnknownPluginError(f"unknown {self.kind} {name!r}; choose one of: {valid}") from None

    def names(self) -> list[str]:
        """Registered names, in registration order."""
        return list(self._items)

    def describe(self, name: str) -> str:
        """First line of the plug-in's docstring (or its registered description)."""
        found = self.get(name)
        if name not in self._descriptions:  # a prefixed name
            return ((getattr(found, "__doc__", None) or "").strip().splitlines() or [""])[0]
        return self._descriptions[name]

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)
