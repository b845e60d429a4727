"""The model registry: specs by id, alias or hub id, built from the plugins' `register_models`."""

from __future__ import annotations

import difflib
import fnmatch
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from ._discovery import (
    PluginInfo,
    ZooPluginManager,
    get_manager,
    reset_manager,
    running_plugin,
    strict_plugins,
)
from ._refs import check_ref, resolve_ref
from ._spec import ModelSpec
from .errors import DuplicateModelError, UnknownModelError

if TYPE_CHECKING:
    from ._encoder import DNAEncoder

__all__ = ["Conflict", "Entry", "Registry", "get_registry", "get_spec", "list_models", "reset_plugins"]


@dataclass(frozen=True)
class Entry:
    """One registered model: its spec (with `plugin` set) and where its encoder class lives."""

    spec: ModelSpec
    encoder: str | type

    @property
    def qualified(self) -> str:
        return f"{self.spec.plugin}:{self.spec.id}"

    def encoder_class(self) -> type[DNAEncoder]:
        """Import the encoder class (this is where torch gets imported)."""
        cls: type[DNAEncoder] = resolve_ref(self.encoder)
        return cls


@dataclass(frozen=True)
class Conflict:
    """A name two plugins claim; `winner` keeps the bare name, both stay reachable qualified."""

    name: str
    winner: str
    loser: str
    winner_distribution: str | None = None
    loser_distribution: str | None = None

    def __str__(self) -> str:
        def who(plugin: str, dist: str | None) -> str:
            return f"{plugin!r}" + (f" ({dist})" if dist else "")

        return (
            f"{self.name!r} is claimed by plugins {who(self.winner, self.winner_distribution)} and "
            f"{who(self.loser, self.loser_distribution)}; "
            f"{self.winner!r} wins, use '{self.loser}:{self.name}' for the other"
        )


def _natural_key(s: str) -> list[Any]:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", s)]


@dataclass
class Registry:
    """Specs of every registered model, with deterministic conflict resolution."""

    entries: dict[str, Entry] = field(default_factory=dict)  # "plugin:id" -> entry
    names: dict[str, str] = field(default_factory=dict)  # lower-case id/alias -> "plugin:id"
    conflicts: list[Conflict] = field(default_factory=list)
    distributions: dict[str, str | None] = field(default_factory=dict)  # plugin -> distribution

    @classmethod
    def build(cls, manager: ZooPluginManager) -> Registry:
        """Ask every plugin for its models (one `register_models` call through pluggy); the entries are
        added in sorted plugin order, so that name clashes resolve the same way on every machine."""
        reg = cls()
        collected: dict[str, list[Entry]] = {}

        def register(spec: ModelSpec | dict[str, Any], encoder: str | type) -> None:
            plugin = running_plugin() or "?"
            data: Any = None
            try:
                if isinstance(spec, ModelSpec):
                    data = spec.model_dump()
                elif isinstance(spec, Mapping):
                    data = dict(spec)
                else:
                    raise TypeError(f"register() takes a ModelSpec or a dict, not {type(spec).__name__}")
                data["plugin"] = plugin
                checked = ModelSpec.model_validate(data)
                if not isinstance(encoder, (str, type)):
                    raise TypeError(f"encoder must be 'module:Class' or a class, not {encoder!r}")
                check_ref(encoder, "encoder", "Class")
                if any(e.spec.id == checked.id for e in collected.get(plugin, ())):
                    raise ValueError(f"id {checked.id!r} registered twice; the first is kept")
            except (ValidationError, TypeError, ValueError) as exc:
                sid = data.get("id", "?") if isinstance(data, dict) else "?"
                manager.fail(plugin, f"invalid spec {sid!r}", exc)  # strict mode: PluginLoadError
                return
            collected.setdefault(plugin, []).append(Entry(checked, encoder))

        call = manager.call("register_models", register=register)
        for name in sorted(set(manager.hook_order("register_models")) | set(collected)):
            if name in call.failed:
                continue  # the hook raised: none of this plugin's models are trusted
            entries = collected.get(name, [])
            manager.info.setdefault(name, PluginInfo(name=name)).models = [e.spec.id for e in entries]
        reg.distributions = {n: i.distribution for n, i in manager.info.items()}
        for name in sorted(collected):
            if name not in call.failed:
                for entry in collected[name]:
                    reg._add(entry)
        return reg

    def _add(self, entry: Entry) -> None:
        q = entry.qualified
        self.entries[q] = entry
        for i, name in enumerate(entry.spec.names):
            key = name.lower()
            holder = self.names.get(key)
            if holder is None:
                self.names[key] = q
                continue
            held = self.entries[holder]
            if held.spec.plugin == entry.spec.plugin:
                continue  # one plugin naming a thing twice: keep its first
            if i == 0 and held.spec.id.lower() != key:
                self.names[key] = q  # an id beats another model's alias
                self._conflict(name, entry.spec.plugin or "", held.spec.plugin or "")
                continue
            self._conflict(name, held.spec.plugin or "", entry.spec.plugin or "")

    def _conflict(self, name: str, winner: str, loser: str) -> None:
        d = self.distributions
        c = Conflict(name, winner, loser, d.get(winner), d.get(loser))
        self.conflicts.append(c)
        if strict_plugins():
            raise DuplicateModelError(str(c))

    def resolve(self, name: str) -> Entry:
        """The entry for an id, alias, hub id or 'plugin:id' (case-insensitive)."""
        if name in self.entries:
            return self.entries[name]
        q = self.names.get(name.lower())
        if q is None and ":" in name:
            plugin, _, rest = (part.lower() for part in name.partition(":"))
            for entry in self.entries.values():
                if (entry.spec.plugin or "").lower() == plugin and rest in (
                    n.lower() for n in entry.spec.names
                ):
                    return entry
        if q is None:
            raise UnknownModelError(name, self.suggest(name))
        return self.entries[q]

    def suggest(self, name: str, n: int = 3) -> list[str]:
        """Close registered names for a typo."""
        pool = {k: self.entries[q].spec.id for k, q in self.names.items()}
        hits = difflib.get_close_matches(name.lower(), list(pool), n=n * 2, cutoff=0.5)
        out: list[str] = []
        for h in hits:
            if pool[h] not in out:
                out.append(pool[h])
        for k, sid in pool.items():
            if name.lower() in k and sid not in out:
                out.append(sid)
        return out[:n]

    def winners(self) -> list[Entry]:
        """One entry per bare id: the conflict winners."""
        seen: dict[str, Entry] = {}
        for entry in self.entries.values():
            q = self.names.get(entry.spec.id.lower())
            if q == entry.qualified:
                seen[entry.spec.id] = entry
        return [seen[k] for k in sorted(seen, key=_natural_key)]

    def list(
        self,
        pattern: str = "*",
        *,
        family: str | None = None,
        device: str | None = None,
        dtype: str | None = None,
        task: str | None = None,
        license: str | None = None,
        exclude: str | None = None,
    ) -> list[ModelSpec]:
        """Specs whose id or an alias matches the wildcard pattern, filtered, naturally sorted."""
        out = []
        pat = pattern.lower()
        for entry in self.winners():
            s = entry.spec
            if not any(fnmatch.fnmatchcase(n.lower(), pat) for n in s.names):
                continue
            if exclude and any(fnmatch.fnmatchcase(n.lower(), exclude.lower()) for n in s.names):
                continue
            if family is not None and s.family.lower() != family.lower():
                continue
            if device is not None and device not in s.capabilities.devices:
                continue
            if dtype is not None and not any(
                dtype in s.capabilities.dtypes.get(d, ()) for d in s.capabilities.devices
                if device is None or d == device
            ):
                continue
            if task is not None and task != "embedding" and s.task != task:
                continue
            if license is not None and not fnmatch.fnmatchcase(s.license.lower(), license.lower()):
                continue
            out.append(s)
        return out


_REGISTRY: Registry | None = None


def get_registry(*, refresh: bool = False) -> Registry:
    """The process-wide registry, built from the plugins on first use."""
    global _REGISTRY
    if _REGISTRY is None or refresh:
        _REGISTRY = Registry.build(get_manager())
    return _REGISTRY


def reset_registry() -> None:
    """Forget the registry; the next use rebuilds it."""
    global _REGISTRY
    _REGISTRY = None


def reset_plugins() -> None:
    """Forget every plugin and the registry (the next use rediscovers them)."""
    reset_manager()
    reset_registry()


def list_models(
    pattern: str = "*",
    *,
    family: str | None = None,
    device: str | None = None,
    dtype: str | None = None,
    task: str | None = None,
    license: str | None = None,
    exclude: str | None = None,
) -> list[ModelSpec]:
    """Specs of the installed models matching a wildcard pattern and filters (no torch import).

    Example: ``list_models("dnabert*", device="cuda")``.
    """
    return get_registry().list(
        pattern, family=family, device=device, dtype=dtype, task=task, license=license,
        exclude=exclude,
    )


def get_spec(name: str) -> ModelSpec:
    """The spec of a model by id, alias, hub repo id or 'plugin:id' (case-insensitive)."""
    return get_registry().resolve(name).spec

