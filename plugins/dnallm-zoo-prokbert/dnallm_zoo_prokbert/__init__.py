"""ProkBERT for dnallm-zoo: specs and hook implementations only (no torch at import)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dnallm_zoo import ModelSpec, hookimpl

from .layout import match_model
from .specs import ENCODER, FAMILY, ORIGINAL_NORMALIZATION, SPECS

__all__ = [
    "ORIGINAL_NORMALIZATION",
    "SPECS",
    "make_test_checkpoint",
    "match_checkpoint",
    "register_models",
]

_IDS = frozenset(s.id for s in SPECS)


@hookimpl
def register_models(register: Any) -> None:
    """prokbert-mini, prokbert-mini-long and prokbert-mini-c."""
    for spec in SPECS:
        register(spec, ENCODER)


@hookimpl
def make_test_checkpoint(spec: ModelSpec, path: Path) -> bool | None:
    """A tiny random checkpoint in the original layout (prokbert config flavour), ours only."""
    if spec.family != FAMILY or spec.id not in _IDS:
        return None
    from .checkpoint import write_checkpoint

    write_checkpoint(path, spec.id)
    return True


@hookimpl
def match_checkpoint(path: Path, config: dict[str, Any]) -> str | None:
    """The model id of a directory in ProkBERT's layout (either config flavour), else None."""
    return match_model(path, config)
