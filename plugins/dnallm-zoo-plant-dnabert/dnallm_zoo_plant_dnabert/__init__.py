"""dnallm-zoo plugin for Plant DNABERT (zhangtaolab, Molecular Plant 2025): 3 base models, 27 classifiers.

Cheap to import: specs and hook implementations only; torch and transformers load with a model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dnallm_zoo import ModelSpec, hookimpl

from .models import ENCODER, FAMILY, all_specs

__all__ = ["make_test_checkpoint", "match_checkpoint", "register_models"]

_IDS = frozenset(s.id for s in all_specs())


@hookimpl
def register_models(register: Any) -> None:
    """The 30 Plant DNABERT models."""
    for spec in all_specs():
        register(spec, ENCODER)


@hookimpl
def make_test_checkpoint(spec: ModelSpec, path: Path) -> bool | None:
    """A tiny random checkpoint in the hub repository's layout."""
    if spec.family != FAMILY or spec.id not in _IDS:
        return None
    from .checkpoints import write_tiny_checkpoint

    write_tiny_checkpoint(spec, path)
    return True


@hookimpl
def match_checkpoint(path: Path, config: dict[str, Any]) -> str | None:
    """Claim a directory with Plant DNABERT's tokenizer files."""
    from .matching import match

    return match(Path(path), config)
