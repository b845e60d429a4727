"""DNABERT (v1) for dnallm-zoo: specs and hook implementations only (no torch at import)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from dnallm_zoo import ModelSpec, hookimpl

from .layout import detect_k
from .specs import DEMO_DIR, DEMO_ID, ENCODER, FAMILY, KS, SPECS

__all__ = ["SPECS", "make_test_checkpoint", "match_checkpoint", "register_models"]

_IDS = frozenset(s.id for s in SPECS)


@hookimpl
def register_models(register: Any) -> None:
    """dnabert-3 .. dnabert-6 and dnabert-demo."""
    for spec in SPECS:
        register(spec, ENCODER)


@hookimpl
def make_test_checkpoint(spec: ModelSpec, path: Path) -> bool | None:
    """A tiny random checkpoint in the original layout, for this plugin's models only."""
    if spec.family != FAMILY or spec.id not in _IDS:
        return None
    from .checkpoint import write_checkpoint

    assert spec.tokenizer.k is not None
    write_checkpoint(path, spec.tokenizer.k)
    return True


@hookimpl
def match_checkpoint(path: Path, config: dict[str, Any]) -> str | None:
    """`dnabert-{k}` for a directory in DNABERT's layout (`dnabert-demo` for the packaged one)."""
    k = detect_k(path, config)
    if k is None or k not in KS:
        return None
    if k == 6 and os.path.realpath(path) == os.path.realpath(DEMO_DIR):
        return DEMO_ID
    return f"dnabert-{k}"
