"""Module attributes imported on first use, so that importing a package stays cheap (no torch)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any

__all__ = ["lazy_getattr"]


def lazy_getattr(package: str, names: Mapping[str, str | None]) -> Callable[[str], Any]:
    """A module `__getattr__` importing `names[attr]` (relative to `package`) on first access.

    A name mapped to None is a subpackage of `package`: the subpackage itself is the attribute.
    """
    namespace = import_module(package).__dict__

    def __getattr__(name: str) -> Any:
        if name in names:
            target = names[name]
            value = import_module(f".{name}", package) if target is None else \
                getattr(import_module(target, package), name)
            namespace[name] = value
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
