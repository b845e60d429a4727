"""``"module:attr"`` references: how plugins name an object without importing it (listing stays cheap)."""

from __future__ import annotations

import pkgutil
from typing import Any

__all__ = ["check_ref", "resolve_ref"]


def check_ref(ref: object, what: str = "object", attr: str = "attr") -> None:
    """TypeError if `ref` is a string but not ``"module:attr"``; an object given as itself passes."""
    if isinstance(ref, str) and (":" not in ref or not ref.partition(":")[0]):
        raise TypeError(f"{what} must be a 'module:{attr}' string or the object itself, not {ref!r}")


def resolve_ref(ref: Any) -> Any:
    """The object a ``"module:attr.sub"`` string names (imported now); anything else as it is."""
    if not isinstance(ref, str):
        return ref
    check_ref(ref)
    return pkgutil.resolve_name(ref)
