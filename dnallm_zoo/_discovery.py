"""Plugin discovery: entry points of group ``dnallm_zoo``, each loaded, registered and called by pluggy
in isolation (a plugin that fails is recorded on its `PluginInfo`; the others still run)."""

from __future__ import annotations

import functools
import inspect
import os
import traceback
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import pluggy

from . import _core_plugin, _hooks
from .errors import PluginLoadError, ZooError

__all__ = [
    "ENTRY_POINT_GROUP",
    "HookCall",
    "PluginInfo",
    "ZooPluginManager",
    "get_manager",
    "reset_manager",
    "running_plugin",
]

ENTRY_POINT_GROUP = "dnallm_zoo"
CORE_PLUGIN = "dnallm_zoo.core"

#: hooks a plugin may answer by raising a ZooError (a checksum mismatch, an unreadable file); a
#: ZooError from another hook (registering models) is a failure of the plugin like any exception
_ANSWERING_HOOKS = frozenset({"make_test_checkpoint", "resolve_weights", "match_checkpoint"})


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


@dataclass
class HookCall:
    """What one `ZooPluginManager.call` gave: the answers (not None) and the failures, by plugin."""

    hook: str
    answers: list[tuple[str, Any]] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    @property
    def first(self) -> tuple[str, Any] | None:
        """The first answer with its plugin (a firstresult hook gives at most one)."""
        return self.answers[0] if self.answers else None


#: the plugin whose hook implementation runs now, and the record of the call around it
_RUNNING: ContextVar[str | None] = ContextVar("dnallm_zoo_running_plugin", default=None)
_CALL: ContextVar[HookCall | None] = ContextVar("dnallm_zoo_hook_call", default=None)


def running_plugin() -> str | None:
    """The name of the plugin whose hook implementation is running (None outside a hook call)."""
    return _RUNNING.get()


def _env_list(name: str) -> list[str] | None:
    raw = os.environ.get(name)
    if raw is None:
        return None
    return [p.strip() for p in raw.split(",") if p.strip()]


def strict_plugins() -> bool:
    """True when DNALLM_ZOO_STRICT_PLUGINS asks for any plugin failure to be an error."""
    return os.environ.get("DNALLM_ZOO_STRICT_PLUGINS", "").lower() in ("1", "true", "yes")


class _Isolated:
    """What pluggy registers for a plugin: the plugin's hook implementations, each one guarded."""

    def __init__(self, plugin: object) -> None:
        self.__wrapped__ = plugin

    def __repr__(self) -> str:
        return repr(self.__wrapped__)


class ZooPluginManager:
    """A pluggy manager plus a record of every plugin's origin and failures.

    pluggy calls the hooks (its order, firstresult, hook wrappers); each hook implementation is
    registered wrapped once (`_guarded`), so that one that raises is recorded and answers None.
    """

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
            self.pm.register(self._isolate(plugin, name), name=name)
            self.pm.check_pending()
        except Exception as exc:
            if self.pm.get_plugin(name) is not None:
                self.pm.unregister(name=name)
            self.fail(name, "register", exc)
        return info

    def _isolate(self, plugin: object, name: str) -> _Isolated:
        """The hook implementations pluggy finds on `plugin`, each guarded, on one object to register."""
        isolated = _Isolated(plugin)
        for attr in dir(plugin):
            opts = self.pm.parse_hookimpl_opts(plugin, attr)
            if opts is None:
                continue
            fn = getattr(plugin, attr)
            if not (opts.get("wrapper") or opts.get("hookwrapper")):  # a hook wrapper runs as it is
                fn = self._guarded(name, opts.get("specname") or attr, fn)
            setattr(isolated, attr, fn)
        return isolated

    def _guarded(self, plugin: str, hook: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        """`fn` that records its failure on `plugin`'s info and answers None, so pluggy moves on."""
        names = list(inspect.signature(fn).parameters)

        @functools.wraps(fn)  # keeps the hookimpl marker and the signature pluggy checks
        def guarded(*args: Any, **kwargs: Any) -> Any:
            trace = self.pm.trace.root.get("hook") if self._tracing else None
            if trace is not None:
                trace.root.indent += 1
                trace(hook, f"[{plugin}]", dict(zip(names, args, strict=False)) | kwargs)
            record = _CALL.get()
            running, inner = _RUNNING.set(plugin), _CALL.set(None)  # a nested hook call has its own
            try:
                result = fn(*args, **kwargs)
            except Exception as exc:
                strict_error = isinstance(exc, PluginLoadError) and strict_plugins()
                if strict_error or (isinstance(exc, ZooError) and hook in _ANSWERING_HOOKS):
                    raise  # strict mode's error naming the plugin, or a deliberate answer
                if record is not None:
                    record.failed.append(plugin)
                self.fail(plugin, hook, exc)
                result = None
            finally:
                _CALL.reset(inner)
                _RUNNING.reset(running)
                if trace is not None:
                    trace.root.indent -= 1
            if trace is not None:
                trace("finish", hook, f"[{plugin}]", "-->", result)
            if result is not None and record is not None:
                record.answers.append((plugin, result))
            return result

        return guarded

    def call(self, hook: str, **kwargs: Any) -> HookCall:
        """Call a hook through pluggy; the answers with their plugins, and who failed.

        A plugin that raises is recorded on its `PluginInfo` (strict mode: `PluginLoadError`) and the
        others still run; a ZooError from ``resolve_weights``, ``match_checkpoint`` or
        ``make_test_checkpoint`` is a deliberate answer (a checksum mismatch, say) and propagates.
        """
        record = HookCall(hook)
        token = _CALL.set(record)
        try:
            getattr(self.pm.hook, hook)(**kwargs)
        finally:
            _CALL.reset(token)
        return record

    def fail(self, plugin: str, what: str, exc: BaseException) -> PluginInfo:
        """Record a failure of `plugin`; in strict mode (DNALLM_ZOO_STRICT_PLUGINS) raise it."""
        info = self.info.setdefault(plugin, PluginInfo(name=plugin))
        info.fail(what, exc)
        self._maybe_raise(info)
        return info

    def plugin(self, name: str) -> object | None:
        """The plugin object registered as `name`, or None."""
        held = self.pm.get_plugin(name)
        return held.__wrapped__ if isinstance(held, _Isolated) else held

    def unregister(self, name: str) -> None:
        """Remove a plugin by name (tests use this)."""
        if self.pm.get_plugin(name) is not None:
            self.pm.unregister(name=name)
        self.info.pop(name, None)

    def hook_order(self, hook: str) -> list[str]:
        """The plugins implementing a hook, in the order pluggy calls them (hook wrappers left out)."""
        impls = getattr(self.pm.hook, hook).get_hookimpls()
        return [i.plugin_name for i in reversed(impls) if not i.hookwrapper and not i.wrapper]

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
                twin = f"{ep.name}@{dist}"
                self.info[twin] = PluginInfo(name=twin, distribution=dist, version=version)
                clash = PluginLoadError(ep.name, f"entry point name already used by {other!r}")
                self.fail(twin, "load", clash)
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
                self.info[ep.name] = PluginInfo(
                    name=ep.name, distribution=dist, version=version, module=ep.value
                )
                self.fail(ep.name, "import", exc)
                continue
            self.register(module, name=ep.name, distribution=dist, version=version)

    def _maybe_raise(self, info: PluginInfo) -> None:
        if strict_plugins() and info.errors:
            raise PluginLoadError(info.name, info.errors[-1])

    def _raise_recorded(self) -> None:
        """In strict mode, raise for the first plugin with a recorded failure."""
        for info in self.info.values():
            self._maybe_raise(info)

    def enable_tracing(self) -> Callable[[], None]:
        """Trace each plugin's hook calls and the entry-point loads to pluggy's tracer; returns an undo.

        Set a writer with ``pm.trace.root.setwriter``.
        """
        self._tracing = True

        def undo() -> None:
            self._tracing = False

        return undo


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
