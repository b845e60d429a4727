"""Plugin discovery: entry points of group ``dnallm_zoo``, each loaded and called in isolation."""

from __future__ import annotations

import os
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import pluggy

from . import _core_plugin, _hooks
from .errors import PluginLoadError, ZooError

__all__ = [
    "ENTRY_POINT_GROUP",
    "PluginInfo",
    "call_each",
    "get_manager",
    "reset_manager",
]

ENTRY_POINT_GROUP = "dnallm_zoo"
CORE_PLUGIN = "dnallm_zoo.core"


@dataclass
class PluginInfo:
    """What is known of one plugin: where it came from, what it registered, how it failed."""

    name: str
    distribution: str | None = None
    version: str | None = None
    module: str | None = None
    models: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    tracebacks: list[str] = field(default_factory=list)
    blocked: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors and not self.blocked

    def fail(self, what: str, exc: BaseException) -> None:
        """Record a failure of this plugin."""
        self.errors.append(f"{what}: {type(exc).__name__}: {exc}")
        self.tracebacks.append("".join(traceback.format_exception(exc)))


def _env_list(name: str) -> list[str] | None:
    raw = os.environ.get(name)
    if raw is None:
        return None
    return [p.strip() for p in raw.split(",") if p.strip()]


def strict_plugins() -> bool:
    """True when DNALLM_ZOO_STRICT_PLUGINS asks for any plugin failure to be an error."""
    return os.environ.get("DNALLM_ZOO_STRICT_PLUGINS", "").lower() in ("1", "true", "yes")


class ZooPluginManager:
    """A pluggy manager plus a record of every plugin's origin and failures."""

    def __init__(self) -> None:
        self.pm = pluggy.PluginManager("dnallm_zoo")
        self.pm.add_hookspecs(_hooks)
        self.info: dict[str, PluginInfo] = {}
        self._loaded_entry_points = False
        self._tracing = False
        self.register(_core_plugin, name=CORE_PLUGIN, distribution="dnallm-zoo")

    def register(
        self,
        plugin: object,
        name: str,
        *,
        distribution: str | None = None,
        version: str | None = None,
    ) -> PluginInfo:
        """Register an in-process plugin object (module or instance), recording failures."""
        info = self.info.setdefault(name, PluginInfo(name=name))
        info.distribution = distribution or info.distribution
        info.version = version or info.version
        info.module = getattr(plugin, "__name__", type(plugin).__name__)
        try:
            self.pm.register(plugin, name=name)
            self.pm.check_pending()
        except Exception as exc:
            if self.pm.is_registered(plugin):
                self.pm.unregister(plugin)
            info.fail("register", exc)
            self._maybe_raise(info)
        return info

    def unregister(self, name: str) -> None:
        """Remove a plugin by name (tests use this)."""
        plugin = self.pm.get_plugin(name)
        if plugin is not None:
            self.pm.unregister(plugin)
        self.info.pop(name, None)

    def load_entry_points(self) -> None:
        """Import every allowed, unblocked entry point once, each in its own try/except."""
        if self._loaded_entry_points:
            self._raise_recorded()  # strict mode: a failure of the first call fails every later one
            return
        self._loaded_entry_points = True
        allow = _env_list("DNALLM_ZOO_PLUGINS")
        block = set(_env_list("DNALLM_ZOO_BLOCK_PLUGINS") or [])
        eps = sorted(
            metadata.entry_points(group=ENTRY_POINT_GROUP),
            key=lambda ep: (ep.name, ep.dist.name if ep.dist else ""),
        )
        for ep in eps:
            dist = ep.dist.name if ep.dist else None
            version = ep.dist.version if ep.dist else None
            if allow is not None and ep.name not in allow:
                continue
            if ep.name in self.info:
                other = self.info[ep.name].distribution
                info = PluginInfo(name=f"{ep.name}@{dist}", distribution=dist, version=version)
                self.info[info.name] = info
                info.fail(
                    "load",
                    PluginLoadError(ep.name, f"entry point name already used by {other!r}"),
                )
                self._maybe_raise(info)
                continue
            if ep.name in block:
                self.info[ep.name] = PluginInfo(
                    name=ep.name, distribution=dist, version=version, module=ep.value, blocked=True
                )
                self.pm.set_blocked(ep.name)
                continue
            try:
                if self._tracing:
                    self.pm.trace.root.get("load")(ep.name, ep.value, dist or "")
                module = ep.load()
            except Exception as exc:
                info = PluginInfo(name=ep.name, distribution=dist, version=version, module=ep.value)
                self.info[ep.name] = info
                info.fail("import", exc)
                self._maybe_raise(info)
                continue
            self.register(module, name=ep.name, distribution=dist, version=version)

    def _maybe_raise(self, info: PluginInfo) -> None:
        if strict_plugins() and info.errors:
            raise PluginLoadError(info.name, info.errors[-1])

    def _raise_recorded(self) -> None:
        """In strict mode, raise for the first plugin with a recorded failure."""
        for info in self.info.values():
            self._maybe_raise(info)

    def plugin_name(self, plugin: object) -> str:
        return self.pm.get_name(plugin) or repr(plugin)

    def impls(self, hook_name: str) -> list[tuple[str, Callable[..., Any]]]:
        """The (plugin name, function) pairs of a hook in pluggy's call order."""
        hook = getattr(self.pm.hook, hook_name)
        pairs = [
            (impl.plugin_name, impl.function)
            for impl in reversed(hook.get_hookimpls())
            if not impl.hookwrapper and not impl.wrapper
        ]
        if not self._tracing:
            return pairs
        return [(name, self._traced(name, hook_name, fn)) for name, fn in pairs]

    def enable_tracing(self) -> Callable[[], None]:
        """Trace every hook call and entry-point load to pluggy's tracer; returns an undo callable.

        The core calls implementations one by one (never through ``pm.hook``), so pluggy's own
        ``enable_tracing`` alone would see nothing; set a writer with ``pm.trace.root.setwriter``.
        """
        self._tracing = True

        def undo() -> None:
            self._tracing = False

        return undo

    def _traced(self, plugin: str, hook_name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        hooktrace = self.pm.trace.root.get("hook")

        def call(**kwargs: Any) -> Any:
            hooktrace.root.indent += 1
            hooktrace(hook_name, f"[{plugin}]", kwargs)
            try:
                result = fn(**kwargs)
                hooktrace("finish", hook_name, f"[{plugin}]", "-->", result)
                return result
            finally:
                hooktrace.root.indent -= 1

        return call


def call_each(
    manager: ZooPluginManager, hook_name: str, *, firstresult: bool = False, **kwargs: Any
) -> Iterator[tuple[str, Any]]:
    """Call a hook's implementations one by one; a raising plugin is recorded, not fatal."""
    for name, fn in manager.impls(hook_name):
        try:
            result = fn(**kwargs)
        except ZooError:
            raise  # a deliberate answer (e.g. a checksum mismatch), not a broken plugin
        except Exception as exc:
            info = manager.info.setdefault(name, PluginInfo(name=name))
            info.fail(hook_name, exc)
            manager._maybe_raise(info)
            continue
        if firstresult and result is None:
            continue
        yield name, result
        if firstresult:
            return


_MANAGER: ZooPluginManager | None = None


def get_manager(*, load: bool = True) -> ZooPluginManager:
    """The process-wide plugin manager, entry points loaded on first use."""
    global _MANAGER
    if _MANAGER is None:
        _MANAGER = ZooPluginManager()
    if load:
        _MANAGER.load_entry_points()
    return _MANAGER


def reset_manager() -> None:
    """Forget every plugin (the next use rediscovers them); `reset_plugins` also forgets the registry."""
    global _MANAGER
    _MANAGER = None
