"""A small plug-in registry: name -> factory, listed and looked up with helpful errors.

Readers, writers, flow estimators, spatial fillers, engines and mask sources each keep one
:class:`Registry`.  Registering is a decorator::

    FILLERS = Registry("spatial filler")

    @FILLERS.register("telea")
    def fill_telea(frame, hole, **options): ...

Tests are parametrised over ``registry.names()`` so a new plug-in is tested the day it lands.
"""

from __future__ import annotations

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
        """The plug-in called ``name``; raises :class:`UnknownPluginError` listing valid names."""
        try:
            return self._items[name]
        except KeyError:
            valid = ", ".join(self.names()) or "(none registered)"
            raise UnknownPluginError(f"unknown {self.kind} {name!r}; choose one of: {valid}") from None

    def names(self) -> list[str]:
        """Registered names, in registration order."""
        return list(self._items)

    def describe(self, name: str) -> str:
        """First line of the plug-in's docstring (or its registered description)."""
        self.get(name)
        return self._descriptions[name]

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)
