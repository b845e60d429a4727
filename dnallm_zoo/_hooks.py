"""The pluggy hooks a dnallm-zoo plugin implements (project name ``dnallm_zoo``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import pluggy

if TYPE_CHECKING:
    from ._spec import ModelSpec, WeightsSource

__all__ = ["RegisterFn", "hookimpl", "hookspec"]

hookspec = pluggy.HookspecMarker("dnallm_zoo")
hookimpl = pluggy.HookimplMarker("dnallm_zoo")


class RegisterFn(Protocol):
    """The callback `register_models` receives."""

    def __call__(self, spec: ModelSpec | dict[str, Any], encoder: str | type) -> None: ...


@hookspec
def register_models(register: RegisterFn) -> None:
    """Call ``register(spec, "module:EncoderClass")`` once per model; no I/O, no torch import."""


@hookspec(firstresult=True)
def make_test_checkpoint(spec: ModelSpec, path: Path) -> bool | None:
    """Write a tiny random checkpoint of `spec` in its family's original layout; True if done."""


@hookspec(firstresult=True)
def resolve_weights(spec: ModelSpec, source: WeightsSource, cache_dir: Path | None) -> Path | None:
    """Return a local directory holding the weights of `spec`, or None to let others try."""


@hookspec
def match_checkpoint(path: Path, config: dict[str, Any]) -> str | None:
    """Name the registered model id a checkpoint directory belongs to, or None if not ours (every plugin
    is asked: a directory two families claim is refused)."""
