"""DNABERT-2 for dnallm-zoo: the spec and hook implementations only (no torch at import)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dnallm_zoo import ModelSpec, hookimpl

from .layout import is_dnabert2_config, is_pretrained_config
from .specs import ENCODER, FAMILY, MODEL_ID, SPECS

__all__ = ["SPECS", "make_test_checkpoint", "match_checkpoint", "register_models"]

_IDS = frozenset(s.id for s in SPECS)


@hookimpl
def register_models(register: Any) -> None:
    """dnabert2-117m."""
    for spec in SPECS:
        register(spec, ENCODER)


@hookimpl
def make_test_checkpoint(spec: ModelSpec, path: Path) -> bool | None:
    """A tiny random checkpoint in the original hub layout (remote-code stand-ins included)."""
    if spec.family != FAMILY or spec.id not in _IDS:
        return None
    from .checkpoint import write_checkpoint

    write_checkpoint(path)
    return True


@hookimpl
def match_checkpoint(path: Path, config: dict[str, Any]) -> str | None:
    """`dnabert2-117m` for a pre-trained DNABERT-2 directory (no classifier); its .py files are never read."""
    if not is_dnabert2_config(config) or not is_pretrained_config(config):
        return None
    return MODEL_ID
