"""A plugin's tests see it registered, whether or not its distribution is installed."""

from __future__ import annotations

from types import ModuleType

from .._discovery import get_manager
from .._registry import get_registry

__all__ = ["registered"]


def registered(plugin: object, *, name: str, distribution: str | None = None) -> ModuleType:
    """`dnallm_zoo` with `plugin` registered as `name`: by its entry point when installed, else in-process."""
    import dnallm_zoo

    manager = get_manager()
    if manager.pm.get_plugin(name) is None:
        manager.register(plugin, name=name, distribution=distribution)
        get_registry(refresh=True)
    return dnallm_zoo
