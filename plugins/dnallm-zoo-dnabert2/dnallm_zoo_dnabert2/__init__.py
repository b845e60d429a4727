"""DNABERT-2 for dnallm-zoo: the spec and hook implementations only (no torch at import)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dnallm_zoo import ModelSpec, hookimpl

from .layout import is_bare_model_config, is_dnabert2_config, is_pretrained_config
from .specs import DNABERT_S_ID, ENCODER, FAMILY, MODEL_ID, SPECS

__all__ = ["SPECS", "make_test_checkpoint", "match_checkpoint", "register_models"]

_IDS = frozenset(s.id for s in SPECS)


@hookimpl
def register_models(register: Any) -> None:
    """dnabert2-117m and dnabert-s."""
    for spec in SPECS:
        register(spec, ENCODER)


@hookimpl
def make_test_checkpoint(spec: ModelSpec, path: Path) -> bool | None:
    """A tiny random checkpoint in the original hub layout (remote-code stand-ins included)."""
    if spec.family != FAMILY or spec.id not in _IDS:
        return None
    from .checkpoint import write_checkpoint

    write_checkpoint(path, bare=spec.task == "embedding")
    return True


@hookimpl
def match_checkpoint(path: Path, config: dict[str, Any]) -> str | None:
    """`dnabert2-117m` for a pre-trained DNABERT-2 directory, `dnabert-s` for a bare `BertModel` one.

    A classifier or token tagger (config.json's architectures) is claimed as `dnabert2-117m`: the core
    builds its head from config.json. The directory's .py files are never read.
    """
    if not is_dnabert2_config(config):
        return None
    if is_pretrained_config(config) or _names_head(config):
        return MODEL_ID
    return DNABERT_S_ID if is_bare_model_config(config) else None


def _names_head(config: dict[str, Any]) -> bool:
    archs = config.get("architectures") or []
    return any(isinstance(a, str) and a.endswith(("ForSequenceClassification", "ForTokenClassification"))
               for a in archs)
